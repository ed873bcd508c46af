"""Anthropic messages (`/v1/messages`): `tool_use` and `tool_result` content blocks,
`cache_control` breakpoints, streams of named events with indexed content blocks."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema
from headroom.conversation.segments import (
    UNKNOWN_CALL,
    Path,
    Scope,
    Segment,
    ToolCall,
    as_text,
    is_block,
    result_segments,
    text_segments,
)
from headroom.providers import base
from headroom.providers.endpoint import Endpoint, LiteLLMCalls, SdkSurface

__all__ = ["ANTHROPIC", "Anthropic"]

_ANTHROPIC_BLOCKS = frozenset({"tool_use", "tool_result", "thinking", "redacted_thinking"})
_MAX_BREAKPOINTS = 4  # Anthropic accepts at most four cache_control marks per request


class Anthropic(base.BaseProvider):
    name, conversation_key = "anthropic", "messages"
    endpoint = Endpoint(
        upstream="anthropic",
        default_base_url="https://api.anthropic.com",
        path="/v1/messages",
        credential_header="x-api-key",
        client_headers=("anthropic-version", "x-api-key"),
        header_prefixes=("anthropic-", "x-stainless-"),
        sdk=SdkSurface(
            "anthropic",
            ("messages",),
            stream_events=("anthropic.types", "RawMessageStreamEvent"),
        ),
        litellm=LiteLLMCalls(
            ("anthropic_messages",),
            "aanthropic_messages",
            "litellm.anthropic_interface.messages.acreate",
        ),
    )

    def claims(self, messages: Sequence[Any]) -> bool:
        for message in messages:
            content = message.get("content") if isinstance(message, Mapping) else None
            for block in content if isinstance(content, list) else ():
                if isinstance(block, Mapping) and (
                    block.get("type") in _ANTHROPIC_BLOCKS
                    or (block.get("type") == "image" and "source" in block)
                ):
                    return True
        return False

    def tool_calls_in(self, messages: Sequence[Any]) -> dict[str, ToolCall]:
        calls: dict[str, ToolCall] = {}
        for message in messages:
            content = message.get("content") if isinstance(message, Mapping) else None
            for block in content if isinstance(content, list) else ():
                if is_block(block, "tool_use"):
                    calls[str(block.get("id"))] = ToolCall(
                        block.get("name"), as_text(block.get("input"))
                    )
        return calls

    def message_segments(
        self, index: int, message: Mapping[str, Any], calls: Mapping[str, ToolCall], scope: Scope
    ) -> Iterator[Segment]:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            for block_index, block in enumerate(content):
                if (
                    not is_block(block, "tool_result")
                    or ("cache_control" in block and not scope.include_cached)
                    or block.get("is_error")
                ):
                    continue
                call = calls.get(str(block.get("tool_use_id", "")), UNKNOWN_CALL)
                base_path: Path = (index, "content", block_index, "content")
                yield from result_segments(call, block.get("content"), base_path, scope)
        yield from text_segments(index, message, scope)

    def tool_schema(self) -> dict[str, Any]:
        return tool_schema("anthropic")

    def tool_calls(self, response: dict[str, Any]) -> Iterable[tuple[str, str, Any]]:
        return (
            (b.get("id", ""), b.get("name", ""), b.get("input"))
            for b in response.get("content") or []
            if isinstance(b, dict) and b.get("type") == "tool_use"
        )

    def add_round(
        self, body: dict[str, Any], response: dict[str, Any], results: list[tuple[str, str]]
    ) -> dict[str, Any]:
        nxt = copy.copy(body)
        nxt["messages"] = [
            *(body.get("messages") or []),
            {"role": "assistant", "content": response.get("content") or []},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": cid, "content": text}
                    for cid, text in results
                ],
            },
        ]
        return nxt

    def strip_retrieve(self, response: dict[str, Any]) -> dict[str, Any]:
        return base.without_retrieve(response, "content", "tool_use")

    def append_context(self, messages: list[Any], block: str) -> list[Any]:
        """Merged into a closing user message (two user turns in a row are refused)."""
        out = list(messages)
        last = out[-1] if out else None
        if isinstance(last, dict) and last.get("role") == "user":
            content = last.get("content")
            parts = (
                [{"type": "text", "text": content}]
                if isinstance(content, str)
                else list(content or [])
            )
            out[-1] = {**last, "content": [*parts, {"type": "text", "text": block}]}
            return out
        out.append({"role": "user", "content": block})
        return out

    def add_cache_breakpoints(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        """`cache_control` on the last tool, system block and message (within the limit)."""
        out = copy.deepcopy(body)
        marks = [json.dumps(out, default=str).count('"cache_control"')]

        def mark(block: Any) -> None:
            if (
                isinstance(block, dict)
                and "cache_control" not in block
                and marks[0] < _MAX_BREAKPOINTS
            ):
                block["cache_control"] = {"type": "ephemeral"}
                marks[0] += 1

        if out.get("tools"):
            mark(out["tools"][-1])
        system = out.get("system")
        if isinstance(system, str) and system:
            out["system"] = [{"type": "text", "text": system}]
            system = out["system"]
        if isinstance(system, list) and system:
            mark(system[-1])
        messages = out.get("messages") or []
        if messages and isinstance(messages[-1], dict):
            content = messages[-1].get("content")
            if isinstance(content, str):
                messages[-1]["content"] = [{"type": "text", "text": content}]
                content = messages[-1]["content"]
            if isinstance(content, list) and content:
                mark(content[-1])
        return out

    def stream_relay(self) -> base.StreamRelay:
        return AnthropicRelay()


class AnthropicRelay(base.HeldRound):
    """An Anthropic stream relayed with its retrieve blocks held back: one `message_start`,
    block indexes that continue across rounds, and the last round's `message_delta` /
    `message_stop` at the end (made up when a round failed before sending them)."""

    def __init__(self) -> None:
        self.next_index = 0
        self.started = False
        self.open_blocks: set[int] = set()
        self.closing: list[base.StreamEvent] = []
        self.start_round()

    def start_round(self) -> None:
        self.index_map: dict[int, int] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.retrieve: set[int] = set()
        super().start_round()

    def feed(self, event: base.StreamEvent) -> list[base.StreamEvent]:
        data = event.payload
        kind = data.get("type")
        if kind == "message_start":
            if self.started:
                return []
            self.started = True
            return [event]
        if kind in ("content_block_start", "content_block_delta", "content_block_stop"):
            return self._block_event(event, str(kind), data)
        if kind == "message_delta":
            self.closing = [event]  # the stop reason is known only once no round follows
            return []
        if kind == "message_stop":
            self.closing.append(event)
            return []
        return [event]

    def _block_event(
        self, event: base.StreamEvent, kind: str, data: dict[str, Any]
    ) -> list[base.StreamEvent]:
        local = int(data.get("index", 0))
        if kind == "content_block_start":
            block = copy.deepcopy(data.get("content_block") or {})
            self.blocks[local] = block
            if block.get("type") == "tool_use":
                if block.get("name") == RETRIEVE_TOOL_NAME:
                    self.retrieve.add(local)
                else:
                    self.other = True
            if local not in self.retrieve:
                self.index_map[local] = self.next_index
                self.next_index += 1
        elif kind == "content_block_delta":
            self._accumulate(local, data.get("delta") or {})
        if local in self.retrieve:
            return []
        index = self.index_map.get(local, local)
        if kind == "content_block_start":
            self.open_blocks.add(index)
        elif kind == "content_block_stop":
            self.open_blocks.discard(index)
        return [event if index == local else event.replaced(dict(data, index=index))]

    def _accumulate(self, local: int, delta: dict[str, Any]) -> None:
        block = self.blocks.setdefault(local, {})
        kinds = {
            "text_delta": ("text", "text"),
            "input_json_delta": ("partial_json", "_json"),
            "thinking_delta": ("thinking", "thinking"),
            "signature_delta": ("signature", "signature"),
        }
        source, target = kinds.get(str(delta.get("type")), ("", ""))
        if source:
            block[target] = block.get(target, "") + str(delta.get(source, ""))

    def assistant_response(self) -> dict[str, Any]:
        content = []
        for _, block in sorted(self.blocks.items()):
            block = dict(block)
            if block.get("type") == "tool_use":
                raw = block.pop("_json", "") or "{}"
                try:
                    block["input"] = json.loads(raw)
                except ValueError:
                    block["input"] = {}
            content.append(block)
        return {"content": content}

    def finish(self) -> list[base.StreamEvent]:
        out = [
            base.StreamEvent("content_block_stop", {"type": "content_block_stop", "index": i})
            for i in sorted(self.open_blocks)
        ]
        if not self.started:
            return out
        delta_event = next(
            (e for e in self.closing if e.payload.get("type") == "message_delta"), None
        )
        if delta_event is None:
            delta_event = base.StreamEvent(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": 0},
                },
            )
        data = delta_event.payload
        delta = data.get("delta") or {}
        if delta.get("stop_reason") == "tool_use" and not self.other:
            delta_event = delta_event.replaced(
                dict(data, delta=dict(delta, stop_reason="end_turn"))
            )
        stop = next(
            (e for e in self.closing if e.payload.get("type") == "message_stop"),
            base.StreamEvent("message_stop", {"type": "message_stop"}),
        )
        return [*out, delta_event, stop]


ANTHROPIC = Anthropic()
