"""LlamaIndex adapter for Headroom: `node_postprocessors=[HeadroomNodePostprocessor()]`,
and `retrieve_tool()` (`headroom_retrieve` as a FunctionTool) so markers can be redeemed."""

from __future__ import annotations

from headroom_llamaindex.postprocessor import HeadroomNodePostprocessor
from headroom_llamaindex.tool import retrieve_tool

__all__ = ["HeadroomNodePostprocessor", "retrieve_tool"]
