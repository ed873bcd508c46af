"""Streaming (SSE) pass-through with transparent retrieval.

Events go to the client as they arrive. Only the events of a `headroom_retrieve` tool call
and the closing events that would announce it are held back; if the model called only
that tool, the proxy answers it from the store, opens the next upstream stream, and keeps
relaying into the same client stream (Anthropic content-block indexes continue where they
left off). The client never sees the retrieval tool.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME
from headroom.providers import Provider, RetrieveCall, parse_arguments

__all__ = ["Forward", "relay_stream"]

Answer = Callable[[list[RetrieveCall]], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class Forward:
    """Where and how a proxied request goes upstream."""

    client: httpx.AsyncClient
    url: str
    headers: dict[str, str]
    provider: Provider
    answer: Answer
    max_rounds: int


@dataclass
class _Event:
    name: str | None
    data: str
    raw: bytes


async def _events(response: httpx.Response) -> AsyncIterator[_Event]:
    name: str | None = None
    data: list[str] = []
    raw: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data or name:
                yield _Event(name, "\n".join(data), ("\n".join(raw) + "\n\n").encode())
            name, data, raw = None, [], []
            continue
        raw.append(line)
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield _Event(name, "\n".join(data), ("\n".join(raw) + "\n\n").encode())


class _OpenAIRelay:
    def __init__(self) -> None:
        self.start_round()

    def start_round(self) -> None:
        self.calls: dict[int, dict[str, str]] = {}
        self.text = ""
        self.other = False
        self.held: list[bytes] = []

    def feed(self, event: _Event) -> list[bytes]:
        if event.data.strip() == "[DONE]":
            return []
        try:
            chunk = json.loads(event.data)
        except ValueError:
            return [event.raw]
        if not isinstance(chunk, dict):
            return [event.raw]
        modified = False
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                self.text += delta["content"]
            if delta.get("tool_calls"):
                kept = [tc for tc in delta["tool_calls"] if not self._absorb(tc)]
                if len(kept) != len(delta["tool_calls"]):
                    modified = True
                    if kept:
                        delta["tool_calls"] = kept
                    else:
                        del delta["tool_calls"]
            if choice.get("finish_reason") and self.calls:
                self.held.append(_data(chunk))
                return []
        if modified and not any(c.get("delta") for c in chunk.get("choices") or []):
            return []
        return [_data(chunk) if modified else event.raw]

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

    def retrieve_calls(self) -> list[RetrieveCall]:
        return [
            RetrieveCall(c["id"], *parse_arguments(c["args"]))
            for _, c in sorted(self.calls.items())
        ]

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

    def finish(self) -> list[bytes]:
        return [*self.held, b"data: [DONE]\n\n"]


class _AnthropicRelay:
    def __init__(self) -> None:
        self.next_index = 0
        self.started = False
        self.start_round()

    def start_round(self) -> None:
        self.index_map: dict[int, int] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.retrieve: set[int] = set()
        self.other = False
        self.held: list[bytes] = []

    def feed(self, event: _Event) -> list[bytes]:
        try:
            data = json.loads(event.data)
        except ValueError:
            return [event.raw]
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "message_start":
            if self.started:
                return []
            self.started = True
            return [event.raw]
        if kind in ("content_block_start", "content_block_delta", "content_block_stop"):
            return self._block_event(kind, data)
        if kind in ("message_delta", "message_stop") and self.retrieve:
            self.held.append(event.raw)
            return []
        return [event.raw]

    def _block_event(self, kind: str, data: dict[str, Any]) -> list[bytes]:
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
        out = dict(data, index=self.index_map.get(local, local))
        return [_event(kind, out)]

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

    def retrieve_calls(self) -> list[RetrieveCall]:
        return [
            RetrieveCall(
                str(self.blocks[i].get("id", "")), *parse_arguments(self.blocks[i].get("_json", ""))
            )
            for i in sorted(self.retrieve)
        ]

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

    def finish(self) -> list[bytes]:
        return list(self.held)


def _data(chunk: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def relay_stream(
    upstream_call: Forward, body: dict[str, Any]
) -> AsyncIterator[bytes | httpx.Response]:
    """First item: the upstream's error response, or the first bytes of the relayed stream."""
    client, url, headers = upstream_call.client, upstream_call.url, upstream_call.headers
    provider, answer, max_rounds = (
        upstream_call.provider,
        upstream_call.answer,
        upstream_call.max_rounds,
    )
    relay: _OpenAIRelay | _AnthropicRelay = (
        _OpenAIRelay() if provider.name == "openai" else _AnthropicRelay()
    )
    for round_number in range(max_rounds + 1):
        relay.start_round()
        async with client.stream("POST", url, json=body, headers=headers) as upstream:
            if upstream.status_code >= 400:
                await upstream.aread()
                if round_number == 0:
                    yield upstream
                    return
                break
            async for event in _events(upstream):
                for piece in relay.feed(event):
                    yield piece
        calls = relay.retrieve_calls()
        if not calls or relay.other or round_number == max_rounds:
            break
        body = provider.add_round(body, relay.assistant_response(), await answer(calls))
    for piece in relay.finish():
        yield piece
