"""`pre_model_hook()` for LangGraph's `create_react_agent`: the model reads compressed
messages (`llm_input_messages`) while the graph's state keeps the originals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headroom import Headroom, default_engine
from headroom.tokens import DEFAULT_MODEL
from headroom_langchain.messages import as_messages, compress_messages

__all__ = ["pre_model_hook"]


def pre_model_hook(
    engine: Headroom | None = None, *, model: str = DEFAULT_MODEL
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A hook for `create_react_agent(..., pre_model_hook=pre_model_hook())`. Give the
    agent `retrieve_tool()` too, so the model can redeem markers (the retrieval then runs
    as a tool call of the graph)."""

    def hook(state: dict[str, Any]) -> dict[str, Any]:
        messages = as_messages(state["messages"])
        compressed, _ = compress_messages(engine or default_engine(), messages, model)
        return {"llm_input_messages": compressed}

    return hook
