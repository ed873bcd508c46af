"""OpenAI Responses (`/v1/responses`): the conversation is a list of `input` items;
`function_call` items are the model's tool calls and `function_call_output` items their
results; streams are named `response.*` events addressed by `output_index`."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME
from headroom.providers import base
from headroom.providers.endpoint import Endpoint, LiteLLMCalls, SdkSurface
from headroom.providers.openai_chat import OPENAI_CHAT
from headroom.segments import (
    UNKNOWN_CALL,
    Scope,
    Segment,
    ToolCall,
    as_text,
    result_segments,
    text_segments,
)

__all__ = ["OPENAI_RESPONSES", "OpenAIResponses"]

_RESPONSES_ITEMS = frozenset({"function_call", "function_call_output", "reasoning"})
_CLOSING_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_OPENING_EVENTS = frozenset({"response.created", "response.in_progress"})


class OpenAIResponses(base.BaseProvider):
    name, conversation_key = "openai_responses", "input"
    endpoint = Endpoint(
        upstream="openai",
        default_base_url="https://api.openai.com",
        path="/v1/responses",
        credential_header="authorization",
        header_prefixes=("openai-", "x-stainless-"),
        sdk=SdkSurface("openai", ("responses",)),
        litellm=LiteLLMCalls(("responses", "aresponses"), "aresponses"),
    )

    def claims(self, messages: Sequence[Any]) -> bool:
        return any(_is_responses_item(item) for item in messages)

    def tool_calls_in(self, messages: Sequence[Any]) -> dict[str, ToolCall]:
        return {
            str(item.get("call_id")): ToolCall(item.get("name"), as_text(item.get("arguments")))
            for item in messages
            if isinstance(item, Mapping) and item.get("type") == "function_call"
        }

    def message_segments(
        self, index: int, message: Mapping[str, Any], calls: Mapping[str, ToolCall], scope: Scope
    ) -> Iterator[Segment]:
        if message.get("type") != "function_call_output":
            return text_segments(index, message, scope)
        call = calls.get(str(message.get("call_id", "")), UNKNOWN_CALL)
        return result_segments(call, message.get("output"), (index, "output"), scope)

    def tool_schema(self) -> dict[str, Any]:
        function = OPENAI_CHAT.tool_schema()["function"]
        return {"type": "function", **function}

    def tool_calls(self, response: dict[str, Any]) -> Iterable[tuple[str, str, Any]]:
        for item in response.get("output") or []:
            if isinstance(item, Mapping) and item.get("type") == "function_call":
                call_id = str(item.get("call_id") or item.get("id") or "")
                yield call_id, str(item.get("name")), item.get("arguments")

    def add_round(
        self, body: dict[str, Any], response: dict[str, Any], results: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """With `previous_response_id` the upstream keeps the history: the next request
        chains to this response and sends only the results; else everything is re-sent."""
        outputs = [
            {"type": "function_call_output", "call_id": cid, "output": text}
            for cid, text in results
        ]
        nxt = copy.copy(body)
        if body.get("previous_response_id") and response.get("id"):
            nxt["previous_response_id"] = response["id"]
            nxt["input"] = outputs
            return nxt
        earlier = body.get("input")
        history = [{"role": "user", "content": earlier}] if isinstance(earlier, str) else earlier
        produced = [dict(item) for item in response.get("output") or [] if isinstance(item, dict)]
        for item in produced:
            item.pop("status", None)
        nxt["input"] = [*(history or []), *produced, *outputs]
        return nxt

    def strip_retrieve(self, response: dict[str, Any]) -> dict[str, Any]:
        return base.without_retrieve(response, "output", "function_call")

    def stream_relay(self) -> base.StreamRelay:
        return ResponsesRelay()


class ResponsesRelay(base.HeldRound):
    """A Responses stream relayed with its retrieve calls held back: output indexes and
    sequence numbers continue across rounds, one `response.created` opens the stream and
    the last round's closing event ends it."""

    def __init__(self) -> None:
        self.next_index = 0
        self.sequence = 0
        self.started = False
        self.rounds = 0
        self.start_round()

    def start_round(self) -> None:
        self.rounds += 1
        self.index_map: dict[int, int] = {}
        self.items: dict[int, dict[str, Any]] = {}
        self.retrieve: dict[int, dict[str, str]] = {}
        self.closing: list[tuple[base.SseEvent, dict[str, Any]]] = []
        super().start_round()

    def feed(self, event: base.SseEvent) -> list[bytes]:
        data = event.payload()
        if data is None:
            return [event.raw]
        kind = str(data.get("type", ""))
        if kind in _OPENING_EVENTS:
            if self.started and self.rounds > 1:
                return []
            self.started = True
            return [self._encode(event, data)]
        if kind in _CLOSING_EVENTS:
            if self.retrieve:
                self.closing.append((event, data))  # numbered when it is sent
                return []
            return [self._encode(event, data)]
        if "output_index" not in data:
            return [self._encode(event, data)]
        return self._item_event(event, kind, data)

    def _item_event(self, event: base.SseEvent, kind: str, data: dict[str, Any]) -> list[bytes]:
        local = int(data.get("output_index", 0))
        item = data.get("item") if isinstance(data.get("item"), dict) else None
        if kind == "response.output_item.added" and item is not None:
            if item.get("type") == "function_call" and item.get("name") == RETRIEVE_TOOL_NAME:
                self.retrieve[local] = {"call_id": str(item.get("call_id") or ""), "args": ""}
            elif item.get("type") == "function_call":
                self.other = True
            if local not in self.retrieve:
                self.index_map[local] = self.next_index
                self.next_index += 1
        if kind == "response.output_item.done" and item is not None:
            self.items[local] = copy.deepcopy(item)
        if local in self.retrieve:
            if kind == "response.function_call_arguments.delta":
                self.retrieve[local]["args"] += str(data.get("delta", ""))
            elif kind == "response.function_call_arguments.done":
                self.retrieve[local]["args"] = str(data.get("arguments", ""))
            return []
        return [self._encode(event, dict(data, output_index=self.index_map.get(local, local)))]

    def _encode(self, event: base.SseEvent, data: dict[str, Any]) -> bytes:
        """The event with this stream's next sequence number (its own bytes when unchanged)."""
        changed = (
            data.get("sequence_number", self.sequence) != self.sequence or event.payload() != data
        )
        if "sequence_number" in data:
            data = dict(data, sequence_number=self.sequence)
        self.sequence += 1
        if not changed:
            return event.raw
        return base.sse_event(event.name or str(data.get("type", "")), data)

    def assistant_response(self) -> dict[str, Any]:
        output = []
        for local, item in sorted(self.items.items()):
            if local in self.retrieve:
                item = dict(item, arguments=self.retrieve[local]["args"])
            output.append(item)
        return {"output": output}

    def finish(self) -> list[bytes]:
        return [self._encode(event, data) for event, data in self.closing]


def _is_responses_item(item: Any) -> bool:
    if not isinstance(item, Mapping):
        return False
    if item.get("type") in _RESPONSES_ITEMS:
        return True
    content = item.get("content")
    return isinstance(content, list) and any(
        isinstance(part, Mapping) and part.get("type") == "input_text" for part in content
    )


OPENAI_RESPONSES = OpenAIResponses()
