"""Bridge API: what the JS client and other languages call."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from headroom.compressed import CompressResultDict
from headroom.engine.pipeline import Headroom
from headroom.server.http import ApiError, engine_for, read_json
from headroom.tokens import DEFAULT_MODEL

__all__ = ["bridge_routes"]


class CompressRequest(BaseModel):
    messages: list[Any] = Field(description="OpenAI- or Anthropic-shaped messages.")
    model: str = DEFAULT_MODEL
    query: str | None = Field(
        default=None, description="Overrides the latest user message as the query."
    )


class RetrieveRequest(BaseModel):
    ref: str
    query: str | None = None


class RetrieveResponse(BaseModel):
    ref: str
    found: bool
    text: str | None


class StatsResponse(BaseModel):
    namespace: str
    entries: int
    bytes: int
    compressions: int
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    retrievals: int


def bridge_routes() -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/v1/compress", response_model=CompressResultDict)
    async def compress(request: Request) -> Response:
        body = CompressRequest.model_validate(
            await read_json(request, request.app.state.settings.max_request_bytes)
        )
        engine = engine_for(request)
        result = await run_in_threadpool(
            engine.compress, body.messages, model=body.model, query=body.query
        )
        answer = result.to_dict()  # the one serialised form of a request's result
        try:  # messages as they came, however deep (the model serialiser stops at a depth)
            encoded = json.dumps(answer, ensure_ascii=False).encode("utf-8", "surrogatepass")
        except (RecursionError, ValueError):
            raise ApiError(400, "invalid_request", "The messages are nested too deeply.") from None
        return Response(encoded, media_type="application/json")

    @router.post("/v1/retrieve", response_model=RetrieveResponse)
    async def retrieve(request: Request) -> RetrieveResponse:
        body = RetrieveRequest.model_validate(
            await read_json(request, request.app.state.settings.max_request_bytes)
        )
        return await _retrieve(request, body.ref, body.query)

    @router.get("/v1/retrieve/{ref}", response_model=RetrieveResponse)
    async def retrieve_get(
        request: Request, ref: str, query: str | None = None
    ) -> RetrieveResponse:
        return await _retrieve(request, ref, query)

    @router.get("/v1/stats", response_model=StatsResponse)
    async def stats(request: Request) -> StatsResponse:
        engine = engine_for(request)
        return await run_in_threadpool(_stats, engine)  # store calls stay off the event loop

    return router


def _stats(engine: Headroom) -> StatsResponse:
    s = engine.stats()
    namespace = engine.config.namespace
    return StatsResponse(
        namespace=namespace,
        entries=s.entries,
        bytes=s.bytes,
        compressions=s.compressions,
        tokens_before=s.tokens_before,
        tokens_after=s.tokens_after,
        tokens_saved=s.tokens_saved,
        retrievals=s.retrievals,
    )


async def _retrieve(request: Request, ref: str, query: str | None) -> RetrieveResponse:
    engine = engine_for(request)
    # Records the retrieval in the activity log; store calls stay off the event loop.
    text = await run_in_threadpool(engine.retrieve, ref, query)
    return RetrieveResponse(ref=ref, found=text is not None, text=text)
