"""The provider interface and what every provider module shares.

A provider module knows one wire format and registers four seams for it: the wire format
(where a request keeps its conversation, how a context block and cache breakpoints are
written), retrieval (how the `headroom_retrieve` tool is offered and its calls found and
answered), a stream relay, and an endpoint (`endpoint.Endpoint`: base-URL setting, path,
credential header, SDK client). The pipeline, the aligner, the proxy and the SDK wrapper
go through these interfaces only.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME
from headroom.conversation.segments import Scope, Segment, ToolCall, text_parts
from headroom.providers.endpoint import Endpoint

__all__ = [
    "BaseProvider",
    "HeldRound",
    "Provider",
    "Retrieval",
    "RetrieveCall",
    "StreamEvent",
    "StreamRelay",
    "WireFormat",
    "add_tool",
    "parse_arguments",
    "split_retrieve_calls",
    "tool_name",
    "with_prompt_cache_key",
    "without_retrieve",
]


@dataclass(frozen=True)
class RetrieveCall:
    """One `headroom_retrieve` call the model made."""

    call_id: str
    ref: str
    query: str | None


@dataclass(frozen=True)
class StreamEvent:
    """One streamed event, parsed: its name (None for data-only events such as OpenAI
    chat's) and its data, a JSON object or, for anything else (`[DONE]`), the text. `raw`
    is the event's bytes as they arrived, kept so an unchanged event goes out unchanged."""

    name: str | None
    data: dict[str, Any] | str
    raw: bytes | None = None

    @property
    def payload(self) -> dict[str, Any]:
        """The data as a JSON object ({} for text)."""
        return self.data if isinstance(self.data, dict) else {}

    def replaced(self, data: dict[str, Any]) -> StreamEvent:
        """This event with other data (and so without its raw bytes)."""
        return StreamEvent(self.name, data)

    def sse(self) -> bytes:
        """The event as server-sent-event bytes."""
        if self.raw is not None:
            return self.raw
        text = (
            self.data if isinstance(self.data, str) else json.dumps(self.data, ensure_ascii=False)
        )
        head = f"event: {self.name}\n" if self.name else ""
        return f"{head}data: {text}\n\n".encode()

    @classmethod
    def parse(cls, name: str | None, data: str, raw: bytes | None = None) -> StreamEvent:
        """An SSE event from its name and data lines."""
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        return cls(name, value if isinstance(value, dict) else data, raw)


class StreamRelay(Protocol):
    """Relays one streamed answer across retrieval rounds: the events of retrieve calls
    are held back, the rounds are joined into one answer with one identity (one id, one
    opening and one closing), and `finish` always closes it, also after a failed round."""

    other: bool
    """The model also called a tool of the caller's: retrieval is not answered."""

    def start_round(self) -> None:
        """A new upstream round begins (its events follow)."""

    def feed(self, event: StreamEvent) -> list[StreamEvent]:
        """The events to send the client for `event` (none while it is held back)."""

    def assistant_response(self) -> dict[str, Any]:
        """The round's reply as a non-streamed response, for `Provider.add_round`."""

    def finish(self) -> list[StreamEvent]:
        """What closes the client's stream once no more rounds follow: the last closing
        events held back (or, when none arrived, ones made up), so a client always sees its
        stream end; a stop reason that announced only held-back calls becomes a plain stop."""


class HeldRound:
    """What every relay keeps per round: whether the model called a caller's tool."""

    other: bool

    def start_round(self) -> None:
        self.other = False


class WireFormat(Protocol):
    """How a request keeps its conversation: parse it, write it back, add a context
    block and cache breakpoints."""

    name: str
    conversation_key: str
    """The request field that holds the conversation ("messages", "input", "contents")."""

    def claims(self, messages: Sequence[Any]) -> bool:
        """Whether `messages` are certainly in this format (a shape no other one uses)."""

    def tool_calls_in(self, messages: Sequence[Any]) -> dict[str, ToolCall]:
        """The model's tool calls in the conversation, by call id."""

    def message_segments(
        self, index: int, message: Mapping[str, Any], calls: Mapping[str, ToolCall], scope: Scope
    ) -> Iterator[Segment]:
        """The strings of message `index` a compressor may rewrite: tool results, and user
        or assistant text when asked (parts carrying `cache_control` only if asked)."""

    def user_text(self, message: Any) -> str | None:
        """The plain text of a user turn (None for any other message)."""

    def append_context(self, messages: list[Any], block: str) -> list[Any]:
        """The conversation with `block` appended at the very end of the request."""

    def add_cache_breakpoints(self, body: dict[str, Any], key: str) -> dict[str, Any]: ...


class Retrieval(Protocol):
    """How `headroom_retrieve` is offered, its calls found and answered, and removed."""

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


class Provider(WireFormat, Retrieval, Protocol):
    """One wire format with its four seams: the format itself, retrieval, a stream relay
    and the endpoint it is served at (OpenAI chat, OpenAI Responses, Anthropic, Gemini)."""

    endpoint: Endpoint

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


class BaseProvider:
    """What most formats share: the tool added by name, the context block as a closing
    user message, a `prompt_cache_key` for the cache. A provider overrides what differs."""

    def tool_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def inject_tool(self, body: dict[str, Any]) -> None:
        add_tool(body, self.tool_schema())

    def tool_calls(self, response: dict[str, Any]) -> Iterable[tuple[str, str, Any]]:
        """(id, name, arguments) of each tool call in a response."""
        raise NotImplementedError

    def retrieve_calls(self, response: dict[str, Any]) -> tuple[list[RetrieveCall], bool]:
        try:
            return split_retrieve_calls(self.tool_calls(response))
        except (AttributeError, TypeError, KeyError, IndexError):
            return [], False  # not a response of this format: nothing to answer

    def user_text(self, message: Any) -> str | None:
        if not isinstance(message, Mapping) or message.get("role") != "user":
            return None
        texts = [text for _, text in text_parts(message.get("content"), ())]
        return "\n".join(texts) if texts else None

    def append_context(self, messages: list[Any], block: str) -> list[Any]:
        return [*messages, {"role": "user", "content": block}]

    def add_cache_breakpoints(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        return with_prompt_cache_key(body, key)


def without_retrieve(response: dict[str, Any], field: str, item_type: str) -> dict[str, Any]:
    """A copy of `response` whose `field` list has no `item_type` item calling the retrieve
    tool (Anthropic `content` / `tool_use`, Responses `output` / `function_call`)."""
    out = copy.deepcopy(response)
    out[field] = [
        item
        for item in out.get(field) or []
        if not (
            isinstance(item, dict)
            and item.get("type") == item_type
            and item.get("name") == RETRIEVE_TOOL_NAME
        )
    ]
    return out


def split_retrieve_calls(
    tool_calls: Iterable[tuple[str, str, Any]],
) -> tuple[list[RetrieveCall], bool]:
    """(id, name, arguments) of the model's tool calls -> its retrieve calls, and whether it
    called any other tool too."""
    calls: list[RetrieveCall] = []
    others = False
    for call_id, name, arguments in tool_calls:
        if name == RETRIEVE_TOOL_NAME:
            calls.append(RetrieveCall(call_id, *parse_arguments(arguments)))
        else:
            others = True
    return calls, others


def add_tool(body: dict[str, Any], schema: dict[str, Any]) -> None:
    """`schema` appended to the request's tools unless a tool of its name is there."""
    tools = body.setdefault("tools", [])
    if not any(tool_name(t) == tool_name(schema) for t in tools):
        tools.append(schema)


def with_prompt_cache_key(body: dict[str, Any], key: str) -> dict[str, Any]:
    """OpenAI caches prefixes on its own; a `prompt_cache_key` routes a conversation's
    requests to the same cache."""
    out = copy.deepcopy(body)
    out.setdefault("prompt_cache_key", key)
    return out


def tool_name(tool: Any) -> str:
    """The name of a tool definition in any of the formats."""
    if not isinstance(tool, dict):
        return ""
    function = tool.get("function")
    return (
        str(function.get("name", "")) if isinstance(function, dict) else str(tool.get("name", ""))
    )
