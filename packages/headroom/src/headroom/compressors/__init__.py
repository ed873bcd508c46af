"""One compressor per content kind; see `base` for the contract and the registry."""

from __future__ import annotations

from headroom.compressors.base import CompressContext, Compressed, Compressor, load_registry

__all__ = ["CompressContext", "Compressed", "Compressor", "load_registry"]
