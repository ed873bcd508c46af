"""HeadroomMiddleware: compression and transparent retrieval for LangChain agents.

    from langchain.agents import create_agent
    agent = create_agent(model, tools, middleware=[HeadroomMiddleware()])

Each model call gets the agent's messages compressed (the agent's state keeps the
originals) and, when they hold a marker, the `headroom_retrieve` tool. The model's
retrieve calls are answered inside the same model call (`headroom.engine.retrieval_loop`), so
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
from headroom.engine.retrieval_loop import RetrievalLoop, has_markers
from headroom.providers import OPENAI_CHAT
from headroom.providers.base import tool_name
from headroom.tokens import DEFAULT_MODEL
from headroom_langchain.messages import compress_messages
from headroom_langchain.tool import retrieve_tool

__all__ = ["HeadroomMiddleware"]

Handler = Callable[[ModelRequest], ModelResponse]


class HeadroomMiddleware(AgentMiddleware):
    """Compresses what each model call sends and answers `headroom_retrieve` in place."""

    def __init__(self, engine: Headroom | None = None, *, model: str = DEFAULT_MODEL) -> None:
        """At most `engine.config.max_retrieval_rounds` retrieval rounds per model call."""
        super().__init__()
        self.engine = engine
        self.model = model
        # Registered so the agent knows the tool; its calls never reach the tool node.
        self.tools = [retrieve_tool(engine)]

    def _loop(self) -> RetrievalLoop:
        return RetrievalLoop(self.engine or default_engine(), OPENAI_CHAT)

    def _prepared(self, request: ModelRequest) -> ModelRequest:
        loop = self._loop()
        messages, _ = compress_messages(loop.engine, list(request.messages), self.model)
        tools = list(request.tools)
        if not has_markers(convert_to_openai_messages(messages)):
            tools = [t for t in tools if _name(t) != RETRIEVE_TOOL_NAME]
        elif not any(_name(t) == RETRIEVE_TOOL_NAME for t in tools):
            tools.append(self.tools[0])
        return request.override(messages=cast("list[AnyMessage]", messages), tools=tools)

    def wrap_model_call(self, request: ModelRequest, handler: Handler) -> ModelResponse:
        rounds = _Rounds(self._loop(), self._prepared(request))
        response, _ = rounds.loop.run(rounds.first, rounds.send(handler), rounds.as_dict)
        return _without_retrieve(response)

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        rounds = _Rounds(self._loop(), self._prepared(request))
        response, _ = await rounds.loop.arun(rounds.first, rounds.asend(handler), rounds.as_dict)
        return _without_retrieve(response)


class _Rounds:
    """The engine's retrieval loop driven over LangChain requests: the loop sees each
    request as an OpenAI chat body and each reply as an OpenAI chat response; its next
    request (the reply and the tool results appended) becomes a LangChain request again."""

    def __init__(self, loop: RetrievalLoop, request: ModelRequest) -> None:
        self.loop = loop
        self.request = request
        self.first: dict[str, Any] = {"messages": []}
        self.replies: list[AIMessage] = []

    def _request_for(self, body: dict[str, Any]) -> ModelRequest:
        """The LangChain request for the loop's `body`: the tool results it appended after
        the replies so far."""
        appended = body["messages"]
        results = [
            ToolMessage(content=m["content"], tool_call_id=m["tool_call_id"])
            for m in appended
            if m.get("role") == "tool"
        ]
        messages: list[Any] = list(self.request.messages)
        for reply in self.replies:
            count = len(reply.tool_calls)
            messages += [reply, *results[:count]]
            results = results[count:]
        return self.request.override(messages=messages)

    def as_dict(self, response: ModelResponse) -> dict[str, Any]:
        reply = _last_ai(response.result)
        if reply is None:
            return {}
        self.replies.append(reply)
        return _openai_response(reply)

    def send(self, handler: Handler) -> Callable[[dict[str, Any]], ModelResponse]:
        return lambda body: handler(self._request_for(body))

    def asend(
        self, handler: Callable[[ModelRequest], Awaitable[ModelResponse]]
    ) -> Callable[[dict[str, Any]], Awaitable[ModelResponse]]:
        return lambda body: handler(self._request_for(body))


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
