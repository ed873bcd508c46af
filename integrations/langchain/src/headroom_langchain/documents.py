"""HeadroomDocumentCompressor: compresses retrieved documents' content, query-aware."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict

from headroom import Headroom, default_engine
from headroom.tokens import DEFAULT_MODEL

__all__ = ["HeadroomDocumentCompressor"]


class HeadroomDocumentCompressor(BaseDocumentCompressor):
    """Keeps every document, with its content compressed; refs go in `metadata["headroom_refs"]`."""

    model: str = DEFAULT_MODEL
    engine: Headroom | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        engine = self.engine or default_engine()
        out = []
        for document in documents:
            result = engine.compress_text(document.page_content, model=self.model, query=query)
            if result.text == document.page_content:
                out.append(document)
                continue
            metadata: dict[str, Any] = {
                **document.metadata,
                "headroom_refs": result.refs,
                "headroom_tokens_before": result.tokens_before,
                "headroom_tokens_after": result.tokens_after,
            }
            out.append(Document(page_content=result.text, metadata=metadata, id=document.id))
        return out
