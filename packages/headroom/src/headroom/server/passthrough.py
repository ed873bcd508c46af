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
from headroom.providers.endpoint import upstream_url
from headroom.server.http import ApiError, read_body
from headroom.server.upstream import upstream_errors

__all__ = [
    "FORWARDED_HEADERS",
    "FORWARDED_PREFIXES",
    "forward_as_is",
    "forwarded_headers",
    "passthrough_routes",
    "upstream_for",
    "upstream_session_of",
    "upstream_url",
]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# The caller's headers that go upstream; every other one (cookies, forwarding and proxy
# headers, Headroom's own, the connection's) stays here. Documented in docs/server.md.
FORWARDED_HEADERS = frozenset(
    {
        "accept",
        "authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "content-type",
        "user-agent",
        "idempotency-key",
        "x-request-id",
        "x-client-request-id",
    }
)
FORWARDED_PREFIXES = ("anthropic-", "openai-", "x-stainless-")


def _forwarded() -> tuple[frozenset[str], tuple[str, ...]]:
    """The allow-list with every registered endpoint's credential header and prefixes."""
    endpoints = [p.endpoint for p in registered()]
    names = FORWARDED_HEADERS.union(e.credential_header for e in endpoints)
    prefixes = tuple(
        dict.fromkeys([*FORWARDED_PREFIXES, *(x for e in endpoints for x in e.header_prefixes)])
    )
    return names, prefixes


_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
)


def passthrough_routes() -> APIRouter:
    router = APIRouter()
    roots = (root for p in registered() for root in p.endpoint.path_roots())
    for root in dict.fromkeys(roots):
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
    by_root = {e.upstream for e in endpoints for r in e.path_roots() if path.startswith(r + "/")}
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


def forwarded_headers(request: Request) -> dict[str, str]:
    """The caller's headers that go upstream: an allow-list (credentials, content type,
    provider version and beta headers, SDK metadata) and the `forward_headers` setting.
    Cookies and everything else stay here."""
    extra: tuple[str, ...] = request.app.state.settings.forward_headers
    known, known_prefixes = _forwarded()
    names = known.union(n for n in extra if not n.endswith("*"))
    prefixes = known_prefixes + tuple(n.rstrip("*") for n in extra if n.endswith("*"))
    return {
        k: v
        for k, v in request.headers.items()
        if (k.lower() in names or k.lower().startswith(prefixes)) and k.lower() != "cookie"
    }


def upstream_session_of(request: Request) -> aiohttp.ClientSession:
    session: aiohttp.ClientSession | None = getattr(request.app.state, "upstream", None)
    if session is None:
        raise ApiError(503, "starting", "The server is not started (its lifespan did not run).")
    return session


async def _relayed(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.content.iter_any():
            yield chunk
    finally:
        upstream.release()
