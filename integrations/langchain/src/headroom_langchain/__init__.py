"""LangChain adapter for Headroom.

- `HeadroomCompressor`: a Runnable; `prompt | HeadroomCompressor() | llm` sends the model
  compressed messages (ids, names, tool calls and metadata kept).
- `HeadroomSavingsHandler`: a callback handler that records the savings of each run.
- `HeadroomDocumentCompressor`: a `BaseDocumentCompressor` that compresses retrieved
  documents' content with the query as context.
"""

from __future__ import annotations

from headroom_langchain.callbacks import SAVINGS_EVENT, HeadroomSavingsHandler
from headroom_langchain.documents import HeadroomDocumentCompressor
from headroom_langchain.runnable import HeadroomCompressor

__all__ = [
    "SAVINGS_EVENT",
    "HeadroomCompressor",
    "HeadroomDocumentCompressor",
    "HeadroomSavingsHandler",
]
