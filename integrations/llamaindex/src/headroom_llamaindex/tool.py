"""`headroom_retrieve` as a LlamaIndex `FunctionTool`, for agents and apps that call the
model themselves: give it to the agent beside your own tools."""

from __future__ import annotations

from llama_index.core.tools import FunctionTool

from headroom import Headroom, default_engine
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema

__all__ = ["retrieve_tool"]


def retrieve_tool(engine: Headroom | None = None) -> FunctionTool:
    """The tool that fetches what a Headroom marker left out (from `engine`'s store)."""

    def headroom_retrieve(ref: str, query: str | None = None) -> str:
        return (engine or default_engine()).answer_retrieval(ref, query)

    return FunctionTool.from_defaults(
        fn=headroom_retrieve,
        name=RETRIEVE_TOOL_NAME,
        description=str(tool_schema("openai")["function"]["description"]),
    )
