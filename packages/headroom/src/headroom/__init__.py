"""Headroom: local-first context compression for LLM applications."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from headroom._version import __version__
from headroom.compressed import Compressed
from headroom.config import HeadroomConfig
from headroom.errors import ConfigError, HeadroomError, InputError, StoreError
from headroom.pipeline import CompressResult, Headroom
from headroom.sdk import withHeadroom
from headroom.tokens import count_tokens

__all__ = [
    "CompressResult",
    "Compressed",
    "ConfigError",
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


_engines: dict[HeadroomConfig, Headroom] = {}
_engines_lock = threading.Lock()


def default_engine(config: HeadroomConfig | None = None) -> Headroom:
    """The shared engine for `config` (from `HEADROOM_*` variables when None)."""
    key = config or HeadroomConfig.from_env()
    with _engines_lock:
        if key not in _engines:
            _engines[key] = Headroom(key)
        return _engines[key]


def compress(
    messages: Sequence[Any], *, model: str = "gpt-4o", config: HeadroomConfig | None = None
) -> CompressResult:
    """Compress OpenAI- or Anthropic-shaped `messages` for `model`; fails open."""
    return default_engine(config).compress(messages, model=model)


def retrieve(ref: str, query: str | None = None) -> str | None:
    """The original behind a CCR `ref` from the default store; None if unknown or expired."""
    return default_engine().retrieve(ref, query)
