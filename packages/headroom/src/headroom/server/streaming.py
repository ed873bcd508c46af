"""Streaming (SSE) transport of the proxy: upstream bytes parsed into events, the events
the retrieval loop yields written back as SSE.

The rounds themselves (held-back retrieve calls, follow-up streams, one answer closed
also when a round fails) are `RetrievalLoop.astream`'s; this module only opens upstream
streams and speaks SSE.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from headroom.engine.retrieval_loop import RetrievalLoop
from headroom.providers.base import StreamEvent
from headroom.server.upstream import UpstreamReply, lines_of, post, whole_reply

__all__ = ["Forward", "UpstreamRefused", "relay_stream"]


@dataclass(frozen=True)
class Forward:
    """Where and how a proxied request goes upstream, and its retrieval loop."""

    session: aiohttp.ClientSession
    url: str
    headers: dict[str, str]
    loop: RetrievalLoop


class UpstreamRefused(Exception):
    """The upstream answered a stream request with an error status."""

    def __init__(self, reply: UpstreamReply) -> None:
        super().__init__(f"upstream status {reply.status}")
        self.reply = reply


async def sse_events(response: aiohttp.ClientResponse) -> AsyncIterator[StreamEvent]:
    """The server-sent events of a streamed body, parsed, each with its raw bytes."""
    name: str | None = None
    data: list[str] = []
    raw: list[str] = []
    async for line in lines_of(response):
        if line == "":
            if data or name:
                yield StreamEvent.parse(name, "\n".join(data), ("\n".join(raw) + "\n\n").encode())
            name, data, raw = None, [], []
            continue
        raw.append(line)
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield StreamEvent.parse(name, "\n".join(data), ("\n".join(raw) + "\n\n").encode())


async def relay_stream(forward: Forward, body: dict[str, Any]) -> AsyncIterator[bytes]:
    """The client's stream as SSE bytes; `UpstreamRefused` when the first round is refused."""

    async def open_stream(request: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        async with post(forward.session, forward.url, request, forward.headers) as upstream:
            if upstream.status >= 400:
                raise UpstreamRefused(await whole_reply(upstream))
            async for event in sse_events(upstream):
                yield event

    async for event in forward.loop.astream(body, open_stream):
        yield event.sse()
