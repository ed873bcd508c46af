"""The proxy hook and the SDK helpers.

Both compress the conversation, offer `headroom_retrieve` whenever it holds a marker, and
answer the model's retrieve calls with a follow-up call through LiteLLM itself (the
engine's retrieval loop, `headroom.retrieval_loop`): chat completions, Anthropic messages
and Responses API requests on the proxy; `completion` / `acompletion` in the SDK.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from collections import deque
from typing import Any

import litellm
from litellm.integrations.custom_logger import CustomLogger

from headroom import CompressResult, default_engine
from headroom.engines import EnginePool, credential_namespace
from headroom.pipeline import Headroom
from headroom.providers import OPENAI_CHAT, Provider, provider_named, registered
from headroom.retrieval_loop import RetrievalLoop, response_dict

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
        loop = RetrievalLoop(self.engine_for(user_api_key_dict), provider)
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
        first = response_dict(response)
        following = await asyncio.to_thread(loop.follow_up, data, first, 0)
        if following is None:
            caller_part = loop.final(first)
            return None if caller_part is first else _rebuilt(response, caller_part)
        loop.max_rounds -= 1  # one round is answered already
        final, stripped = await loop.arun(following, _sender(loop.provider), response_dict)
        return final if stripped is None else _rebuilt(final, stripped)

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
    router: Any = None
    try:
        from litellm.proxy import proxy_server

        router = proxy_server.llm_router
    except ImportError:
        pass
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
    first, by `engine` or the shared default engine, and `headroom_retrieve` answered."""
    call = _as_keywords(litellm.completion, args, kwargs)
    loop = RetrievalLoop(engine or default_engine(), OPENAI_CHAT)
    if call.get("stream") or not isinstance(call.get("messages"), list):
        return litellm.completion(**_compressed_only(loop, call))
    body, result = loop.prepare(call)
    if result is not None:
        _record(body, result, OPENAI_CHAT)
    final, stripped = loop.run(body, lambda request: litellm.completion(**request), response_dict)
    return final if stripped is None else _rebuilt(final, stripped)


async def acompletion(*args: Any, engine: Headroom | None = None, **kwargs: Any) -> Any:
    """`litellm.acompletion` with the messages compressed first (see `completion`)."""
    call = _as_keywords(litellm.acompletion, args, kwargs)
    loop = RetrievalLoop(engine or default_engine(), OPENAI_CHAT)
    if call.get("stream") or not isinstance(call.get("messages"), list):
        return await litellm.acompletion(**await asyncio.to_thread(_compressed_only, loop, call))
    body, result = await asyncio.to_thread(loop.prepare, call)
    if result is not None:
        _record(body, result, OPENAI_CHAT)
    final, stripped = await loop.arun(
        body, lambda request: litellm.acompletion(**request), response_dict
    )
    return final if stripped is None else _rebuilt(final, stripped)


def _compressed_only(loop: RetrievalLoop, call: dict[str, Any]) -> dict[str, Any]:
    """A streamed call, relayed as it comes: compressed when that leaves no marker in it
    (no retrieval could be answered), else as it is."""
    body, result = loop.prepare_unanswerable(call)
    if result is not None:
        _record(body, result, OPENAI_CHAT)
    return body


handler = HeadroomHandler()
