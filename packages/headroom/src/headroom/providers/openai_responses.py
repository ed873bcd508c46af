"""OpenAI Responses (`/v1/responses`): the conversation is a list of `input` items;
`function_call` items are the model's tool calls and `function_call_output` items their
results; streams are named `response.*` events addressed by `output_index`."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME
from headroom.conversation.segments import (
    UNKNOWN_CALL,
    Scope,
    Segment,
    ToolCall,
    as_text,
    result_segments,
    text_segments,
)
from headroom.providers import base
from headroom.providers.endpoint import LiteLLMCalls, SdkSurface
from headroom.providers.openai_chat import OPENAI_CHAT, openai_endpoint

__all__ = ["OPENAI_RESPONSES", "OpenAIResponses"]

_RESPONSES_ITEMS = frozenset({"function_call", "function_call_output", "reasoning"})
_CLOSING_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_OPENING_EVENTS = frozenset({"response.created", "response.queued", "response.in_progress"})


class OpenAIResponses(base.BaseProvider):
    name, conversation_key = "openai_responses", "input"
    endpoint = openai_endpoint(
        "/v1/responses",
        SdkSurface(
            "openai",
            ("responses",),
            stream_events=("openai.types.responses", "ResponseStreamEvent"),
        ),
        LiteLLMCalls(("responses", "aresponses"), "aresponses"),
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
        """Chained to this response with `previous_response_id` (the upstream keeps the
        history, only the results are sent) unless the request is `store: false`; then the
        whole input and this response's output are re-sent."""
        outputs = [
            {"type": "function_call_output", "call_id": cid, "output": text}
            for cid, text in results
        ]
        nxt = copy.copy(body)
        if body.get("store") is not False and response.get("id"):
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
    """A Responses stream relayed with its retrieve calls held back, as one response: the
    first round's `response.created` / `in_progress` open it, every lifecycle event carries
    that response's id, output indexes and sequence numbers continue across rounds, and the
    last round's closing event ends it with the whole output the client was sent."""

    def __init__(self) -> None:
        self.next_index = 0
        self.sequence = 0
        self.identity: dict[str, Any] = {}
        self.opened: set[str] = set()
        self.output: list[dict[str, Any]] = []
        self.closing: dict[str, Any] | None = None
        self.round_id = ""
        self.start_round()

    def start_round(self) -> None:
        self.index_map: dict[int, int] = {}
        self.items: dict[int, dict[str, Any]] = {}
        self.retrieve: dict[int, dict[str, str]] = {}
        super().start_round()

    def feed(self, event: base.StreamEvent) -> list[base.StreamEvent]:
        data = event.payload
        kind = str(data.get("type", ""))
        response = data.get("response") if isinstance(data.get("response"), dict) else None
        if kind in _OPENING_EVENTS and response is not None:
            self.round_id = str(response.get("id") or "")
            if kind in self.opened:
                return []  # a later round opens: the client's response is open already
            if not self.identity:
                self.identity = {k: response[k] for k in ("id", "created_at") if k in response}
            self.opened.add(kind)
            return [self._encode(event, dict(data, response=self._as_one(response)))]
        if kind in _CLOSING_EVENTS and response is not None:
            self.closing = data  # held: the answer may go on in a next round
            return []
        if "output_index" not in data:
            return [self._encode(event, data)]
        return self._item_event(event, kind, data)

    def _as_one(self, response: dict[str, Any], output: list[Any] | None = None) -> dict[str, Any]:
        """`response` with the client's response id (and, when given, the whole output)."""
        out = dict(response, **self.identity)
        return out if output is None else dict(out, output=output)

    def _item_event(
        self, event: base.StreamEvent, kind: str, data: dict[str, Any]
    ) -> list[base.StreamEvent]:
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
            if local not in self.retrieve:
                self.output.append(copy.deepcopy(item))
        if local in self.retrieve:
            if kind == "response.function_call_arguments.delta":
                self.retrieve[local]["args"] += str(data.get("delta", ""))
            elif kind == "response.function_call_arguments.done":
                self.retrieve[local]["args"] = str(data.get("arguments", ""))
            return []
        return [self._encode(event, dict(data, output_index=self.index_map.get(local, local)))]

    def _encode(self, event: base.StreamEvent, data: dict[str, Any]) -> base.StreamEvent:
        """The event with this stream's next sequence number (itself when unchanged)."""
        if "sequence_number" in data:
            data = dict(data, sequence_number=self.sequence)
        self.sequence += 1
        return event if data == event.data else base.StreamEvent(event.name, data)

    def assistant_response(self) -> dict[str, Any]:
        output = []
        for local, item in sorted(self.items.items()):
            if local in self.retrieve:
                item = dict(item, arguments=self.retrieve[local]["args"])
            output.append(item)
        return {"id": self.round_id, "output": output}

    def finish(self) -> list[base.StreamEvent]:
        if not self.opened:
            return []
        closing = self.closing or {
            "type": "response.completed",
            "response": {"object": "response", "status": "completed"},
        }
        data = dict(closing, response=self._as_one(closing["response"], self.output))
        kind = str(data["type"])
        return [self._encode(base.StreamEvent(kind, {}), dict(data, sequence_number=0))]


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
