"""A provider-neutral view of a request's messages.

`Conversation` reads a list of message dicts in any registered provider's shape (the
provider that claims them parses them), lists the text `Segment`s a compressor may rewrite, and writes the messages back with some segments
replaced. It never rebuilds a message from a model: it copies the caller's dicts and
swaps strings at known paths, so every field (ids, names, `cache_control`, images,
unknown keys) survives the round trip byte for byte.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from headroom.conversation.segments import Path, Scope, Segment
from headroom.errors import InputError
from headroom.providers import Provider, provider_named, provider_of

__all__ = ["Conversation", "Path", "Segment"]

_BREAKPOINT_WHOLE_MESSAGE = 10**9  # a breakpoint on a message covers all of its blocks
QUERY_CHARS = 1000


class Conversation:
    """Messages of one request, in any provider's shape (OpenAI chat, Anthropic, the
    `input` items of OpenAI Responses, Gemini `contents`): `provider` is the caller's (a
    provider or its name), else the one that claims them."""

    def __init__(self, messages: Sequence[Any], provider: Provider | str | None = None) -> None:
        if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
            raise InputError(
                f"compress() takes a list of message dicts, got {type(messages).__name__}. "
                "Pass e.g. [{'role': 'user', 'content': '...'}]."
            )
        self.messages: list[Any] = list(messages)
        # The caller knows the wire format; sniffing is the fallback for bare messages.
        self.provider: Provider
        if provider is None:
            self.provider = provider_of(self.messages)
        elif isinstance(provider, str):
            try:
                self.provider = provider_named(provider)
            except KeyError as exc:
                raise InputError(str(exc.args[0])) from None
        else:
            self.provider = provider
        self._tool_calls = self.provider.tool_calls_in(self.messages)
        self.breakpoint = _last_breakpoint(self.messages)

    def to_messages(self) -> list[Any]:
        """A deep copy of the messages, in the caller's own shape."""
        return copy.deepcopy(self.messages)

    def replaced(self, replacements: Mapping[Path, str]) -> list[Any]:
        """A copy of the messages with the string at each path replaced."""
        out = self.to_messages()
        for path, text in replacements.items():
            container: Any = out
            for step in path[:-1]:
                container = container[step]
            container[path[-1]] = text
        return out

    def query(self) -> str:
        """The latest user request in plain text: what the answer will depend on.

        Only its last `QUERY_CHARS` characters count: the question usually closes a long
        paste, and a whole document as the query would make every line look relevant.
        """
        for message in reversed(self.messages):
            text = self._user_text(message)
            if text is not None:
                return text
        return ""

    def _queries_by_message(self) -> list[str]:
        """For every message index, the latest user request before it, in one pass."""
        queries: list[str] = []
        latest = ""
        for message in self.messages:
            queries.append(latest)
            text = self._user_text(message)
            if text is not None:
                latest = text
        return queries

    def _user_text(self, message: Any) -> str | None:
        """The plain text of a user message (its last `QUERY_CHARS` characters), or None."""
        text = self.provider.user_text(message)
        return None if text is None else text[-QUERY_CHARS:]

    def segments(
        self, *, include_user: bool, include_assistant: bool, include_cached: bool = False
    ) -> list[Segment]:
        """Every rewritable string in message order. Parts marked `cache_control` are left
        out unless `include_cached` (then only tool results among them)."""
        scope = Scope(include_user, include_assistant, include_cached)
        found: list[Segment] = []
        for index, message in enumerate(self.messages):
            if not isinstance(message, Mapping):
                continue
            if "cache_control" in message and not (
                include_cached and message.get("role") in ("tool", "function")
            ):
                continue
            found.extend(self.provider.message_segments(index, message, self._tool_calls, scope))
        queries = self._queries_by_message()
        return [
            replace(
                s,
                query=_segment_query(queries[int(s.path[0])], s.tool_arguments),
                frozen=self.breakpoint is not None and _position(s.path) < self.breakpoint,
            )
            for s in found
        ]


def _segment_query(question: str, tool_arguments: str | None) -> str:
    """What led to a payload: the user request before it and its tool call's arguments.
    It never changes on later turns, so the payload's compression stays the same."""
    if tool_arguments:
        return f"{question}\n{_argument_words(tool_arguments)}"
    return question


def _argument_words(arguments: str) -> str:
    """A tool call's argument values as plain words (JSON quotes are not quoted phrases)."""
    try:
        value: Any = json.loads(arguments)
    except (ValueError, RecursionError):
        return arguments[:QUERY_CHARS].replace('"', " ")
    words: list[str] = []
    stack = [value]
    while stack and sum(len(w) for w in words) < QUERY_CHARS:
        item = stack.pop()
        if isinstance(item, str):
            words.append(item)
        elif isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return " ".join(words)[:QUERY_CHARS].replace('"', " ")


def _position(path: Path) -> tuple[int, int]:
    block = path[2] if len(path) > 2 and isinstance(path[2], int) else 0
    return (int(path[0]), block)


def _last_breakpoint(messages: Sequence[Any]) -> tuple[int, int] | None:
    """Position of the last `cache_control` mark: everything before it is a cached prefix."""
    found: tuple[int, int] | None = None
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        if "cache_control" in message:
            found = (index, _BREAKPOINT_WHOLE_MESSAGE)
            continue
        content = message.get("content")
        for block_index, block in enumerate(content if isinstance(content, list) else ()):
            if isinstance(block, Mapping) and "cache_control" in block:
                found = (index, block_index)
    return found
