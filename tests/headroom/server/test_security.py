import logging
from pathlib import Path

import httpx
import pytest

from headroom.ccr import SqlStore
from headroom.server.app import ServerSettings
from tests.conversations import anthropic_body, openai_body
from tests.fakes import Upstream
from tests.servers import RunningServer, free_port, start_server


def test_slow_upstream_times_out_with_a_json_error(
    upstream: Upstream, tmp_path: Path, client: httpx.Client
) -> None:
    settings = ServerSettings(
        port=free_port(), openai_base_url=upstream.url, upstream_timeout_s=0.5
    )
    server, thread = start_server(settings, SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    try:
        response = client.post(
            f"http://127.0.0.1:{settings.port}/v1/chat/completions",
            json=openai_body(),
            headers={"x-test-sleep": "2"},
        )
        assert (
            response.status_code == 504 and response.json()["error"]["type"] == "upstream_timeout"
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_unreachable_upstream_is_a_502(tmp_path: Path, client: httpx.Client) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = ServerSettings(port=free_port(), openai_base_url=dead, anthropic_base_url=dead)
    server, thread = start_server(settings, SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    try:
        base = f"http://127.0.0.1:{settings.port}"
        plain = client.post(f"{base}/v1/chat/completions", json=openai_body())
        assert plain.status_code == 502 and plain.json()["error"]["type"] == "upstream_unreachable"
        streamed = client.post(f"{base}/v1/messages", json=anthropic_body(stream=True))
        assert streamed.status_code == 502
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_no_originals_or_credentials_in_logs(
    headroom_server: RunningServer,
    upstream: Upstream,
    client: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "TOP-SECRET-PAYLOAD-7731"
    body = openai_body()
    body["messages"][2]["content"] = body["messages"][2]["content"].replace("checksum", secret)
    client.post(
        f"{headroom_server.url}/v1/chat/completions",
        json=body,
        headers={"authorization": "Bearer sk-live-4242"},
    )
    client.post(f"{headroom_server.url}/v1/compress", json={"messages": body["messages"]})
    client.post(
        f"{headroom_server.url}/v1/chat/completions", json=body, headers={"x-test-status": "500"}
    )
    assert len(upstream.requests) >= 2
    assert secret not in caplog.text and "sk-live-4242" not in caplog.text


def test_without_a_token_only_loopback_names_and_origins_are_served(
    headroom_server: RunningServer, client: httpx.Client
) -> None:
    """DNS rebinding (a page whose name resolves to 127.0.0.1) and cross-origin posts get
    nothing; the server's own addresses and origin-less clients work as before."""
    url = f"{headroom_server.url}/v1/stats"
    assert client.get(url).status_code == 200
    assert client.get(url, headers={"origin": headroom_server.url}).status_code == 200
    rebound = client.get(url, headers={"host": "evil.example:8787"})
    assert rebound.status_code == 403 and rebound.json()["error"]["type"] == "forbidden"
    cross = client.post(
        f"{headroom_server.url}/v1/compress",
        content=b'{"messages": []}',
        headers={"origin": "http://evil.example", "content-type": "text/plain"},
    )
    assert cross.status_code == 403


def test_a_lone_surrogate_is_a_json_400_and_the_connection_stays_usable(
    headroom_server: RunningServer, client: httpx.Client
) -> None:
    body = b'{"messages": [{"role": "user", "content": "\\ud800"}]}'
    for path in ("/v1/compress", "/v1/chat/completions"):
        response = client.post(
            f"{headroom_server.url}{path}",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 400, path
        assert response.json()["error"]["type"] == "invalid_unicode"
    assert client.get(f"{headroom_server.url}/health").status_code == 200


def test_with_a_token_cross_origin_requests_are_refused_and_allowed_names_enforced(
    tmp_path: Path, client: httpx.Client
) -> None:
    settings = ServerSettings(
        port=free_port(), api_token="s3cret", allowed_hosts=("headroom.internal",)
    )
    server, thread = start_server(settings, SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    url = f"http://127.0.0.1:{settings.port}/v1/stats"
    token = {"x-headroom-token": "s3cret"}
    try:
        named = {"host": f"headroom.internal:{settings.port}"}
        assert client.get(url, headers={**token, **named}).status_code == 200
        same_site = {**named, "origin": f"http://headroom.internal:{settings.port}"}
        assert client.get(url, headers={**token, **same_site}).status_code == 200
        other = client.get(url, headers={**token, "host": "evil.example"})
        assert other.status_code == 421
        assert other.json()["error"]["type"] == "misdirected_request"
        cross = client.post(
            f"http://127.0.0.1:{settings.port}/v1/compress",
            content=b'{"messages": []}',
            headers={**token, "origin": "http://evil.example", "content-type": "text/plain"},
        )
        assert cross.status_code == 403
        assert client.get(url, headers={**token, "origin": "null"}).status_code == 403
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_allowed_hosts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_ALLOWED_HOSTS", " Headroom.Internal , proxy ")
    assert ServerSettings.from_env().allowed_hosts == ("headroom.internal", "proxy")
