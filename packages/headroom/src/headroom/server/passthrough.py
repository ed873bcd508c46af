"""Every other provider path (`/v1/models`, `/v1/messages/count_tokens`, `/v1/embeddings`,
...) forwarded untouched, streamed both ways, under the same size limit and auth rules.

Anthropic paths (`/v1/messages/...`) and requests carrying Anthropic headers go to the
Anthropic upstream; everything else to the OpenAI one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from headroom.server.http import read_body
from headroom.server.proxy import (
    forwarded_headers,
    upstream_client_of,
    upstream_errors,
    upstream_url,
)

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
    client = upstream_client_of(request)
    outgoing = client.build_request(
        request.method,
        url,
        params=request.query_params,
        content=body,
        headers=forwarded_headers(request),
    )
    with upstream_errors(base):
        upstream = await client.send(outgoing, stream=True)
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
    return StreamingResponse(_relayed(upstream), status_code=upstream.status_code, headers=headers)


async def _relayed(upstream: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        await upstream.aclose()
