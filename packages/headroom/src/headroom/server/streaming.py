"""Streaming (SSE) pass-through with transparent retrieval.

Events go to the client as they arrive. Only the events of a `headroom_retrieve` tool call
and the closing events that would announce it are held back; if the model called only
that tool, the proxy answers it from the store, opens the next upstream stream, and keeps
relaying into the same client stream (Anthropic content-block indexes continue where they
left off). The client never sees the retrieval tool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from headroom.providers import Provider, RetrieveCall, SseEvent

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


async def _events(response: httpx.Response) -> AsyncIterator[SseEvent]:
    name: str | None = None
    data: list[str] = []
    raw: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data or name:
                yield SseEvent(name, "\n".join(data), ("\n".join(raw) + "\n\n").encode())
            name, data, raw = None, [], []
            continue
        raw.append(line)
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield SseEvent(name, "\n".join(data), ("\n".join(raw) + "\n\n").encode())


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
    relay = provider.stream_relay()
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
