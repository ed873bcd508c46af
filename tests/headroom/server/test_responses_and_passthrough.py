"""`/v1/responses` through the proxy (plain and streaming), and every other path forwarded."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conversations import OPENAI_KEY, REASONING, SYNC_LOG, responses_body
from tests.fakes import Upstream
from tests.servers import RunningServer


def test_responses_input_is_compressed_and_retrieval_answered_locally(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    # `store: false`: the upstream keeps no response to chain to, so the round re-sends all.
    response = client.post(
        f"{headroom_server.url}/v1/responses", json=responses_body(store=False), headers=OPENAI_KEY
    )
    assert response.status_code == 200
    output = response.json()["output"]
    assert [item["type"] for item in output] == ["message"]  # no retrieve call reaches the app
    first, second = upstream.requests
    sent = first["body"]["input"]
    assert sent[1] == REASONING and sent[:3] == responses_body()["input"][:3]  # untouched
    assert (
        len(sent[3]["output"]) < len(SYNC_LOG) / 4 and "headroom_retrieve ref=" in sent[3]["output"]
    )
    retrieve_tool = {"type": "function", "name": "headroom_retrieve"}
    assert retrieve_tool.items() <= first["body"]["tools"][0].items()
    answer = second["body"]["input"][-1]
    assert answer["type"] == "function_call_output" and answer["output"] == SYNC_LOG
    assert second["body"]["input"][-2]["name"] == "headroom_retrieve"
    assert "previous_response_id" not in second["body"]
    assert first["headers"]["authorization"] == "Bearer sk-tenant-a"


@pytest.mark.parametrize("extra", [{}, {"previous_response_id": "resp_0"}, {"store": True}])
def test_the_next_round_chains_to_the_response(
    headroom_server: RunningServer,
    upstream: Upstream,
    client: httpx.Client,
    extra: dict[str, Any],
) -> None:
    body = responses_body(**extra)
    response = client.post(f"{headroom_server.url}/v1/responses", json=body, headers=OPENAI_KEY)
    assert response.status_code == 200
    _, second = upstream.requests
    assert second["body"]["previous_response_id"] == "resp_1"  # the reply that asked
    (only,) = second["body"]["input"]
    assert only["type"] == "function_call_output" and only["output"] == SYNC_LOG


def test_a_streamed_response_hides_the_retrieval_round(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    response = client.post(
        f"{headroom_server.url}/v1/responses", json=responses_body(stream=True), headers=OPENAI_KEY
    )
    assert response.status_code == 200
    events = [
        json.loads(line[len("data: ") :])
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]
    assert "headroom_retrieve" not in response.text
    assert [e["type"] for e in events].count("response.created") == 1
    assert events[-1]["type"] == "response.completed"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert {e["output_index"] for e in events if "output_index" in e} == {0}
    assert len(upstream.requests) == 2  # the retrieval round happened upstream


def test_other_paths_are_forwarded_untouched(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    models = client.get(f"{headroom_server.url}/v1/models?limit=5", headers=OPENAI_KEY)
    assert models.status_code == 200 and models.json()["data"] == [{"id": "fake-model"}]
    raw = b'{"model": "claude", "messages": [{"role": "user", "content": "hi"}]}'
    counted = client.post(
        f"{headroom_server.url}/v1/messages/count_tokens",
        content=raw,
        headers={"x-api-key": "sk-ant", "anthropic-version": "2023-06-01"},
    )
    assert counted.status_code == 200
    get, post = upstream.requests
    assert (
        get["path"] == "/v1/models?limit=5"
        and get["headers"]["authorization"] == "Bearer sk-tenant-a"
    )
    assert post["path"] == "/v1/messages/count_tokens" and post["body"] == json.loads(raw)
    assert post["headers"]["x-api-key"] == "sk-ant"


def test_forwarded_paths_keep_the_size_limit(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    big = b'{"input": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = client.post(f"{headroom_server.url}/v1/embeddings", content=big)
    assert response.status_code == 413 and upstream.requests == []
