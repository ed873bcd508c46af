"""A provider-neutral view of OpenAI and Anthropic chat messages.

`Conversation` reads a list of message dicts in either provider's shape, lists the text
`Segment`s a compressor may rewrite, and writes the messages back with some segments
replaced. It never rebuilds a message from a model: it copies the caller's dicts and
swaps strings at known paths, so every field (ids, names, `cache_control`, images,
unknown keys) survives the round trip byte for byte.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from headroom.errors import InputError
from headroom.providers import Provider, provider_of

__all__ = ["Conversation", "Path", "Segment", "SegmentSource"]

SegmentSource = Literal["tool_result", "user", "assistant"]
Path = tuple["int | str", ...]

_TEXT_PARTS = frozenset({"text", "input_text"})  # chat and Anthropic; Responses input
_BREAKPOINT_WHOLE_MESSAGE = 10**9  # a breakpoint on a message covers all of its blocks
QUERY_CHARS = 1000


@dataclass(frozen=True)
class Segment:
    """One string inside the messages that a compressor may rewrite."""

    path: Path
    text: str
    source: SegmentSource
    tool_name: str | None = None
    tool_arguments: str | None = None
    frozen: bool = False
    """Inside the cached prefix (before the last `cache_control` breakpoint)."""
    query: str = ""
    """The user request before this segment and its tool call's arguments."""


@dataclass(frozen=True)
class _ToolCall:
    name: str | None
    arguments: str | None

    def result(self, path: Path, text: str) -> Segment:
        """A segment of this call's result."""
        return Segment(path, text, "tool_result", self.name, self.arguments)


_UNKNOWN_CALL = _ToolCall(None, None)


class Conversation:
    """Messages of one request, in any provider's shape (OpenAI chat, Anthropic, the
    `input` items of OpenAI Responses): `provider` is the one that claims them."""

    def __init__(self, messages: Sequence[Any]) -> None:
        if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
            raise InputError(
                f"compress() takes a list of message dicts, got {type(messages).__name__}. "
                "Pass e.g. [{'role': 'user', 'content': '...'}]."
            )
        self.messages: list[Any] = list(messages)
        self.provider: Provider = provider_of(self.messages)
        self._tool_calls = self._index_tool_calls()
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
            text = _user_text(message)
            if text is not None:
                return text
        return ""

    def _queries_by_message(self) -> list[str]:
        """For every message index, the latest user request before it, in one pass."""
        queries: list[str] = []
        latest = ""
        for message in self.messages:
            queries.append(latest)
            text = _user_text(message)
            if text is not None:
                latest = text
        return queries

    def segments(
        self, *, include_user: bool, include_assistant: bool, include_cached: bool = False
    ) -> list[Segment]:
        """Every rewritable string in message order. Parts marked `cache_control` are left
        out unless `include_cached` (then only tool results among them)."""
        found: list[Segment] = []
        for index, message in enumerate(self.messages):
            if not isinstance(message, Mapping):
                continue
            if "cache_control" in message and not (
                include_cached and message.get("role") in ("tool", "function")
            ):
                continue
            found.extend(
                self._message_segments(
                    index, message, include_user, include_assistant, include_cached
                )
            )
        queries = self._queries_by_message()
        return [
            replace(
                s,
                query=_segment_query(queries[int(s.path[0])], s.tool_arguments),
                frozen=self.breakpoint is not None and _position(s.path) < self.breakpoint,
            )
            for s in found
        ]

    def _message_segments(
        self,
        index: int,
        message: Mapping[str, Any],
        include_user: bool,
        include_assistant: bool,
        include_cached: bool,
    ) -> Iterator[Segment]:
        role = message.get("role")
        content = message.get("content")
        if message.get("type") == "function_call_output":  # OpenAI Responses
            call = self._tool_calls.get(str(message.get("call_id", "")), _UNKNOWN_CALL)
            for path, text in _text_parts(message.get("output"), (index, "output"), include_cached):
                yield call.result(path, text)
            return
        if role in ("tool", "function"):
            call = self._tool_calls.get(
                str(message.get("tool_call_id", "")), _ToolCall(message.get("name"), None)
            )
            for path, text in _text_parts(content, (index, "content"), include_cached):
                yield call.result(path, text)
            return
        if role == "user" and isinstance(content, list):
            yield from self._tool_result_segments(index, content, include_cached)
        if (role == "user" and include_user) or (role == "assistant" and include_assistant):
            source: SegmentSource = "user" if role == "user" else "assistant"
            for path, text in _text_parts(content, (index, "content")):
                yield Segment(path, text, source)

    def _tool_result_segments(
        self, index: int, content: list[Any], include_cached: bool
    ) -> Iterator[Segment]:
        for block_index, block in enumerate(content):
            if (
                not _is_block(block, "tool_result")
                or ("cache_control" in block and not include_cached)
                or block.get("is_error")
            ):
                continue
            call = self._tool_calls.get(str(block.get("tool_use_id", "")), _UNKNOWN_CALL)
            base: Path = (index, "content", block_index, "content")
            for path, text in _text_parts(block.get("content"), base, include_cached):
                yield call.result(path, text)

    def _index_tool_calls(self) -> dict[str, _ToolCall]:
        calls: dict[str, _ToolCall] = {}
        for message in self.messages:
            if not isinstance(message, Mapping):
                continue
            if message.get("type") == "function_call":  # OpenAI Responses
                calls[str(message.get("call_id"))] = _ToolCall(
                    message.get("name"), _as_text(message.get("arguments"))
                )
            for call in message.get("tool_calls") or ():
                if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                    function = call["function"]
                    calls[str(call.get("id"))] = _ToolCall(
                        function.get("name"), _as_text(function.get("arguments"))
                    )
            content = message.get("content")
            for block in content if isinstance(content, list) else ():
                if _is_block(block, "tool_use"):
                    calls[str(block.get("id"))] = _ToolCall(
                        block.get("name"), _as_text(block.get("input"))
                    )
        return calls


def _user_text(message: Any) -> str | None:
    """The plain text of a user message (its last `QUERY_CHARS` characters), or None."""
    if not isinstance(message, Mapping) or message.get("role") != "user":
        return None
    texts = [text for _, text in _text_parts(message.get("content"), ())]
    return "\n".join(texts)[-QUERY_CHARS:] if texts else None


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


def _text_parts(
    content: Any, base: Path, include_cached: bool = False
) -> Iterator[tuple[Path, str]]:
    """(path, text) of string content or of plain text parts (with cache_control only if asked)."""
    if isinstance(content, str):
        yield base, content
        return
    if not isinstance(content, list):
        return
    for part_index, part in enumerate(content):
        if (
            isinstance(part, Mapping)
            and part.get("type") in _TEXT_PARTS
            and isinstance(part.get("text"), str)
            and (include_cached or "cache_control" not in part)
        ):
            yield (*base, part_index, "text"), part["text"]


def _is_block(value: Any, block_type: str) -> bool:
    return isinstance(value, Mapping) and value.get("type") == block_type


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return None
