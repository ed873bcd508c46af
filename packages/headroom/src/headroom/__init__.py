"""Headroom: local-first context compression for LLM applications."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headroom._version import __version__
from headroom.compressed import Compressed, CompressResult
from headroom.config import HeadroomConfig
from headroom.engine.engines import default_engine
from headroom.engine.pipeline import Headroom
from headroom.errors import ConfigError, HeadroomError, InputError, StoreError
from headroom.surfaces.sdk import withHeadroom
from headroom.tokens import DEFAULT_MODEL, count_tokens

__all__ = [
    "CompressResult",
    "Compressed",
    "ConfigError",
    "DEFAULT_MODEL",
    "Headroom",
    "HeadroomConfig",
    "HeadroomError",
    "InputError",
    "StoreError",
    "__version__",
    "compress",
    "count_tokens",
    "default_engine",
    "retrieve",
    "withHeadroom",
]


def compress(
    messages: Sequence[Any],
    *,
    model: str = DEFAULT_MODEL,
    config: HeadroomConfig | None = None,
    provider: str | None = None,
) -> CompressResult:
    """Compress `messages` (OpenAI, Anthropic, Responses `input` or Gemini `contents`) for
    `model`; fails open. `provider` names their format ("anthropic", "gemini", ...) when
    the caller knows it; else it is recognised from their shape."""
    return default_engine(config).compress(messages, model=model, provider=provider)


def retrieve(ref: str, query: str | None = None) -> str | None:
    """The original behind a CCR `ref` from the default store; None if unknown or expired."""
    return default_engine().retrieve(ref, query)
