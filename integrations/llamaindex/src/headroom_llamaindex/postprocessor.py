"""HeadroomNodePostprocessor: compresses retrieved nodes' text with the query as context."""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from headroom import Headroom, default_engine
from headroom.tokens import DEFAULT_MODEL

__all__ = ["HeadroomNodePostprocessor"]

REFS_KEY = "headroom_refs"


class HeadroomNodePostprocessor(BaseNodePostprocessor):
    """Every node is kept (ids, scores, metadata); its text is compressed, refs go in metadata.

    Nodes are copied, never changed in place, so the index keeps the originals."""

    model: str = DEFAULT_MODEL
    _engine: Headroom | None = PrivateAttr(default=None)

    def __init__(self, engine: Headroom | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._engine = engine

    @classmethod
    def class_name(cls) -> str:
        return "HeadroomNodePostprocessor"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        engine = self._engine or default_engine()
        query = query_bundle.query_str if query_bundle else ""
        out = []
        for scored in nodes:
            node = scored.node
            if not isinstance(node, TextNode):
                out.append(scored)
                continue
            result = engine.compress_text(node.text, model=self.model, query=query)
            if result.text == node.text:
                out.append(scored)
                continue
            copy = node.model_copy(deep=False)
            copy.text = result.text
            copy.metadata = {**node.metadata, REFS_KEY: result.refs}
            copy.excluded_llm_metadata_keys = [*node.excluded_llm_metadata_keys, REFS_KEY]
            copy.excluded_embed_metadata_keys = [*node.excluded_embed_metadata_keys, REFS_KEY]
            out.append(NodeWithScore(node=copy, score=scored.score))
        return out
