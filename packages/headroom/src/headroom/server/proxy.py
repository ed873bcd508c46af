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

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from headroom.engine.retrieval_loop import RetrievalLoop
from headroom.providers import ANTHROPIC, OPENAI_RESPONSES, Provider, registered
from headroom.server.http import ApiError, engine_for, read_any_json
from headroom.server.passthrough import (
    FORWARDED_HEADERS,
    FORWARDED_PREFIXES,
    forward_as_is,
    forwarded_headers,
    upstream_session_of,
    upstream_url,
)
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


def proxy_routes() -> APIRouter:
    """One route per path of each registered endpoint (its stream path too)."""
    router = APIRouter()
    for provider in registered():
        for path in provider.endpoint.paths():
            streamed = path == provider.endpoint.stream_path
            router.add_api_route(
                path,
                _handler(provider, path, streamed),
                methods=["POST"],
                response_model=None,
                name=f"{provider.name}{'_stream' if streamed else ''}",
            )
    return router


def _handler(provider: Provider, path: str, streamed: bool) -> Any:
    async def handle(request: Request) -> Response:
        return await _proxy(request, provider, path, streamed)

    return handle


async def _proxy(request: Request, provider: Provider, path: str, streamed: bool) -> Response:
    """`streamed`: the route itself streams (Gemini's `:streamGenerateContent`), which
    Headroom relays when it is asked as SSE (`alt=sse`); any other form goes as it came."""
    settings = request.app.state.settings
    if streamed and request.query_params.get("alt") != "sse":
        return await forward_as_is(request, request.url.path)
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
    base = settings.base_url(provider.endpoint.upstream)
    url = upstream_url(base, provider.endpoint.upstream_path(path, request.path_params))
    if request.url.query:
        url += "?" + request.url.query
    forward = Forward(upstream_session_of(request), url, forwarded_headers(request), loop)

    with upstream_errors(base):
        if streamed or (isinstance(body, dict) and body.get("stream")):
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


async def _prepend(first: bytes, rest: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk
