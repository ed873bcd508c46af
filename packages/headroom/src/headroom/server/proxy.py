"""Drop-in provider proxy: compress the request, forward it, answer retrievals locally.

When compression created refs, the `headroom_retrieve` tool is added to the request. If
the model calls it (and only it), the proxy answers from the store and continues the
conversation upstream, at most `HeadroomConfig.max_retrieval_rounds` times, so the client never sees the
tool. Streaming responses pass through event by event (see `streaming`). Upstream errors
come back with their status and body. `x-headroom-bypass: 1` skips compression.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from headroom.providers import ANTHROPIC, OPENAI_CHAT, OPENAI_RESPONSES, Provider
from headroom.retrieval_loop import RetrievalLoop
from headroom.server.http import ApiError, engine_for, read_any_json
from headroom.server.streaming import Forward, UpstreamRefused, relay_stream
from headroom.server.upstream import UpstreamReply, post_json, upstream_errors

__all__ = [
    "FORWARDED_HEADERS",
    "FORWARDED_PREFIXES",
    "forwarded_headers",
    "proxy_routes",
    "upstream_session_of",
    "upstream_url",
]

logger = logging.getLogger("headroom.proxy")

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


def proxy_routes() -> APIRouter:
    router = APIRouter()

    @router.post(OPENAI_CHAT.path, response_model=None)
    async def openai_chat(request: Request) -> Response:
        return await _proxy(request, OPENAI_CHAT)

    @router.post(ANTHROPIC.path, response_model=None)
    async def anthropic_messages(request: Request) -> Response:
        return await _proxy(request, ANTHROPIC)

    @router.post(OPENAI_RESPONSES.path, response_model=None)
    async def openai_responses(request: Request) -> Response:
        return await _proxy(request, OPENAI_RESPONSES)

    return router


def upstream_url(base: str, path: str) -> str:
    """`base` + `path`, whether the base URL ends in `/v1` or not (both are common)."""
    base = base.rstrip("/")
    if base.endswith("/v1") and path.startswith("/v1/"):
        base = base[: -len("/v1")]
    return base + path


async def _proxy(request: Request, provider: Provider) -> Response:
    settings = request.app.state.settings
    bypass = request.headers.get("x-headroom-bypass", "").strip() in ("1", "true")
    body = await read_any_json(request, settings.max_request_bytes)
    if bypass:
        engine = engine_for(request)  # anything that is JSON goes upstream as it came
        loop = RetrievalLoop(engine, provider)
    else:
        _check_shape(body, provider)
        exclude = request.headers.get("x-headroom-exclude-tools", "")
        engine = engine_for(
            request, excluded_tools=tuple(t.strip() for t in exclude.split(",") if t.strip())
        )
        loop = RetrievalLoop(engine, provider)
        # CPU work runs off the event loop, so one big payload does not stall other requests.
        body, _ = await run_in_threadpool(loop.prepare, body)
    base = (
        settings.openai_base_url if provider.upstream == "openai" else settings.anthropic_base_url
    )
    url = upstream_url(base, provider.path)
    forward = Forward(upstream_session_of(request), url, forwarded_headers(request), loop)

    with upstream_errors(base):
        if isinstance(body, dict) and body.get("stream"):
            return await _stream(forward, body)
        return await _round_trips(forward, body)


async def _stream(forward: Forward, body: dict[str, Any]) -> Response:
    stream = relay_stream(forward, body)
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        return Response(b"", media_type="text/event-stream")
    except UpstreamRefused as refused:  # the upstream refused: its status and body
        reply = refused.reply
        return Response(reply.body, status_code=reply.status, media_type=reply.content_type)
    return StreamingResponse(_prepend(first, stream), media_type="text/event-stream")


def _check_shape(body: Any, provider: Provider) -> None:
    """Refuse, with a 400, a body whose parts Headroom reads are not of their type: the
    conversation, `tools` (a list of objects), `stream` (a boolean), Anthropic's `system`
    (a string or a list). Anything else goes upstream as it came."""
    if not isinstance(body, dict) or not _has_conversation(body, provider):
        key = provider.conversation_key
        raise ApiError(400, "invalid_request", f"The request needs a {key!r} list.")
    tools = body.get("tools")
    if tools is not None and not (
        isinstance(tools, list) and all(isinstance(t, dict) for t in tools)
    ):
        raise ApiError(400, "invalid_request", "'tools' must be a list of objects.")
    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        raise ApiError(400, "invalid_request", "'stream' must be true or false.")
    system = body.get("system")
    if provider is ANTHROPIC and system is not None and not isinstance(system, (str, list)):
        raise ApiError(400, "invalid_request", "'system' must be a string or a list of blocks.")


def _has_conversation(body: dict[str, Any], provider: Provider) -> bool:
    """Whether `body` holds its conversation (Responses also takes `input` as one string)."""
    conversation = body.get(provider.conversation_key)
    return isinstance(conversation, list) or (
        provider is OPENAI_RESPONSES and isinstance(conversation, str)
    )


async def _round_trips(forward: Forward, body: Any) -> Response:
    async def send(request_body: Any) -> UpstreamReply:
        return await post_json(forward.session, forward.url, request_body, forward.headers)

    upstream, stripped = await forward.loop.arun(body, send, UpstreamReply.as_dict)
    if stripped is not None:  # retrieve calls left over: the caller gets the rest
        return JSONResponse(stripped, status_code=upstream.status)
    return Response(upstream.body, status_code=upstream.status, media_type=upstream.content_type)


def forwarded_headers(request: Request) -> dict[str, str]:
    """The caller's headers that go upstream: an allow-list (credentials, content type,
    provider version and beta headers, SDK metadata) and the `forward_headers` setting.
    Cookies and everything else stay here."""
    extra: tuple[str, ...] = request.app.state.settings.forward_headers
    names = FORWARDED_HEADERS.union(n for n in extra if not n.endswith("*"))
    prefixes = FORWARDED_PREFIXES + tuple(n.rstrip("*") for n in extra if n.endswith("*"))
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


async def _prepend(first: bytes, rest: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk
