"""Streamed answers with a retrieval round through the proxy, read by the real OpenAI and
Anthropic SDKs: one identity from the first event to the last, and always terminated, also
when the follow-up round fails."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.conversations import SYNC_LOG, anthropic_body, openai_body, responses_body
from tests.fakes import Upstream
from tests.servers import RunningServer


def openai_client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-test", max_retries=0)


def anthropic_client(server: RunningServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="sk-ant-test", max_retries=0)


def test_a_streamed_responses_round_is_one_response_to_the_openai_sdk(
    headroom_server: RunningServer, upstream: Upstream
) -> None:
    body = responses_body()
    with openai_client(headroom_server).responses.stream(
        model=body["model"], input=body["input"]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()  # raised "Lifecycle response identity changed"
    created = next(e for e in events if e.type == "response.created")
    completed = next(e for e in events if e.type == "response.completed")
    assert created.response.id == completed.response.id == final.id == "resp_1"
    assert [item.type for item in final.output] == ["message"]
    assert final.output_text.startswith("final answer")
    assert "headroom_retrieve" not in repr(events)
    first, second = upstream.requests
    # Chained: the next round sends only the retrieve call's output.
    assert second["body"]["previous_response_id"] == "resp_1"
    (only,) = second["body"]["input"]
    assert only["type"] == "function_call_output" and only["output"] == SYNC_LOG


def test_a_streamed_responses_round_without_store_resends_the_input(
    headroom_server: RunningServer, upstream: Upstream
) -> None:
    body = responses_body()
    with openai_client(headroom_server).responses.stream(
        model=body["model"], input=body["input"], store=False
    ) as stream:
        final = stream.get_final_response()
    assert final.output_text.startswith("final answer")
    second = upstream.requests[1]["body"]
    assert "previous_response_id" not in second
    assert second["input"][-2]["name"] == "headroom_retrieve"
    assert second["input"][-1]["output"] == SYNC_LOG


def test_a_streamed_chat_round_has_one_chunk_id_and_one_role_chunk(
    headroom_server: RunningServer, upstream: Upstream
) -> None:
    body = openai_body()
    chunks = list(
        openai_client(headroom_server).chat.completions.create(
            model=body["model"], messages=body["messages"], stream=True
        )
    )
    assert {c.id for c in chunks} == {"chatcmpl_1"}
    assert [c.choices[0].delta.role for c in chunks if c.choices[0].delta.role] == ["assistant"]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.startswith("final answer") and len(upstream.requests) == 2
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["stop"]


def read_events(response: httpx.Response) -> list[Any]:
    return [line[5:].strip() for line in response.iter_lines() if line.startswith("data:")]


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/responses"])
def test_a_failed_follow_up_round_still_ends_the_stream(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client, path: str
) -> None:
    upstream.fail_request = 2
    body = {
        "/v1/chat/completions": openai_body,
        "/v1/messages": anthropic_body,
        "/v1/responses": responses_body,
    }[path](stream=True)
    with client.stream("POST", f"{headroom_server.url}{path}", json=body) as response:
        assert response.status_code == 200
        data = read_events(response)
    assert len(upstream.requests) == 2 and "headroom_retrieve" not in json.dumps(data)
    if path == "/v1/chat/completions":
        assert data[-1] == "[DONE]"
        finish = [json.loads(d)["choices"][0].get("finish_reason") for d in data[:-1]]
        assert [f for f in finish if f] == ["stop"]  # not "tool_calls": no call reached it
    elif path == "/v1/messages":
        kinds = [json.loads(d)["type"] for d in data]
        assert kinds[-2:] == ["message_delta", "message_stop"]
        assert json.loads(data[-2])["delta"]["stop_reason"] == "end_turn"
    else:
        events = [json.loads(d) for d in data]
        assert events[-1]["type"] == "response.completed"
        assert events[-1]["response"]["id"] == events[0]["response"]["id"]
        assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_the_sdks_read_a_stream_whose_follow_up_round_failed(
    headroom_server: RunningServer, upstream: Upstream
) -> None:
    upstream.fail_request = 2
    body = anthropic_body()
    with anthropic_client(headroom_server).messages.stream(
        model=body["model"], max_tokens=100, messages=body["messages"]
    ) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "end_turn" and message.content[0].text == "Let me look."
    upstream.fail_request = 4
    body = responses_body()
    with openai_client(headroom_server).responses.stream(
        model=body["model"], input=body["input"]
    ) as responses:
        final = responses.get_final_response()
    assert final.status == "completed" and final.output == []
