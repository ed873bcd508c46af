"""LlamaIndex adapter for Headroom: `node_postprocessors=[HeadroomNodePostprocessor()]`."""

from __future__ import annotations

from headroom_llamaindex.postprocessor import HeadroomNodePostprocessor

__all__ = ["HeadroomNodePostprocessor"]
