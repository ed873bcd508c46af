"""HeadroomMiddleware: compression and transparent retrieval for LangChain agents.

    from langchain.agents import create_agent
    agent = create_agent(model, tools, middleware=[HeadroomMiddleware()])

Each model call gets the agent's messages compressed (the agent's state keeps the
originals) and, when they hold a marker, the `headroom_retrieve` tool. The model's
retrieve calls are answered inside the same model call (`headroom.retrieval_loop`), so
they never enter the agent's state; a retrieve call mixed with the agent's own tool calls
is dropped and the agent runs its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    ToolMessage,
    convert_to_openai_messages,
)

from headroom import Headroom, default_engine
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME
from headroom.providers import OPENAI_CHAT
from headroom.providers.base import tool_name
from headroom.retrieval_loop import DEFAULT_MAX_ROUNDS, RetrievalLoop, has_markers
from headroom.tokens import DEFAULT_MODEL
from headroom_langchain.messages import compress_messages
from headroom_langchain.tool import retrieve_tool

__all__ = ["HeadroomMiddleware"]

Handler = Callable[[ModelRequest], ModelResponse]


class HeadroomMiddleware(AgentMiddleware):
    """Compresses what each model call sends and answers `headroom_retrieve` in place."""

    def __init__(
        self,
        engine: Headroom | None = None,
        *,
        model: str = DEFAULT_MODEL,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.model = model
        self.max_rounds = max_rounds
        # Registered so the agent knows the tool; its calls never reach the tool node.
        self.tools = [retrieve_tool(engine)]

    def _loop(self) -> RetrievalLoop:
        engine = self.engine or default_engine()
        return RetrievalLoop(engine, OPENAI_CHAT, max_rounds=self.max_rounds)

    def _prepared(self, request: ModelRequest) -> ModelRequest:
        loop = self._loop()
        messages, _ = compress_messages(loop.engine, list(request.messages), self.model)
        tools = list(request.tools)
        if not has_markers(convert_to_openai_messages(messages)):
            tools = [t for t in tools if _name(t) != RETRIEVE_TOOL_NAME]
        elif not any(_name(t) == RETRIEVE_TOOL_NAME for t in tools):
            tools.append(self.tools[0])
        return request.override(messages=cast("list[AnyMessage]", messages), tools=tools)

    def _next(
        self, request: ModelRequest, response: ModelResponse, round_number: int
    ) -> ModelRequest | None:
        reply = _last_ai(response.result)
        if reply is None or round_number >= self.max_rounds:
            return None
        answers = self._loop().answers(_openai_response(reply))
        if answers is None:
            return None
        results = [ToolMessage(content=text, tool_call_id=cid) for cid, text in answers]
        return request.override(messages=[*request.messages, reply, *results])

    def wrap_model_call(self, request: ModelRequest, handler: Handler) -> ModelResponse:
        request = self._prepared(request)
        response = handler(request)
        for round_number in range(self.max_rounds + 1):
            following = self._next(request, response, round_number)
            if following is None:
                break
            request, response = following, handler(following)
        return _without_retrieve(response)

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        request = self._prepared(request)
        response = await handler(request)
        for round_number in range(self.max_rounds + 1):
            following = self._next(request, response, round_number)
            if following is None:
                break
            request, response = following, await handler(following)
        return _without_retrieve(response)


def _name(tool: Any) -> str:
    """A LangChain tool's name, or a tool dict's in any provider format."""
    return str(getattr(tool, "name", "")) or tool_name(tool)


def _last_ai(messages: list[BaseMessage]) -> AIMessage | None:
    return next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)


def _openai_response(reply: AIMessage) -> dict[str, Any]:
    """The reply as an OpenAI chat response, for the engine's retrieval loop."""
    (message,) = convert_to_openai_messages([reply])
    return {"choices": [{"message": message}]}


def _without_retrieve(response: ModelResponse) -> ModelResponse:
    """The response with any retrieve call left in its AI message dropped."""
    result = []
    for message in response.result:
        if isinstance(message, AIMessage) and any(
            call["name"] == RETRIEVE_TOOL_NAME for call in message.tool_calls
        ):
            kept = [call for call in message.tool_calls if call["name"] != RETRIEVE_TOOL_NAME]
            message = message.model_copy(update={"tool_calls": kept})
        result.append(message)
    return ModelResponse(result=result, structured_response=response.structured_response)
