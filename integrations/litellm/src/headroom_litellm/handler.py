"""The proxy hook and the SDK helpers.

Both compress the conversation, offer `headroom_retrieve` whenever it holds a marker, and
answer the model's retrieve calls with a follow-up call through LiteLLM itself (the
engine's retrieval loop, `headroom.engine.retrieval_loop`): chat completions, Anthropic messages
and Responses API requests on the proxy; `completion` / `acompletion` in the SDK, streamed
or not (a stream's retrieval rounds are answered inside it, the caller reads LiteLLM's own
chunks).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import sys
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

import litellm
from litellm.integrations.custom_logger import CustomLogger

from headroom import CompressResult, default_engine
from headroom.engine.engines import EnginePool, credential_namespace
from headroom.engine.pipeline import Headroom
from headroom.engine.retrieval_loop import RetrievalLoop, response_dict
from headroom.providers import (
    ANTHROPIC,
    OPENAI_CHAT,
    Provider,
    StreamEvent,
    provider_named,
    registered,
)

__all__ = ["HeadroomHandler", "acompletion", "completion", "handler"]

logger = logging.getLogger("headroom.litellm")
METADATA_KEY = "headroom"
SAVINGS_KEPT = 1000


class HeadroomHandler(CustomLogger):
    """Compresses messages on the LiteLLM proxy; logs what each call saved."""

    def __init__(self, pool: EnginePool | None = None, *, engine: Headroom | None = None) -> None:
        """`engine` (its settings and store) serves every caller, each key in its own
        namespace; `pool` is the same, shared; neither: the default engine's."""
        super().__init__()
        if pool is None and engine is not None:
            pool = EnginePool(engine.config, engine.store)
        self._pool = pool
        # The most recent calls' savings (a long-running proxy must not keep them all).
        self.savings: deque[dict[str, Any]] = deque(maxlen=SAVINGS_KEPT)

    def engine_for(self, user_api_key_dict: Any) -> Headroom:
        pool = self._pool or _default_pool()
        key = getattr(user_api_key_dict, "api_key", None) or getattr(
            user_api_key_dict, "token", None
        )
        if not key:
            return pool.get(pool.config.namespace)
        return pool.get(credential_namespace(str(key)))

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        provider = _CALL_PROVIDERS.get(str(getattr(call_type, "value", call_type)))
        if provider is None or not isinstance(data.get(provider.conversation_key), list):
            return data
        layout = _model_provider(data) if provider is OPENAI_CHAT else None
        loop = RetrievalLoop(self.engine_for(user_api_key_dict), provider, cache_layout=layout)
        prepared, result = await asyncio.to_thread(loop.prepare, data)
        data.update(prepared)
        if result is not None:
            _record(data, result, provider)
        return data

    async def async_post_call_success_hook(
        self, data: dict[str, Any], user_api_key_dict: Any, response: Any
    ) -> Any:
        """Answers a reply that calls only `headroom_retrieve` with follow-up calls through
        LiteLLM; returns the final reply (None: the reply stands as it is)."""
        info = (data.get("metadata") or {}).get(METADATA_KEY) or {}
        if "provider" not in info:
            return None
        loop = RetrievalLoop(self.engine_for(user_api_key_dict), provider_named(info["provider"]))
        final, stripped = await loop.arun(
            _request_params(data), _sender(loop.provider), response_dict, sent=(response,)
        )
        if final is response and stripped is None:
            return None
        return final if stripped is None else _rebuilt(final, stripped)

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict[str, Any]
    ) -> AsyncGenerator[Any, None]:
        """A streamed reply with its retrieval rounds answered inside the stream: the
        retrieve calls are held back, follow-up streams go through LiteLLM, and the client
        reads one stream of the kind LiteLLM relays (chunk objects or SSE bytes)."""
        info = (request_data.get("metadata") or {}).get(METADATA_KEY) or {}
        if "provider" not in info:
            async for item in response:
                yield item
            return
        loop = RetrievalLoop(self.engine_for(user_api_key_dict), provider_named(info["provider"]))
        shape = _Shape()
        send = _sender(loop.provider)
        first = [response]

        async def open_stream(body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
            upstream = first.pop() if first else await send(dict(body, stream=True))
            async for item in upstream:
                for event in shape.events(item):
                    yield event

        async for event in loop.astream(_request_params(request_data), open_stream):
            item = shape.item(event)
            if item is not None:
                yield item

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.log_success_event(kwargs, response_obj, start_time, end_time)

    def log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        metadata = (
            (kwargs.get("litellm_params") or {}).get("metadata") or kwargs.get("metadata") or {}
        )
        info = metadata.get(METADATA_KEY)
        if info:
            self.savings.append(info)
            stats = info["stats"]
            logger.info(
                "headroom: %s tokens saved (%s -> %s)",
                stats["tokens_saved"],
                stats["tokens_before"],
                stats["tokens_after"],
            )


def _call_providers() -> dict[str, Provider]:
    """Each LiteLLM call type a registered endpoint carries, and its provider."""
    return {
        call_type: provider
        for provider in registered()
        if provider.endpoint.litellm is not None
        for call_type in provider.endpoint.litellm.call_types
    }


_CALL_PROVIDERS = _call_providers()


def _sender(provider: Provider) -> Any:
    """The LiteLLM call that sends a follow-up request in `provider`'s format: through the
    proxy's router when it runs (model aliases resolve), else through litellm itself."""
    # Running proxies have imported their server module; importing it otherwise is heavy.
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    router: Any = getattr(proxy_server, "llm_router", None)
    calls = provider.endpoint.litellm
    name = calls.router_method if calls is not None else "acompletion"
    if router is not None and hasattr(router, name):
        call = getattr(router, name)
    elif calls is not None and calls.function:
        module, _, attribute = calls.function.rpartition(".")
        call = getattr(importlib.import_module(module), attribute)
    else:
        call = getattr(litellm, name)

    async def send(body: dict[str, Any]) -> Any:
        return await call(**body)

    return send


# What the proxy adds to a request's data besides the caller's parameters: objects that
# are not JSON (the router's Deployment), its own bookkeeping. A follow-up call leaves them out.
_PROXY_KEYS = frozenset(
    {
        "metadata",
        "litellm_metadata",
        "proxy_server_request",
        "litellm_call_id",
        "litellm_logging_obj",
        "secret_fields",
        "user_api_key_dict",
        "model_info",
        "deployment",
        "standard_logging_object",
    }
)


class _Shape:
    """What LiteLLM's proxy streams (SSE bytes, chunk objects) as the relays' events, and
    back: bytes stay bytes, an object is rebuilt in the class its kind came in."""

    def __init__(self) -> None:
        self.as_bytes = False
        self.classes: dict[str | None, type] = {}

    def events(self, item: Any) -> list[StreamEvent]:
        if isinstance(item, (bytes, str)):
            self.as_bytes = True
            text = item.decode() if isinstance(item, bytes) else item
            return [_sse_event(block) for block in text.split("\n\n") if block.strip()]
        data = _json_dict(item)
        name = data.get("type") if isinstance(data.get("type"), str) else None
        self.classes.setdefault(name, type(item))
        return [StreamEvent(name, data)]

    def item(self, event: StreamEvent) -> Any:
        if self.as_bytes:
            return event.sse()
        if isinstance(event.data, str):
            return None  # `[DONE]`: LiteLLM's proxy writes its own
        kind = self.classes.get(event.name) or next(iter(self.classes.values()), None)
        try:
            return kind(**event.data) if kind is not None else event.data
        except (TypeError, ValueError):
            return event.data


def _json_dict(item: Any) -> dict[str, Any]:
    """A LiteLLM object as plain JSON data (its enums as their values)."""
    if hasattr(item, "model_dump"):
        data = item.model_dump(mode="json")
        return data if isinstance(data, dict) else {}
    return response_dict(item)


def _sse_event(block: str) -> StreamEvent:
    name = None
    data = []
    for line in block.splitlines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    return StreamEvent.parse(name, "\n".join(data))


def _request_params(data: dict[str, Any]) -> dict[str, Any]:
    """The caller's request parameters in the proxy's `data`, for a follow-up call."""
    return {k: v for k, v in data.items() if k not in _PROXY_KEYS}


def _rebuilt(response: Any, data: dict[str, Any]) -> Any:
    """`data` in the type of `response` (a LiteLLM model), or as a dict."""
    if isinstance(response, dict):
        return data
    try:
        return type(response)(**data)
    except (TypeError, ValueError):
        return data


def _record(data: dict[str, Any], result: CompressResult, provider: Provider) -> None:
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = data["metadata"] = {}
    # The request's record as every surface serialises it, without the messages (the
    # request carries them), and the wire format the follow-up rounds speak.
    metadata[METADATA_KEY] = {
        "refs": list(result.refs),
        "stats": result.stats(),
        "provider": provider.name,
    }


_pool: EnginePool | None = None


def _default_pool() -> EnginePool:
    global _pool
    if _pool is None:
        engine = default_engine()
        _pool = EnginePool(engine.config, engine.store)
    return _pool


def _as_keywords(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Positional arguments of `function` turned into keywords by its signature, so
    `completion(model, messages)` works as `litellm.completion` does."""
    if not args:
        return dict(kwargs)
    names = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(args) > len(names):
        raise TypeError(f"{function.__name__}() takes {len(names)} positional arguments")
    out = dict(zip(names[: len(args)], args, strict=True))
    for name in kwargs:
        if name in out:
            raise TypeError(f"{function.__name__}() got multiple values for argument {name!r}")
    out.update(kwargs)
    return out


def completion(*args: Any, engine: Headroom | None = None, **kwargs: Any) -> Any:
    """`litellm.completion` (same arguments, positional too) with the messages compressed
    first, by `engine` or the shared default engine, and `headroom_retrieve` answered (in
    a stream too: it yields LiteLLM's chunks with the rounds answered inside)."""
    call = _as_keywords(litellm.completion, args, kwargs)
    loop = _chat_loop(engine or default_engine(), call)
    if not isinstance(call.get("messages"), list):
        return litellm.completion(**call)
    body, result = loop.prepare(call)
    if result is not None:
        _record(body, result, OPENAI_CHAT)
    if body.get("stream"):
        return _chunks(loop.stream(body, _open))
    final, stripped = loop.run(body, lambda request: litellm.completion(**request), response_dict)
    return final if stripped is None else _rebuilt(final, stripped)


async def acompletion(*args: Any, engine: Headroom | None = None, **kwargs: Any) -> Any:
    """`litellm.acompletion` with the messages compressed first (see `completion`)."""
    call = _as_keywords(litellm.acompletion, args, kwargs)
    loop = _chat_loop(engine or default_engine(), call)
    if not isinstance(call.get("messages"), list):
        return await litellm.acompletion(**call)
    body, result = await asyncio.to_thread(loop.prepare, call)
    if result is not None:
        _record(body, result, OPENAI_CHAT)
    if body.get("stream"):
        return _achunks(loop.astream(body, _aopen))
    final, stripped = await loop.arun(
        body, lambda request: litellm.acompletion(**request), response_dict
    )
    return final if stripped is None else _rebuilt(final, stripped)


def _chat_loop(engine: Headroom, call: dict[str, Any]) -> RetrievalLoop:
    """The loop of a chat completions call: OpenAI chat bodies, cache breakpoints as the
    model's provider takes them."""
    return RetrievalLoop(engine, OPENAI_CHAT, cache_layout=_model_provider(call))


def _model_provider(call: dict[str, Any]) -> Provider:
    """Anthropic for a model Anthropic serves (by LiteLLM's provider of the model, or of
    the proxy's deployment an alias names), else OpenAI chat."""
    model = str(call.get("model") or "")
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    router: Any = getattr(proxy_server, "llm_router", None)
    try:
        for deployment in (router.get_model_list(model_name=model) if router else None) or []:
            model = str((deployment.get("litellm_params") or {}).get("model") or model)
            break
        _, served_by, _, _ = litellm.get_llm_provider(model)
    except Exception:  # an unknown model: LiteLLM refuses it itself later
        return OPENAI_CHAT
    return ANTHROPIC if served_by == "anthropic" else OPENAI_CHAT


def _open(body: dict[str, Any]) -> Iterator[StreamEvent]:
    for chunk in litellm.completion(**body):
        yield StreamEvent(None, _json_dict(chunk))


async def _aopen(body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
    async for chunk in await litellm.acompletion(**body):
        yield StreamEvent(None, _json_dict(chunk))


def _chunk(event: StreamEvent) -> Any:
    from litellm.types.utils import ModelResponseStream

    return ModelResponseStream(**event.data) if isinstance(event.data, dict) else None


def _chunks(events: Iterator[StreamEvent]) -> Iterator[Any]:
    """LiteLLM's stream chunks of the relayed events (`[DONE]` ends the iteration)."""
    for event in events:
        chunk = _chunk(event)
        if chunk is not None:
            yield chunk


async def _achunks(events: AsyncIterator[StreamEvent]) -> AsyncIterator[Any]:
    async for event in events:
        chunk = _chunk(event)
        if chunk is not None:
            yield chunk


handler = HeadroomHandler()
