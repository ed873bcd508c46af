"""Streaming (SSE) pass-through with transparent retrieval.

Events go to the client as they arrive. Only the events of a `headroom_retrieve` tool call
and the closing events that would announce it are held back; if the model called only
that tool, the proxy answers it from the store, opens the next upstream stream, and keeps
relaying into the same client stream (Anthropic content-block indexes continue where they
left off). The client never sees the retrieval tool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from starlette.concurrency import run_in_threadpool

from headroom.providers import SseEvent
from headroom.retrieval_loop import RetrievalLoop
from headroom.server.upstream import UpstreamReply, lines_of, post, whole_reply

__all__ = ["Forward", "relay_stream"]


@dataclass(frozen=True)
class Forward:
    """Where and how a proxied request goes upstream, and its retrieval loop."""

    session: aiohttp.ClientSession
    url: str
    headers: dict[str, str]
    loop: RetrievalLoop


async def _events(response: aiohttp.ClientResponse) -> AsyncIterator[SseEvent]:
    name: str | None = None
    data: list[str] = []
    raw: list[str] = []
    async for line in lines_of(response):
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
) -> AsyncIterator[bytes | UpstreamReply]:
    """First item: the upstream's error reply, or the first bytes of the relayed stream."""
    session, url, headers = upstream_call.session, upstream_call.url, upstream_call.headers
    loop = upstream_call.loop
    relay = loop.provider.stream_relay()
    for round_number in range(loop.max_rounds + 1):
        relay.start_round()
        async with post(session, url, body, headers) as upstream:
            if upstream.status >= 400:
                if round_number == 0:
                    yield await whole_reply(upstream)
                    return
                break
            async for event in _events(upstream):
                for piece in relay.feed(event):
                    yield piece
        if relay.other:  # the caller's own tools too: the retrieve calls stay held back
            break
        # Store reads stay off the event loop.
        following = await run_in_threadpool(
            loop.follow_up, body, relay.assistant_response(), round_number
        )
        if following is None:
            break
        body = following
    for piece in relay.finish():
        yield piece
