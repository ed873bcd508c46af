"""LangChain adapter for Headroom.

- `HeadroomCompressor`: a Runnable; `prompt | HeadroomCompressor() | llm` sends the model
  compressed messages (ids, names, tool calls and metadata kept).
- `HeadroomSavingsHandler`: a callback handler that records the savings of each run.
- `HeadroomDocumentCompressor`: a `BaseDocumentCompressor` that compresses retrieved
  documents' content with the query as context.
- `HeadroomMiddleware` (`headroom_langchain.middleware`, needs `langchain` 1.x): for
  `create_agent(..., middleware=[HeadroomMiddleware()])`; compresses each model call and
  answers `headroom_retrieve` inside it.
- `retrieve_tool()`: `headroom_retrieve` as a LangChain tool, for apps that call the model.
- `pre_model_hook()`: for LangGraph's `create_react_agent(..., pre_model_hook=...)`.
"""

from __future__ import annotations

from headroom_langchain.callbacks import SAVINGS_EVENT, HeadroomSavingsHandler
from headroom_langchain.documents import HeadroomDocumentCompressor
from headroom_langchain.hooks import pre_model_hook
from headroom_langchain.runnable import HeadroomCompressor
from headroom_langchain.tool import retrieve_tool

__all__ = [
    "SAVINGS_EVENT",
    "HeadroomCompressor",
    "HeadroomDocumentCompressor",
    "HeadroomSavingsHandler",
    "pre_model_hook",
    "retrieve_tool",
]
