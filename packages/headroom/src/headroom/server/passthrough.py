"""Every other provider path (`/v1/models`, `/v1/messages/count_tokens`, `/v1/embeddings`,
`/v1beta/models/...:countTokens`, ...) forwarded untouched, streamed both ways, under the
same size limit and auth rules.

The routes and the upstream are generated from the registered endpoints: one catch-all
per path root they use (`/v1`, `/v1beta`). A path under an endpoint's own prefix
(`/v1/messages/...`) goes to its upstream, then a root only one upstream uses, then a
request carrying an upstream's client headers (`anthropic-version`, `x-goog-api-key`);
everything else to the OpenAI one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from headroom.providers import OPENAI_CHAT, registered
from headroom.server.http import read_body
from headroom.server.proxy import forwarded_headers, upstream_session_of, upstream_url
from headroom.server.upstream import upstream_errors

__all__ = ["forward_as_is", "passthrough_routes", "upstream_for"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
)


def passthrough_routes() -> APIRouter:
    router = APIRouter()
    for root in dict.fromkeys(p.endpoint.root for p in registered()):
        router.add_api_route(
            root + "/{rest:path}",
            _catch_all(root),
            methods=_METHODS,
            include_in_schema=False,
            name=f"passthrough{root.replace('/', '_')}",
        )
    return router


def _catch_all(root: str) -> Any:
    async def forward(request: Request, rest: str) -> Response:
        return await forward_as_is(request, f"{root}/{rest}")

    return forward


def upstream_for(path: str, headers: Mapping[str, str]) -> str:
    """The upstream a pass-through request goes to (see the module's docstring)."""
    endpoints = [p.endpoint for p in registered()]
    for endpoint in endpoints:
        if any(path == p or path.startswith(p + "/") for p in endpoint.owned_prefixes()):
            return endpoint.upstream
    by_root = {e.upstream for e in endpoints if path.startswith(e.root + "/")}
    if len(by_root) == 1:
        return by_root.pop()
    for endpoint in endpoints:
        if any(name in headers for name in endpoint.client_headers):
            return endpoint.upstream
    return OPENAI_CHAT.endpoint.upstream


async def forward_as_is(request: Request, path: str) -> Response:
    """`request` sent to its upstream at `path` untouched, the reply relayed as it comes."""
    settings = request.app.state.settings
    body = await read_body(request, settings.max_request_bytes)
    base = settings.base_url(upstream_for(path, request.headers))
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
