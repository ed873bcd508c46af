import json
from pathlib import Path

import httpx
import pytest

from headroom.ccr import SqlStore
from headroom.server.app import ServerSettings
from tests.conversations import OPENAI_KEY, anthropic_body, openai_body, unredeemable
from tests.conversations import SYNC_LOG as LOG
from tests.fakes import Upstream
from tests.servers import RunningServer, free_port, start_server


def test_upstream_receives_compressed_messages_and_retrieval_is_answered_locally(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    upstream.retrieve_query = "checksum"
    response = client.post(
        f"{headroom_server.url}/v1/chat/completions", json=openai_body(), headers=OPENAI_KEY
    )
    assert response.status_code == 200
    answer = response.json()["choices"][0]["message"]
    assert answer["content"].startswith("final answer") and "tool_calls" not in answer
    first, second = upstream.requests
    sent_log = first["body"]["messages"][2]["content"]
    assert len(sent_log) < len(LOG) / 4 and "headroom_retrieve ref=" in sent_log
    assert any(t["function"]["name"] == "headroom_retrieve" for t in first["body"]["tools"])
    assert first["headers"]["authorization"] == "Bearer sk-tenant-a"  # credentials pass through
    tool_answer = second["body"]["messages"][-1]
    assert tool_answer["role"] == "tool" and tool_answer["tool_call_id"] == "call_r1"
    assert "checksum 0xDEADBEEF7 recorded" in tool_answer["content"]
    stats = client.get(f"{headroom_server.url}/v1/stats", headers=OPENAI_KEY).json()
    assert stats["retrievals"] == 1  # answered by the proxy, counted in the caller's namespace
    assert unredeemable(upstream.requests) == []


def test_anthropic_round_trip(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    response = client.post(
        f"{headroom_server.url}/v1/messages",
        json=anthropic_body(),
        headers={"x-api-key": "sk-ant-1"},
    )
    assert response.status_code == 200
    assert response.json()["content"][0]["text"].startswith("final answer")
    first, second = upstream.requests
    assert first["body"]["system"] == "be brief"
    assert first["body"]["tools"][-1]["name"] == "headroom_retrieve"
    result = second["body"]["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_r1"
    assert result["content"] == LOG  # no query: the whole original


def test_bypass_header_sends_the_original(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    client.post(
        f"{headroom_server.url}/v1/chat/completions",
        json=openai_body(),
        headers={"x-headroom-bypass": "1"},
    )
    (only,) = upstream.requests
    assert only["body"]["messages"][2]["content"] == LOG
    assert "tools" not in only["body"]
    assert not any(h.startswith("x-headroom") for h in only["headers"])


def test_excluded_tool_header(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    client.post(
        f"{headroom_server.url}/v1/chat/completions",
        json=openai_body(),
        headers={"x-headroom-exclude-tools": "fetch_output"},
    )
    assert upstream.requests[0]["body"]["messages"][2]["content"] == LOG


def read_sse(response: httpx.Response) -> list[str]:
    return [line[5:].strip() for line in response.iter_lines() if line.startswith("data:")]


def test_openai_streaming_with_a_retrieval_round(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    with client.stream(
        "POST", f"{headroom_server.url}/v1/chat/completions", json=openai_body(stream=True)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        data = read_sse(response)
    assert data[-1] == "[DONE]" and data.count("[DONE]") == 1
    chunks = [json.loads(d) for d in data[:-1]]
    text = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices")
    )
    assert text.startswith("final answer")
    assert "headroom_retrieve" not in json.dumps(chunks)
    assert [
        c["choices"][0].get("finish_reason") for c in chunks if c["choices"][0].get("finish_reason")
    ] == ["stop"]
    assert (
        len(upstream.requests) == 2
        and upstream.requests[1]["body"]["messages"][-1]["role"] == "tool"
    )


def test_anthropic_streaming_with_a_retrieval_round(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    with client.stream(
        "POST", f"{headroom_server.url}/v1/messages", json=anthropic_body(stream=True)
    ) as response:
        events = [json.loads(d) for d in read_sse(response)]
    kinds = [e["type"] for e in events]
    assert (
        kinds.count("message_start") == 1
        and kinds[-1] == "message_stop"
        and kinds.count("message_stop") == 1
    )
    starts = [e["index"] for e in events if e["type"] == "content_block_start"]
    assert starts == [0, 1]  # "Let me look." then the final text: indexes continue, no tool block
    assert "headroom_retrieve" not in json.dumps(events)
    stops = [e["delta"]["stop_reason"] for e in events if e["type"] == "message_delta"]
    assert stops == ["end_turn"]
    second = upstream.requests[1]["body"]["messages"]
    assert (
        second[-2]["content"][1]["name"] == "headroom_retrieve"
    )  # the assistant turn, rebuilt from the stream
    assert second[-1]["content"][0]["content"] == LOG


def test_stream_without_retrieval_passes_through(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    body = openai_body(stream=True)
    body["messages"][2]["content"] = "short output"
    with client.stream("POST", f"{headroom_server.url}/v1/chat/completions", json=body) as response:
        data = read_sse(response)
    assert data[-1] == "[DONE]" and len(upstream.requests) == 1


@pytest.mark.parametrize("wire", [{"x-test-wire": "crlf"}, {"x-test-pad": "300000"}])
def test_streams_relay_crlf_line_ends_and_long_lines(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client, wire: dict[str, str]
) -> None:
    with client.stream(
        "POST",
        f"{headroom_server.url}/v1/chat/completions",
        json=openai_body(stream=True),
        headers=wire,
    ) as response:
        data = read_sse(response)
    assert data[-1] == "[DONE]" and data.count("[DONE]") == 1
    chunks = [json.loads(d) for d in data[:-1]]
    text = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices")
    )
    assert text.startswith("final answer") and "headroom_retrieve" not in json.dumps(chunks)
    assert len(upstream.requests) == 2  # the retrieval round was read and answered
    if "x-test-pad" in wire:
        assert len(chunks[0]["pad"]) == 300_000


def test_a_cookie_the_upstream_sets_is_not_sent_with_anyone_elses_request(
    upstream: Upstream, client: httpx.Client, tmp_path: Path
) -> None:
    # By name, not IP: cookie jars keep no cookie of a bare IP address.
    named = upstream.url.replace("127.0.0.1", "localhost")
    settings = ServerSettings(port=free_port(), openai_base_url=named)
    server, thread = start_server(settings, SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    try:
        url = f"http://127.0.0.1:{settings.port}/v1/chat/completions"
        body = openai_body()
        body["messages"][2]["content"] = "short output"
        assert client.post(url, json=body, headers={"x-test-set-cookie": "a"}).status_code == 200
        assert client.post(url, json=body).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert "cookie" not in {k.lower() for k in upstream.requests[-1]["headers"]}


def test_upstream_errors_pass_through(headroom_server: RunningServer, client: httpx.Client) -> None:
    response = client.post(
        f"{headroom_server.url}/v1/chat/completions",
        json=openai_body(),
        headers={"x-test-status": "429"},
    )
    assert response.status_code == 429 and response.json()["error"]["message"] == "upstream says no"
    streamed = client.post(
        f"{headroom_server.url}/v1/messages",
        json=anthropic_body(stream=True),
        headers={"x-test-status": "500"},
    )
    assert streamed.status_code == 500


def test_bad_requests_get_json_errors(headroom_server: RunningServer, client: httpx.Client) -> None:
    url = f"{headroom_server.url}/v1/chat/completions"
    malformed = client.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["type"] == "invalid_json"
    no_messages = client.post(url, json={"model": "x"})
    assert no_messages.status_code == 400 and "messages" in no_messages.json()["error"]["message"]
    huge = client.post(url, content=b"x" * (5 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["error"]["type"] == "request_too_large"
    array = client.post(f"{headroom_server.url}/v1/compress", json=[1, 2])
    assert array.status_code == 400
    wrong_shape = client.post(f"{headroom_server.url}/v1/compress", json={"messages": "nope"})
    assert (
        wrong_shape.status_code == 400 and wrong_shape.json()["error"]["type"] == "invalid_request"
    )


@pytest.mark.parametrize(
    "base",
    [
        "https://api.example.com",
        "https://api.example.com/",
        "https://api.example.com/v1",
        "https://api.example.com/v1/",
    ],
)
def test_upstream_url_with_or_without_v1(base: str) -> None:
    from headroom.server.proxy import upstream_url

    assert (
        upstream_url(base, "/v1/chat/completions") == "https://api.example.com/v1/chat/completions"
    )


def test_only_allowed_client_headers_go_upstream(
    headroom_server: RunningServer, upstream: Upstream, client: httpx.Client
) -> None:
    sent = {
        "authorization": "Bearer sk-allowed",
        "openai-organization": "org-1",
        "x-stainless-lang": "python",
        "cookie": "session=caller-cookie",
        "x-forwarded-for": "10.0.0.9",
        "proxy-authorization": "Basic c2VjcmV0",
        "x-internal-trace": "t-1",
        "x-headroom-exclude-tools": "none",
    }
    for path in ("/v1/chat/completions", "/v1/models"):  # a proxied route and a passthrough
        if path == "/v1/models":
            assert client.get(f"{headroom_server.url}{path}", headers=sent).status_code == 200
        else:
            answer = client.post(f"{headroom_server.url}{path}", json=openai_body(), headers=sent)
            assert answer.status_code == 200
        received = {k.lower(): v for k, v in upstream.requests[-1]["headers"].items()}
        assert received["authorization"] == "Bearer sk-allowed"
        assert received["openai-organization"] == "org-1"
        assert received["x-stainless-lang"] == "python"
        for dropped in ("cookie", "x-forwarded-for", "proxy-authorization", "x-internal-trace"):
            assert dropped not in received
        assert not any(name.startswith("x-headroom-") for name in received)


def test_a_key_is_one_tenant_whatever_header_carries_it(
    headroom_server: RunningServer, client: httpx.Client
) -> None:
    url = headroom_server.url
    compressed = client.post(
        f"{url}/v1/compress",
        json={"messages": openai_body()["messages"]},
        headers={"authorization": "Bearer sk-same-key"},
    ).json()
    assert compressed["refs"]
    ref = compressed["refs"][0]
    for headers in (
        {"x-api-key": "sk-same-key"},
        {"authorization": "bearer sk-same-key"},
        {"api-key": "sk-same-key"},
    ):
        found = client.get(f"{url}/v1/retrieve/{ref}", headers=headers).json()
        assert found["found"], headers
    other = client.get(f"{url}/v1/retrieve/{ref}", headers={"x-api-key": "sk-other-key"})
    assert not other.json()["found"]  # another key is another tenant
