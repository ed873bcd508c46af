"""The provider-neutral pieces of a conversation: the `Segment`s (strings a compressor
may rewrite, addressed by their path inside the caller's messages) and the tool calls
that produced them. Each provider module reads its own format into these."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "UNKNOWN_CALL",
    "Path",
    "Segment",
    "Scope",
    "SegmentSource",
    "ToolCall",
    "as_text",
    "is_block",
    "result_segments",
    "text_parts",
    "text_segments",
]

SegmentSource = Literal["tool_result", "user", "assistant"]
Path = tuple["int | str", ...]

_TEXT_PARTS = frozenset({"text", "input_text"})  # chat and Anthropic; Responses input


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
class ToolCall:
    """A tool call of the model's: what a tool result came from."""

    name: str | None
    arguments: str | None

    def result(self, path: Path, text: str) -> Segment:
        """A segment of this call's result."""
        return Segment(path, text, "tool_result", self.name, self.arguments)


UNKNOWN_CALL = ToolCall(None, None)


@dataclass(frozen=True)
class Scope:
    """Which strings of a conversation are compressed: tool results always; user and
    assistant text by setting; parts carrying `cache_control` only when asked."""

    include_user: bool = False
    include_assistant: bool = False
    include_cached: bool = False


def result_segments(call: ToolCall, content: Any, base: Path, scope: Scope) -> Iterator[Segment]:
    """The text of one tool result (a string, or text parts) at `base`."""
    for path, text in text_parts(content, base, scope.include_cached):
        yield call.result(path, text)


def text_segments(index: int, message: Mapping[str, Any], scope: Scope) -> Iterator[Segment]:
    """The plain text of a user or assistant message, when that role is compressed."""
    role = message.get("role")
    if (role == "user" and scope.include_user) or (role == "assistant" and scope.include_assistant):
        source: SegmentSource = "user" if role == "user" else "assistant"
        for path, text in text_parts(message.get("content"), (index, "content")):
            yield Segment(path, text, source)


def text_parts(
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


def is_block(value: Any, block_type: str) -> bool:
    return isinstance(value, Mapping) and value.get("type") == block_type


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return None
