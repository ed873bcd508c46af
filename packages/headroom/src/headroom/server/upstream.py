"""The connection to the provider: one aiohttp session per app, and what a reply is.

aiohttp rather than httpx here: on loopback, a 60 KB request costs it about a millisecond
less per round trip, and the proxy makes one (or more, with retrievals) per request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from headroom.server.http import ApiError

__all__ = [
    "UpstreamReply",
    "lines_of",
    "post",
    "post_json",
    "upstream_errors",
    "upstream_session",
    "whole_reply",
]

_CONNECT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class UpstreamReply:
    """A whole upstream reply: its status, content type and body."""

    status: int
    content_type: str | None
    body: bytes

    def as_dict(self) -> dict[str, Any]:
        """The reply as a dict; {} (nothing to answer) for an error or non-JSON."""
        if self.status >= 400:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def upstream_session(upstream_timeout_s: float) -> aiohttp.ClientSession:
    """The session requests go upstream with (the app's lifespan owns it): no overall
    deadline, as a stream may last; each read waits at most `upstream_timeout_s`. It keeps
    no cookies: one a provider's edge sets for one caller must not go out with another's."""
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=_CONNECT_TIMEOUT_S, sock_read=upstream_timeout_s
    )
    return aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar())


def post(
    session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str]
) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
    """POST `body` as JSON (a bypassed `null` included) with the caller's headers; the
    response is read as it arrives."""
    return session.post(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "content-type": "application/json"},
    )


async def post_json(
    session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str]
) -> UpstreamReply:
    """`post`, the whole reply read."""
    async with post(session, url, body, headers) as response:
        return await whole_reply(response)


async def whole_reply(response: aiohttp.ClientResponse) -> UpstreamReply:
    """`response` read to its end, as an `UpstreamReply`."""
    return UpstreamReply(
        response.status, response.headers.get("content-type"), await response.read()
    )


async def lines_of(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    """The lines of a streamed body, without their line breaks (\\n, \\r\\n or \\r), as
    they arrive; a line of any length (no read-line limit)."""
    pending = b""
    async for chunk in response.content.iter_any():
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            for piece in line.decode("utf-8", "replace").splitlines() or [""]:
                yield piece
    if pending:
        for piece in pending.decode("utf-8", "replace").splitlines():
            yield piece


@contextmanager
def upstream_errors(base: str) -> Iterator[None]:
    """An upstream that times out is a 504, one that cannot be reached a 502."""
    try:
        yield
    except asyncio.TimeoutError:
        raise ApiError(
            504, "upstream_timeout", f"The upstream at {base} did not answer in time."
        ) from None
    except aiohttp.ClientError as exc:
        message = f"Could not reach the upstream at {base}: {type(exc).__name__}."
        raise ApiError(502, "upstream_unreachable", message) from None
