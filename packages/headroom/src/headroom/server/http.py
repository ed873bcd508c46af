"""JSON errors and bounded request reading for the server."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from headroom.engine.pipeline import Headroom
from headroom.server.tenancy import namespace_for

__all__ = [
    "MAX_JSON_DEPTH",
    "ApiError",
    "engine_for",
    "error_response",
    "json_depth",
    "read_any_json",
    "read_json",
]

MAX_JSON_DEPTH = 128
"""Request bodies nested deeper than this (arrays and objects) are refused with a 400:
provider requests nest a few dozen levels at most, and every walk stays far from the
interpreter's recursion limit."""


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


class _NonFinite(ValueError):
    """NaN, Infinity or a number too large for a double: not standard JSON."""


def _finite(literal: str) -> float:
    number = float(literal)
    if number - number != 0.0:  # inf or nan
        raise _NonFinite(literal)
    return number


def _non_finite(literal: str) -> float:
    raise _NonFinite(literal)


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (0 for a scalar), walked iteratively."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


async def read_any_json(request: Request, limit: int) -> Any:
    """The request's JSON value, within `limit` bytes, or an ApiError: 413, or 400 for
    invalid JSON, non-finite numbers (NaN, Infinity: `JSON.parse` refuses them), nesting
    past MAX_JSON_DEPTH and lone surrogates."""
    raw = await read_body(request, limit)
    try:
        body = json.loads(raw, parse_constant=_non_finite, parse_float=_finite)
    except _NonFinite as exc:
        raise ApiError(
            400,
            "invalid_json",
            f"Request body holds the non-finite number {exc}: JSON numbers are finite.",
        ) from None
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "Request body is not valid JSON.") from None
    # Cheap first: nesting deeper than the brackets in the body is impossible.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        raise ApiError(
            400,
            "invalid_request",
            f"Request body nests deeper than {MAX_JSON_DEPTH} levels.",
        )
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
