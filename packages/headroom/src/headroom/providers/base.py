"""The provider interface and what every provider module shares.

A provider module knows one wire format: where a request keeps its conversation, how the
`headroom_retrieve` tool is offered and its calls found and answered, how a context block
and cache breakpoints are written, and how its stream events are relayed. The pipeline,
the aligner, the proxy and the SDK wrapper go through this interface only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Provider",
    "RetrieveCall",
    "SseEvent",
    "StreamRelay",
    "parse_arguments",
    "sse_data",
    "sse_event",
    "tool_name",
]


@dataclass(frozen=True)
class RetrieveCall:
    """One `headroom_retrieve` call the model made."""

    call_id: str
    ref: str
    query: str | None


@dataclass(frozen=True)
class SseEvent:
    """One server-sent event as it arrived: its name, its data and its raw bytes."""

    name: str | None
    data: str
    raw: bytes


class StreamRelay(Protocol):
    """Relays one streamed response, holding back the events of retrieve calls."""

    other: bool
    """The model also called a tool of the caller's: retrieval is not answered."""

    def start_round(self) -> None: ...
    def feed(self, event: SseEvent) -> list[bytes]:
        """The bytes to send the client for `event` (none while it is held back)."""

    def retrieve_calls(self) -> list[RetrieveCall]: ...
    def assistant_response(self) -> dict[str, Any]:
        """The round's reply as a non-streamed response, for `Provider.add_round`."""

    def finish(self) -> list[bytes]:
        """What closes the client's stream once no more rounds follow."""


class Provider(Protocol):
    """One wire format (OpenAI chat, OpenAI Responses, Anthropic messages)."""

    name: str
    path: str
    """The endpoint path, as the proxy serves it and the upstream expects it."""
    upstream: str
    """Which upstream base URL serves it: "openai" or "anthropic"."""
    conversation_key: str
    """The request field that holds the conversation ("messages" or "input")."""

    def claims(self, messages: Sequence[Any]) -> bool:
        """Whether `messages` are certainly in this format (a shape no other one uses)."""

    def tool_schema(self) -> dict[str, Any]: ...
    def inject_tool(self, body: dict[str, Any]) -> None: ...
    def retrieve_calls(self, response: dict[str, Any]) -> tuple[list[RetrieveCall], bool]:
        """The model's retrieve calls, and whether it also called other tools (none in a
        response of a shape this provider does not send)."""

    def add_round(
        self, body: dict[str, Any], response: dict[str, Any], results: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """The next request: the model's turn and the retrieval results appended."""

    def strip_retrieve(self, response: dict[str, Any]) -> dict[str, Any]:
        """The response without retrieve calls (when mixed with the caller's tools)."""

    def append_context(self, messages: list[Any], block: str) -> list[Any]:
        """The conversation with `block` appended at the very end of the request."""

    def add_cache_breakpoints(self, body: dict[str, Any], key: str) -> dict[str, Any]: ...
    def stream_relay(self) -> StreamRelay: ...


def parse_arguments(raw: Any) -> tuple[str, str | None]:
    """(ref, query) from a retrieve call's arguments (a JSON string or an object)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "{}")
        except ValueError:
            raw = {}
    if not isinstance(raw, dict):
        return "", None
    query = raw.get("query")
    return str(raw.get("ref", "")), str(query) if query else None


def tool_name(tool: Any) -> str:
    """The name of a tool definition in any of the formats."""
    if not isinstance(tool, dict):
        return ""
    function = tool.get("function")
    return (
        str(function.get("name", "")) if isinstance(function, dict) else str(tool.get("name", ""))
    )


def sse_data(chunk: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()


def sse_event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
