"""`GET /dashboard`: a single self-contained page (no CDN) over the activity log.

The page reads `/v1/dashboard/data` (and `/v1/dashboard/payload/{ref}` for the side-by-side
view) for the caller's own namespace, and refreshes every 5 seconds.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from headroom.errors import ActivityUnsupported
from headroom.server.http import ApiError, engine_for

__all__ = ["dashboard_routes"]


def dashboard_routes() -> APIRouter:
    router = APIRouter()

    @router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(
            files("headroom.server").joinpath("dashboard.html").read_text(encoding="utf-8")
        )

    @router.get("/v1/dashboard/data")
    async def data(request: Request) -> dict[str, Any]:
        engine = engine_for(request)
        namespace = engine.config.namespace
        try:
            result: dict[str, Any] = await run_in_threadpool(engine.store.dashboard, namespace)
        except ActivityUnsupported as exc:
            raise ApiError(501, "no_activity_log", str(exc)) from None
        return result

    @router.get("/v1/dashboard/payload/{ref}")
    async def payload(request: Request, ref: str) -> dict[str, Any]:
        engine = engine_for(request)
        namespace, key = engine.config.namespace, ref.strip().lower()
        try:
            found = await run_in_threadpool(engine.store.payload_preview, namespace, key)
        except ActivityUnsupported as exc:
            raise ApiError(501, "no_activity_log", str(exc)) from None
        if found is None:
            raise ApiError(404, "not_found", f"No payload {ref} in this namespace.")
        return found

    return router
