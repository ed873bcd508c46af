"""OpenAI chat completions (`/v1/chat/completions`): tool calls on assistant messages,
results in `tool` messages, streams of `data:` chunks ending in `[DONE]`."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema
from headroom.conversation.segments import (
    Scope,
    Segment,
    ToolCall,
    as_text,
    result_segments,
    text_segments,
)
from headroom.providers import base
from headroom.providers.endpoint import Endpoint, LiteLLMCalls, SdkSurface

__all__ = ["OPENAI_CHAT", "OpenAIChat", "openai_endpoint"]

_OPENAI_ROLES = frozenset({"tool", "function", "developer"})


def openai_endpoint(path: str, sdk: SdkSurface, litellm: LiteLLMCalls) -> Endpoint:
    """An endpoint of the OpenAI upstream (its base URL, key header and own headers are
    the same for every OpenAI wire format)."""
    return Endpoint(
        upstream="openai",
        default_base_url="https://api.openai.com",
        path=path,
        credential_header="authorization",
        header_prefixes=("openai-", "x-stainless-"),
        sdk=sdk,
        litellm=litellm,
    )


class OpenAIChat(base.BaseProvider):
    name, conversation_key = "openai", "messages"
    endpoint = openai_endpoint(
        "/v1/chat/completions",
        SdkSurface(
            "openai",
            ("chat.completions",),
            stream_events=("openai.types.chat", "ChatCompletionChunk"),
        ),
        LiteLLMCalls(("completion", "acompletion"), "acompletion"),
    )

    def claims(self, messages: Sequence[Any]) -> bool:
        return any(
            isinstance(m, Mapping) and (m.get("role") in _OPENAI_ROLES or "tool_calls" in m)
            for m in messages
        )

    def tool_calls_in(self, messages: Sequence[Any]) -> dict[str, ToolCall]:
        calls: dict[str, ToolCall] = {}
        for message in messages:
            for call in message.get("tool_calls") or () if isinstance(message, Mapping) else ():
                if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                    function = call["function"]
                    calls[str(call.get("id"))] = ToolCall(
                        function.get("name"), as_text(function.get("arguments"))
                    )
        return calls

    def message_segments(
        self, index: int, message: Mapping[str, Any], calls: Mapping[str, ToolCall], scope: Scope
    ) -> Iterator[Segment]:
        if message.get("role") not in ("tool", "function"):
            return text_segments(index, message, scope)
        unknown = ToolCall(message.get("name"), None)  # a `function` message names itself
        call = calls.get(str(message.get("tool_call_id", "")), unknown)
        return result_segments(call, message.get("content"), (index, "content"), scope)

    def tool_schema(self) -> dict[str, Any]:
        return tool_schema("openai")

    def tool_calls(self, response: dict[str, Any]) -> Iterable[tuple[str, str, Any]]:
        message = (response.get("choices") or [{}])[0].get("message") or {}
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            yield call.get("id", ""), function.get("name", ""), function.get("arguments")

    def add_round(
        self, body: dict[str, Any], response: dict[str, Any], results: list[tuple[str, str]]
    ) -> dict[str, Any]:
        nxt = copy.copy(body)
        messages = list(body.get("messages") or [])
        message = (response.get("choices") or [{}])[0].get("message") or {}
        messages.append(
            {k: v for k, v in message.items() if k in ("role", "content", "tool_calls")}
        )
        messages.extend(
            {"role": "tool", "tool_call_id": cid, "content": text} for cid, text in results
        )
        nxt["messages"] = messages
        return nxt

    def strip_retrieve(self, response: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(response)
        for choice in out.get("choices") or []:
            message = choice.get("message") or {}
            message["tool_calls"] = [
                c
                for c in message.get("tool_calls") or []
                if (c.get("function") or {}).get("name") != RETRIEVE_TOOL_NAME
            ]
        return out

    def stream_relay(self) -> base.StreamRelay:
        return OpenAIChatRelay()


class OpenAIChatRelay(base.HeldRound):
    """An OpenAI chat stream relayed with its retrieve calls held back: every chunk carries
    the first chunk's id, one role chunk opens it, and the last round's finish chunk (and
    usage chunk) then `[DONE]` close it."""

    def __init__(self) -> None:
        self.identity: dict[str, Any] = {}
        self.closing: list[base.StreamEvent] = []
        self.start_round()

    def start_round(self) -> None:
        self.calls: dict[int, dict[str, str]] = {}
        self.text = ""
        super().start_round()

    def feed(self, event: base.StreamEvent) -> list[base.StreamEvent]:
        if isinstance(event.data, str):
            return [] if event.data.strip() == "[DONE]" else [event]
        chunk = copy.deepcopy(event.data)
        later_round = bool(self.identity)
        if not later_round:
            self.identity = {k: chunk[k] for k in ("id", "created") if k in chunk}
        chunk.update(self.identity)
        choices = chunk.get("choices") or []
        closing = not choices and "usage" in chunk
        for choice in choices:
            delta = choice.get("delta") or {}
            if later_round:
                delta.pop("role", None)  # one role chunk opens the answer
            if isinstance(delta.get("content"), str):
                self.text += delta["content"]
            if delta.get("tool_calls"):
                delta["tool_calls"] = [tc for tc in delta["tool_calls"] if not self._absorb(tc)]
                if not delta["tool_calls"]:
                    del delta["tool_calls"]
            closing = closing or bool(choice.get("finish_reason"))
        if closing:  # held: the answer may go on in a next round
            if choices:
                self.closing = []
            self.closing.append(event.replaced(chunk))
            return []
        if chunk == event.data:
            return [event]
        if choices and not any(_said(c.get("delta") or {}) for c in choices):
            return []  # nothing left but what was held back
        return [event.replaced(chunk)]

    def _absorb(self, tool_call: dict[str, Any]) -> bool:
        index = int(tool_call.get("index", 0))
        function = tool_call.get("function") or {}
        if function.get("name") != RETRIEVE_TOOL_NAME and index not in self.calls:
            self.other = True
            return False
        entry = self.calls.setdefault(index, {"id": "", "args": ""})
        entry["id"] = tool_call.get("id") or entry["id"]
        entry["args"] += function.get("arguments") or ""
        return True

    def assistant_response(self) -> dict[str, Any]:
        calls = [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": RETRIEVE_TOOL_NAME, "arguments": c["args"]},
            }
            for _, c in sorted(self.calls.items())
        ]
        return {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": self.text or None,
                        "tool_calls": calls,
                    }
                }
            ]
        }

    def finish(self) -> list[base.StreamEvent]:
        out = []
        for event in self.closing:
            chunk = event.payload
            choices = []
            for choice in chunk.get("choices") or []:
                if choice.get("finish_reason") == "tool_calls" and not self.other:
                    choice = dict(choice, finish_reason="stop")
                choices.append(choice)
            out.append(event.replaced(dict(chunk, choices=choices)) if choices else event)
        if not any(e.payload.get("choices") for e in out) and self.identity:
            chunk = {
                **self.identity,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            out.insert(0, base.StreamEvent(None, chunk))
        return [*out, base.StreamEvent(None, "[DONE]")]


def _said(delta: dict[str, Any]) -> bool:
    return any(value not in (None, "") for value in delta.values())


OPENAI_CHAT = OpenAIChat()
