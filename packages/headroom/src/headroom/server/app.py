"""FastAPI app: bridge API (`/v1/compress`, `/v1/retrieve`, `/v1/stats`, `/health`) and the
provider proxy, whose routes come from the registered endpoints (`/v1/chat/completions`,
`/v1/responses`, `/v1/messages`, `/v1beta/models/{model}:generateContent` and
`:streamGenerateContent`), then pass-through of every other path under their roots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from headroom._version import __version__
from headroom.ccr.store import CCRStore
from headroom.config import HeadroomConfig
from headroom.engine.engines import EnginePool
from headroom.errors import StoreError
from headroom.server.bridge import bridge_routes
from headroom.server.dashboard import dashboard_routes
from headroom.server.http import ApiError, error_response
from headroom.server.passthrough import passthrough_routes
from headroom.server.proxy import proxy_routes
from headroom.server.settings import ServerSettings, is_loopback
from headroom.server.tenancy import token_ok
from headroom.server.upstream import upstream_session

__all__ = ["ServerSettings", "create_app"]


def create_app(
    settings: ServerSettings | None = None,
    config: HeadroomConfig | None = None,
    store: CCRStore | None = None,
) -> FastAPI:
    """The app; `settings.check()` refuses an exposed host without a token."""
    settings = settings or ServerSettings.from_env()
    settings.check()
    pool = EnginePool(config or settings.engine, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One upstream client per app, made at startup and closed at shutdown.
        app.state.upstream = upstream_session(settings.upstream_timeout_s)
        try:
            yield
        finally:
            await app.state.upstream.close()

    app = FastAPI(
        title="Headroom",
        version=__version__,
        description="Context compression for LLM applications.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.pool = pool

    app.add_middleware(_Gate, settings=settings)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.kind, exc.message)

    @app.exception_handler(ValidationError)
    async def invalid_body(_: Request, exc: ValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(
            400, "invalid_request", f"Request body does not match the API: {problems}."
        )

    @app.exception_handler(StoreError)
    async def store_unavailable(_: Request, exc: StoreError) -> JSONResponse:
        # Compression fails open on its own; this is a route that needs the store to answer.
        return error_response(503, "store_unavailable", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug, not the caller's doing: still JSON (never plain text), details in the log.
        return error_response(500, "internal_error", "Headroom failed on this request.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, "http_error", str(exc.detail))

    app.include_router(bridge_routes())
    app.include_router(proxy_routes())
    app.include_router(dashboard_routes())
    app.include_router(passthrough_routes())  # last: every other /v1, /v1beta path
    return app


class _Gate:
    """Host, origin and token checks in front of every route: a plain ASGI middleware (no
    per-request task or body stream wrapping, so the proxy path stays fast)."""

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refused = _refused_origin(request, self.settings)
        if refused is None and request.url.path != "/health":
            offered = dict(request.headers)
            if request.url.path == "/dashboard" and "token" in request.query_params:
                offered["x-headroom-token"] = request.query_params["token"]  # no headers in a link
            if not token_ok(offered, self.settings.api_token):
                refused = error_response(
                    401, "unauthorized", "Missing or wrong x-headroom-token header."
                )
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _refused_origin(request: Request, settings: ServerSettings) -> JSONResponse | None:
    """Refuse requests a browser was tricked into sending. Without a token only loopback
    (and allowed) names are served, so a page whose name resolves to 127.0.0.1 (DNS
    rebinding) gets nothing; with a token, other names are served unless an allow-list is
    set (421 then). A cross-origin browser request is refused either way (no CORS)."""
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname or ""
    known = is_loopback(host) or host in settings.allowed_hosts
    if not known and not settings.api_token:
        return error_response(
            403,
            "forbidden",
            "Without HEADROOM_API_TOKEN this server only answers requests addressed to a "
            "loopback name (127.0.0.1, localhost, ::1) or one in HEADROOM_ALLOWED_HOSTS.",
        )
    if not known and settings.allowed_hosts:
        return error_response(
            421, "misdirected_request", f"This server does not answer to the name {host!r}."
        )
    origin = request.headers.get("origin")
    if origin is not None:
        origin_host = urlsplit(origin).hostname or "" if origin != "null" else ""
        same_site = origin_host == host or (is_loopback(origin_host) and is_loopback(host))
        if not same_site and origin_host not in settings.allowed_hosts:
            return error_response(
                403, "forbidden", "Cross-origin browser requests are not served (no CORS)."
            )
    return None
