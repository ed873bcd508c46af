"""Every other provider path (`/v1/models`, `/v1/messages/count_tokens`, `/v1/embeddings`,
...) forwarded untouched, streamed both ways, under the same size limit and auth rules.

Anthropic paths (`/v1/messages/...`) and requests carrying Anthropic headers go to the
Anthropic upstream; everything else to the OpenAI one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from headroom.server.http import read_body
from headroom.server.proxy import forwarded_headers, upstream_session_of, upstream_url
from headroom.server.upstream import upstream_errors

__all__ = ["passthrough_routes"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_ANTHROPIC_HEADERS = ("anthropic-version", "x-api-key")
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
)


def passthrough_routes() -> APIRouter:
    router = APIRouter()

    @router.api_route("/v1/{rest:path}", methods=_METHODS, include_in_schema=False)
    async def forward(request: Request, rest: str) -> Response:
        return await _forward(request, f"/v1/{rest}")

    return router


async def _forward(request: Request, path: str) -> Response:
    settings = request.app.state.settings
    body = await read_body(request, settings.max_request_bytes)
    anthropic = path.startswith("/v1/messages") or any(
        name in request.headers for name in _ANTHROPIC_HEADERS
    )
    base = settings.anthropic_base_url if anthropic else settings.openai_base_url
    url = upstream_url(base, path)
    with upstream_errors(base):
        upstream = await upstream_session_of(request).request(
            request.method,
            url,
            params=list(request.query_params.multi_items()),
            data=body,
            headers=forwarded_headers(request),
        )
    # The body is relayed decoded, so its content-encoding goes with the other framing.
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
    return StreamingResponse(_relayed(upstream), status_code=upstream.status, headers=headers)


async def _relayed(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.content.iter_any():
            yield chunk
    finally:
        upstream.release()
