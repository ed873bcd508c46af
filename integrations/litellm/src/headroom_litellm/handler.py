"""The proxy hook and the SDK helpers."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from typing import Any

import litellm
from litellm.integrations.custom_logger import CustomLogger

from headroom import CompressResult, default_engine
from headroom.engines import EnginePool, credential_namespace
from headroom.pipeline import Headroom

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
        if isinstance(data.get("messages"), list):
            engine = self.engine_for(user_api_key_dict)
            result = await asyncio.to_thread(
                engine.compress, data["messages"], model=str(data.get("model") or "gpt-4o")
            )
            _apply(data, result)
        return data

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
            logger.info(
                "headroom: %s tokens saved (%s -> %s)",
                info["tokens_before"] - info["tokens_after"],
                info["tokens_before"],
                info["tokens_after"],
            )


def _apply(data: dict[str, Any], result: CompressResult) -> None:
    data["messages"] = result.messages
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = data["metadata"] = {}
    metadata[METADATA_KEY] = {
        "tokens_before": result.tokens_before,
        "tokens_after": result.tokens_after,
        "refs": list(result.refs),
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
    `completion("gpt-4o", messages)` works as `litellm.completion` does."""
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


def _compressed(kwargs: dict[str, Any], engine: Headroom | None) -> dict[str, Any]:
    if not isinstance(kwargs.get("messages"), list):
        return kwargs
    out = dict(kwargs)
    _apply(
        out,
        (engine or default_engine()).compress(
            kwargs["messages"], model=str(kwargs.get("model") or "gpt-4o")
        ),
    )
    return out


def completion(*args: Any, engine: Headroom | None = None, **kwargs: Any) -> Any:
    """`litellm.completion` (same arguments, positional too) with the messages compressed
    first, by `engine` or the shared default engine."""
    call = _as_keywords(litellm.completion, args, kwargs)
    return litellm.completion(**_compressed(call, engine))


async def acompletion(*args: Any, engine: Headroom | None = None, **kwargs: Any) -> Any:
    """`litellm.acompletion` with the messages compressed first (see `completion`)."""
    call = _as_keywords(litellm.acompletion, args, kwargs)
    return await litellm.acompletion(**await asyncio.to_thread(_compressed, call, engine))


handler = HeadroomHandler()
