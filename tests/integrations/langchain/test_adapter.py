"""HeadroomCompressor in a real LangChain chain with a fake chat model that records its input."""

import asyncio
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from headroom import Headroom
from headroom.ccr import SqlStore
from headroom.ccr.markers import find_markers
from headroom.tokens import count_tokens
from headroom_langchain import (
    HeadroomCompressor,
    HeadroomDocumentCompressor,
    HeadroomSavingsHandler,
)
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG as LOG


class RecordInput(BaseCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.seen.extend(messages)


@pytest.fixture
def engine(store: SqlStore) -> Headroom:
    return Headroom(small_fixture_config(), store=store)


def history() -> list[BaseMessage]:
    return [
        HumanMessage("What was recorded?", id="h1"),
        AIMessage(
            "", id="a1", tool_calls=[{"id": "call_1", "name": "fetch_output", "args": {"url": "x"}}]
        ),
        ToolMessage(
            LOG,
            tool_call_id="call_1",
            id="t1",
            name="fetch_output",
            additional_kwargs={"source": "ci"},
        ),
    ]


def chain(engine: Headroom):
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You read logs."), MessagesPlaceholder("history")]
    )
    return prompt | HeadroomCompressor(engine=engine) | FakeListChatModel(responses=["a checksum"])


def test_chain_sends_compressed_messages(engine: Headroom) -> None:
    recorder, savings = RecordInput(), HeadroomSavingsHandler()
    answer = chain(engine).invoke({"history": history()}, config={"callbacks": [recorder, savings]})
    assert answer.content == "a checksum"
    sent = recorder.seen[0]
    assert isinstance(sent[0], SystemMessage) and sent[1].content == "What was recorded?"
    tool = sent[3]
    assert isinstance(tool, ToolMessage) and tool.tool_call_id == "call_1" and tool.id == "t1"
    assert tool.name == "fetch_output" and tool.additional_kwargs == {"source": "ci"}
    assert sent[2].tool_calls[0]["id"] == "call_1" and sent[2].id == "a1"
    assert count_tokens(tool.content) < count_tokens(LOG) / 4
    (ref,) = {m.ref for m in find_markers(tool.content)}
    assert engine.retrieve(ref) == LOG
    (run,) = savings.runs
    assert run.tokens_after < run.tokens_before and run.refs == (ref,)


def test_invoke_batch_stream_and_ainvoke(engine: Headroom) -> None:
    compressor = HeadroomCompressor(engine=engine)
    direct = compressor.invoke(history())
    assert compressor.batch([history(), history()]) == [direct, direct]
    assert list(compressor.stream(history())) == [direct]
    assert asyncio.run(compressor.ainvoke(history())) == direct
    assert compressor.invoke("just text") == [HumanMessage("just text")]
    with pytest.raises(TypeError, match="PromptValue"):
        compressor.invoke(42)


def test_document_compressor_compresses_content(engine: Headroom) -> None:
    documents = [
        Document(page_content=LOG, metadata={"source": "ci.log"}, id="d1"),
        Document(page_content="short", id="d2"),
    ]
    out = HeadroomDocumentCompressor(engine=engine).compress_documents(
        documents, query="checksum 0xDEADBEEF7"
    )
    assert [d.id for d in out] == ["d1", "d2"]
    assert (
        "checksum 0xDEADBEEF7 recorded" in out[0].page_content
        and len(out[0].page_content) < len(LOG) / 4
    )
    assert (
        out[0].metadata["source"] == "ci.log"
        and engine.retrieve(out[0].metadata["headroom_refs"][0]) == LOG
    )
    assert out[1] is documents[1]
