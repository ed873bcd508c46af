"""`headroom_retrieve` as a LangChain tool, for apps that call the model themselves:
`llm.bind_tools([retrieve_tool()])`, and run it like any tool when the model calls it."""

from __future__ import annotations

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from headroom import Headroom, default_engine
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema

__all__ = ["retrieve_tool"]


class _RetrieveArguments(BaseModel):
    ref: str = Field(description="The ref from a [headroom: ...] marker.")
    query: str | None = Field(default=None, description="Optional text to search the original for.")


def retrieve_tool(engine: Headroom | None = None) -> BaseTool:
    """The tool that fetches what a Headroom marker left out (from `engine`'s store)."""

    def retrieve(ref: str, query: str | None = None) -> str:
        return (engine or default_engine()).answer_retrieval(ref, query)

    return StructuredTool.from_function(
        func=retrieve,
        name=RETRIEVE_TOOL_NAME,
        description=str(tool_schema("openai")["function"]["description"]),
        args_schema=_RetrieveArguments,
    )
