"""JSON errors and bounded request reading for the server."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from headroom.pipeline import Headroom
from headroom.server.tenancy import namespace_for

__all__ = ["ApiError", "engine_for", "error_response", "read_any_json", "read_json"]


class ApiError(Exception):
    """A request error answered as JSON: {"error": {"type", "message"}}."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def error_response(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _encodes(body: Any) -> bool:
    """Whether `body` is text all the way down (no lone surrogate), checked only when the
    raw bytes hold a surrogate escape at all."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object, within `limit` bytes, or an ApiError (413 / 400)."""
    body = await read_any_json(request, limit)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "Request body must be a JSON object.")
    return body


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, within `limit` bytes, or an ApiError (413)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "request_too_large", f"Request body is over the {limit} byte limit.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(
                413, "request_too_large", f"Request body is over the {limit} byte limit."
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def read_any_json(request: Request, limit: int) -> Any:
    """The request's JSON value, within `limit` bytes, or an ApiError (413 / 400)."""
    raw = await read_body(request, limit)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "Request body is not valid JSON.") from None
    if _SURROGATE_ESCAPE.search(raw) and not _encodes(body):
        raise ApiError(
            400,
            "invalid_unicode",
            "Request body holds a lone UTF-16 surrogate escape (such as \\ud800): it is "
            "not text any provider accepts.",
        )
    return body


def engine_for(request: Request, *, excluded_tools: tuple[str, ...] = ()) -> Headroom:
    """The engine of the caller's namespace (from its credentials)."""
    pool = request.app.state.pool
    engine: Headroom = pool.get(
        namespace_for(request.headers, pool.config.namespace), excluded_tools=excluded_tools
    )
    return engine
