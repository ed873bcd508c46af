"""HeadroomMiddleware in a real `create_agent` agent, and HeadroomCompressor's inputs, with a
fake chat model that calls `headroom_retrieve` on its first reply and answers on its second."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompt_values import ChatPromptValue
from langchain_core.tools import tool

from headroom import Headroom
from headroom.ccr import SqlStore
from headroom.ccr.markers import find_markers
from headroom_langchain import HeadroomCompressor, retrieve_tool
from headroom_langchain.middleware import HeadroomMiddleware
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG


class RetrievingModel(BaseChatModel):
    """Calls headroom_retrieve on the first marker it sees (when offered the tool), then
    answers with what the retrieval returned; records every call's messages and tools."""

    calls: list[dict[str, Any]] = []
    mix_in: str | None = None
    """Also call this tool of the app's along with the retrieval."""

    @property
    def _llm_type(self) -> str:
        return "retrieving-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        names = [getattr(t, "name", None) or t.get("name") or t["function"]["name"] for t in tools]
        return self.bind(tool_names=names)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        tools = kwargs.get("tool_names", [])
        self.calls.append({"messages": list(messages), "tools": tools})
        answered = [m for m in messages if isinstance(m, ToolMessage)]
        retrieved = [m for m in answered if m.tool_call_id.startswith("r") or len(answered) > 1]
        markers = [m for msg in messages for m in find_markers(str(msg.content))]
        if markers and "headroom_retrieve" in tools and not retrieved:
            calls = [{"name": "headroom_retrieve", "args": {"ref": markers[0].ref}, "id": "r1"}]
            if self.mix_in and len(answered) == 1:  # once: with the agent's own tool
                calls.append({"name": self.mix_in, "args": {}, "id": "own1"})
            reply = AIMessage(content="", tool_calls=calls)
        elif not answered:
            reply = AIMessage(
                content="", tool_calls=[{"name": "fetch_log", "args": {}, "id": "f1"}]
            )
        else:
            found = "0xDEADBEEF7" in " ".join(str(m.content) for m in answered)
            reply = AIMessage(content=f"checksum {'0xDEADBEEF7' if found else 'unknown'}")
        return ChatResult(generations=[ChatGeneration(message=reply)])


@tool
def fetch_log() -> str:
    """The sync job's log."""
    return SYNC_LOG


@pytest.fixture
def engine(store: SqlStore) -> Headroom:
    return Headroom(small_fixture_config(), store=store)


def test_an_agent_redeems_markers_without_seeing_the_retrieval(engine: Headroom) -> None:
    model = RetrievingModel(calls=[])
    agent = create_agent(model, [fetch_log], middleware=[HeadroomMiddleware(engine)])
    state = agent.invoke({"messages": [HumanMessage("Which checksum was recorded?")]})
    final = state["messages"][-1]
    assert final.content == "checksum 0xDEADBEEF7"
    # The agent's state keeps the original log and never sees the retrieval round.
    (log_message,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert log_message.content == SYNC_LOG
    assert "headroom_retrieve" not in json.dumps([m.model_dump() for m in state["messages"]])
    # The model saw the compressed log, was offered the tool, and got the original back.
    with_log = model.calls[1]
    assert "headroom_retrieve" in with_log["tools"]
    sent_log = next(m for m in with_log["messages"] if isinstance(m, ToolMessage))
    assert len(str(sent_log.content)) < len(SYNC_LOG) / 4 and find_markers(str(sent_log.content))
    assert len(model.calls) == 3  # fetch, retrieve, answer
    for call in model.calls:  # no marker reaches the model without the tool to redeem it
        markers = [m for msg in call["messages"] for m in find_markers(str(msg.content))]
        assert not markers or "headroom_retrieve" in call["tools"]


def test_no_marker_no_retrieve_tool(engine: Headroom) -> None:
    model = RetrievingModel(calls=[])
    agent = create_agent(model, [], middleware=[HeadroomMiddleware(engine)])
    agent.invoke({"messages": [HumanMessage("hello")]})
    assert all("headroom_retrieve" not in call["tools"] for call in model.calls)


def test_a_retrieve_call_mixed_with_the_agents_tools_is_dropped(engine: Headroom) -> None:
    model = RetrievingModel(calls=[], mix_in="fetch_log")
    middleware = HeadroomMiddleware(engine)
    agent = create_agent(model, [fetch_log], middleware=[middleware])
    state = agent.invoke({"messages": [HumanMessage("Which checksum was recorded?")]})
    assert "headroom_retrieve" not in json.dumps([m.model_dump() for m in state["messages"]])
    ran = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert len(ran) == 2  # fetch_log ran twice: the mixed call went to the agent's own tool


def test_the_async_agent_path_redeems_markers_too(engine: Headroom) -> None:
    model = RetrievingModel(calls=[])
    agent = create_agent(model, [fetch_log], middleware=[HeadroomMiddleware(engine)])
    state = asyncio.run(agent.ainvoke({"messages": [HumanMessage("Which checksum?")]}))
    assert state["messages"][-1].content == "checksum 0xDEADBEEF7"


@pytest.mark.parametrize(
    "value",
    [
        "Which checksum?",
        HumanMessage("Which checksum?"),
        ("user", "Which checksum?"),
        {"role": "user", "content": "Which checksum?"},
        [("system", "be brief"), ("user", "Which checksum?")],
        ChatPromptValue(messages=[HumanMessage("Which checksum?")]),
    ],
)
def test_the_compressor_takes_what_a_chat_model_takes(engine: Headroom, value: Any) -> None:
    out = HeadroomCompressor(engine=engine).invoke(value)
    assert out[-1].content == "Which checksum?" and isinstance(out[-1], HumanMessage)


@pytest.mark.filterwarnings("ignore::langgraph.warnings.LangGraphDeprecatedSinceV10")
def test_the_compressor_is_a_react_agent_prompt(engine: Headroom) -> None:
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langgraph.prebuilt import create_react_agent

    class Recording(FakeMessagesListChatModel):
        seen: list[list[BaseMessage]] = []

        def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
            return self

        def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
            self.seen.append(messages)
            return super()._generate(messages, *args, **kwargs)

    model = Recording(responses=[AIMessage("ok")], seen=[])
    history = [
        HumanMessage("Which checksum?"),
        AIMessage("", tool_calls=[{"name": "fetch_log", "args": {}, "id": "f1"}]),
        ToolMessage(SYNC_LOG, tool_call_id="f1"),
    ]
    agent = create_react_agent(model, [fetch_log], prompt=HeadroomCompressor(engine=engine))
    state = agent.invoke({"messages": history})
    assert state["messages"][2].content == SYNC_LOG  # the state keeps the original
    assert len(str(model.seen[0][2].content)) < len(SYNC_LOG) / 4  # the model reads less


def test_the_compressor_refuses_what_no_chat_model_takes(engine: Headroom) -> None:
    with pytest.raises(TypeError, match="not int"):
        HeadroomCompressor(engine=engine).invoke(42)


def test_the_retrieve_tool_answers_from_the_store(engine: Headroom) -> None:
    messages = [
        HumanMessage("Which checksum?"),
        AIMessage("", tool_calls=[{"name": "fetch_log", "args": {}, "id": "f1"}]),
        ToolMessage(SYNC_LOG, tool_call_id="f1"),
    ]
    compressed = HeadroomCompressor(engine=engine).invoke(messages)
    (marker, *_) = find_markers(str(compressed[-1].content))
    answer = retrieve_tool(engine).invoke({"ref": marker.ref, "query": "checksum"})
    assert "0xDEADBEEF7" in answer
