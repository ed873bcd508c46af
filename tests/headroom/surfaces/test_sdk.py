"""withHeadroom around the real OpenAI and Anthropic SDK clients, against a local fake upstream."""

import asyncio
import json
from typing import Any

import pytest

from headroom import Headroom, HeadroomConfig, withHeadroom
from headroom.ccr import SqlStore
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG as LOG
from tests.conversations import (
    anthropic_body,
    openai_body,
    openai_conversation,
    responses_body,
    unredeemable,
)
from tests.fakes import Upstream
from tests.lazy import lazy

anthropic, openai = lazy("anthropic"), lazy("openai")  # imported by the tests that use them


def openai_client(upstream: Upstream, engine: Headroom) -> Any:
    """The real OpenAI client, wrapped, pointed at the fake upstream."""
    client = openai.OpenAI(base_url=f"{upstream.url}/v1", api_key="sk-test", max_retries=0)
    return withHeadroom(client, engine=engine)


@pytest.fixture
def engine(store: SqlStore) -> Headroom:
    return Headroom(small_fixture_config(), store=store)


def test_openai_client_sends_compressed_messages_and_retrieval_is_answered(
    upstream: Upstream, engine: Headroom
) -> None:
    client = openai_client(upstream, engine)
    body = openai_body()
    response = client.chat.completions.create(model=body["model"], messages=body["messages"])
    assert response.choices[0].message.content.startswith("final answer")
    first, second = upstream.requests
    sent = first["body"]["messages"][2]["content"]
    assert len(sent) < len(LOG) / 4 and "headroom_retrieve ref=" in sent
    assert second["body"]["messages"][-1]["content"] == LOG
    assert client.models is client._inner.models  # everything else passes through


def test_anthropic_client(upstream: Upstream, engine: Headroom) -> None:
    client = withHeadroom(
        anthropic.Anthropic(base_url=upstream.url, api_key="sk-ant-test", max_retries=0),
        engine=engine,
    )
    body = anthropic_body()
    response = client.messages.create(
        model=body["model"], max_tokens=100, system="be brief", messages=body["messages"]
    )
    assert response.content[0].text.startswith("final answer")
    assert upstream.requests[0]["body"]["tools"][-1]["name"] == "headroom_retrieve"
    assert upstream.requests[1]["body"]["messages"][-1]["content"][0]["content"] == LOG


def test_async_clients(upstream: Upstream, engine: Headroom) -> None:
    async def run() -> tuple[str, str]:
        oai = withHeadroom(
            openai.AsyncOpenAI(base_url=f"{upstream.url}/v1", api_key="k", max_retries=0),
            engine=engine,
        )
        ant = withHeadroom(
            anthropic.AsyncAnthropic(base_url=upstream.url, api_key="k", max_retries=0),
            engine=engine,
        )
        first = await oai.chat.completions.create(
            model="gpt-4o", messages=openai_body()["messages"]
        )
        second = await ant.messages.create(
            model="claude-x", max_tokens=10, messages=anthropic_body()["messages"]
        )
        return first.choices[0].message.content, second.content[0].text

    texts = asyncio.run(run())
    assert all(t.startswith("final answer") for t in texts)
    assert len(upstream.requests) == 4


def anthropic_client(upstream: Upstream, engine: Headroom, *, aio: bool = False) -> Any:
    make = anthropic.AsyncAnthropic if aio else anthropic.Anthropic
    return withHeadroom(make(base_url=upstream.url, api_key="k", max_retries=0), engine=engine)


def async_openai_client(upstream: Upstream, engine: Headroom) -> Any:
    client = openai.AsyncOpenAI(base_url=f"{upstream.url}/v1", api_key="k", max_retries=0)
    return withHeadroom(client, engine=engine)


def check_compressed_and_redeemed(upstream: Upstream) -> None:
    """The first request went compressed with the tool offered; the second got the original."""
    first, second = (r["body"] for r in upstream.requests)
    quoted = json.dumps(LOG)[1:-1]
    assert "headroom_retrieve ref=" in json.dumps(first) and quoted not in json.dumps(first)
    assert quoted in json.dumps(second)
    assert unredeemable(upstream.requests) == []


def test_a_chat_stream_is_compressed_and_redeemed_inside_the_stream(
    upstream: Upstream, engine: Headroom
) -> None:
    client = openai_client(upstream, engine)
    with client.chat.completions.create(
        model="gpt-4o", messages=openai_body()["messages"], stream=True
    ) as stream:
        chunks = list(stream)
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("final answer") and "headroom_retrieve" not in repr(chunks)
    assert {c.id for c in chunks} == {"chatcmpl_1"}
    check_compressed_and_redeemed(upstream)


def test_a_responses_stream_is_compressed_and_redeemed_inside_the_stream(
    upstream: Upstream, engine: Headroom
) -> None:

    client = openai_client(upstream, engine)
    events = list(
        client.responses.create(model="gpt-4.1", input=responses_body()["input"], stream=True)
    )
    assert [e.type for e in events][0] == "response.created"
    completed = events[-1]
    assert isinstance(completed, openai.types.responses.ResponseCompletedEvent)
    assert completed.response.output_text.startswith("final answer")
    assert completed.response.id == events[0].response.id
    assert "headroom_retrieve" not in repr(events)
    first, second = (r["body"] for r in upstream.requests)
    assert "headroom_retrieve ref=" in json.dumps(first)
    assert second["input"][-1]["output"] == LOG


def test_an_anthropic_stream_is_compressed_and_redeemed_inside_the_stream(
    upstream: Upstream, engine: Headroom
) -> None:
    client = anthropic_client(upstream, engine)
    body = anthropic_body()
    events = list(
        client.messages.create(
            model=body["model"], max_tokens=100, messages=body["messages"], stream=True
        )
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert events[-2].delta.stop_reason == "end_turn"
    text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
    assert "final answer" in text and "headroom_retrieve" not in repr(events)
    check_compressed_and_redeemed(upstream)


def test_async_streams_are_compressed_and_redeemed(upstream: Upstream, engine: Headroom) -> None:
    async def run() -> tuple[str, str]:
        chat = await async_openai_client(upstream, engine).chat.completions.create(
            model="gpt-4o", messages=openai_body()["messages"], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in chat if c.choices])
        body = anthropic_body()
        messages = await anthropic_client(upstream, engine, aio=True).messages.create(
            model=body["model"], max_tokens=100, messages=body["messages"], stream=True
        )
        async with messages:
            events = [e async for e in messages]
        said = "".join(e.delta.text for e in events if e.type == "content_block_delta")
        return text, said

    text, said = asyncio.run(run())
    assert text.startswith("final answer") and "final answer" in said
    assert len(upstream.requests) == 4 and unredeemable(upstream.requests) == []


def test_a_stream_without_markers_is_still_compressed(upstream: Upstream, store: SqlStore) -> None:
    rows = json.dumps([{"id": i, "name": f"item {i}", "ok": True} for i in range(150)], indent=2)
    lossless = openai_client(upstream, Headroom(HeadroomConfig(), store=store))
    messages = openai_conversation(rows, "Which items are not ok?", system=None, call_id="c1")
    for _ in lossless.chat.completions.create(model="gpt-4o", messages=messages, stream=True):
        pass
    sent = upstream.requests[-1]["body"]["messages"][2]["content"]
    assert len(sent) < len(rows) / 2 and json.loads(sent) and "headroom" not in sent


def test_a_retrieve_call_mixed_with_the_callers_tools_is_dropped(
    upstream: Upstream, engine: Headroom
) -> None:
    upstream.mix_in = "lookup"
    client = openai_client(upstream, engine)
    response = client.chat.completions.create(model="gpt-4o", messages=openai_body()["messages"])
    calls = response.choices[0].message.tool_calls
    assert [call.function.name for call in calls] == ["lookup"]
    assert len(upstream.requests) == 1


def test_other_objects_are_refused() -> None:
    with pytest.raises(TypeError, match="SDK clients of anthropic, google.genai, openai"):
        withHeadroom(object())


def test_openai_responses_create_is_compressed_and_retrieval_answered(
    upstream: Upstream, engine: Headroom
) -> None:
    client = openai_client(upstream, engine)
    items = [
        {"role": "user", "content": "Which checksum was recorded?"},
        {"type": "function_call", "call_id": "c1", "name": "fetch_output", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": LOG},
    ]
    response = client.responses.create(model="gpt-4.1", input=items)
    assert [item.type for item in response.output] == ["message"]
    first, second = upstream.requests
    assert len(first["body"]["input"][2]["output"]) < len(LOG) / 4
    assert second["body"]["input"][-1]["output"] == LOG
    assert unredeemable(upstream.requests) == []


def test_an_anthropic_request_of_plain_strings_keeps_alternating_turns(
    upstream: Upstream, store: SqlStore
) -> None:
    # Early-message alignment moves the date to a context block at the end; the wrapper
    # knows the request is Anthropic's, so the block joins the last user turn.
    config = HeadroomConfig(align_early_messages=1, compress_user_messages=True)
    client = anthropic_client(upstream, Headroom(config, store=store))
    messages = [
        {"role": "user", "content": "Session 2026-11-25T09:00:00Z. Which checksum was recorded?"},
        {"role": "assistant", "content": "Send me the sync log."},
        {"role": "user", "content": LOG},
    ]
    reply = client.messages.create(model="claude-headroom-test", max_tokens=100, messages=messages)
    assert reply.content[-1].text.startswith("final answer")
    first = upstream.requests[0]["body"]["messages"]
    assert [m["role"] for m in first] == ["user", "assistant", "user"]
    assert "[headroom-dynamic-1]" in json.dumps(first[0])  # moved to the context block,
    assert "[headroom-dynamic-1] = " in first[-1]["content"][-1]["text"]  # in the last turn


def test_cache_breakpoints_are_added_outside_the_proxy(upstream: Upstream, store: SqlStore) -> None:
    engine = Headroom(HeadroomConfig(add_cache_breakpoints=True), store=store)
    body = anthropic_body()
    anthropic_client(upstream, engine).messages.create(
        model=body["model"], max_tokens=100, messages=body["messages"], system=body["system"]
    )
    sent = upstream.requests[0]["body"]
    assert sent["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert sent["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    openai_client(upstream, engine).chat.completions.create(
        model="gpt-4o", messages=openai_body()["messages"]
    )
    assert upstream.requests[-1]["body"]["prompt_cache_key"]
