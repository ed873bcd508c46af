"""Slow and idle clients are timed out, the connection cap holds, and malformed requests get
JSON 4xx answers on a connection that stays usable."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom.ccr import SqlStore
from headroom.server.app import ServerSettings
from tests.fakes import Upstream
from tests.servers import free_port, start_server


@pytest.fixture
def strict_server(upstream: Upstream, tmp_path: Path) -> Iterator[int]:
    settings = ServerSettings(
        port=free_port(),
        openai_base_url=upstream.url,
        anthropic_base_url=upstream.url,
        header_timeout_s=0.5,
        body_timeout_s=0.5,
        max_connections=20,
    )
    server, thread = start_server(settings, SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    yield settings.port
    server.should_exit = True
    thread.join(timeout=10)


def read_until_closed(sock: socket.socket, limit_s: float = 5.0) -> bytes:
    sock.settimeout(limit_s)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk


def timed_out(port: int, sent: bytes) -> tuple[bytes, float]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        if sent:
            sock.sendall(sent)
        answer = read_until_closed(sock)
    return answer, time.monotonic() - started


def test_a_silent_connection_is_closed_with_a_408(strict_server: int) -> None:
    answer, elapsed = timed_out(strict_server, b"")
    assert answer.startswith(b"HTTP/1.1 408") and b"request_timeout" in answer
    assert elapsed < 3


def test_trickled_headers_are_cut_off(strict_server: int) -> None:
    answer, elapsed = timed_out(strict_server, b"POST /v1/compress HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert answer.startswith(b"HTTP/1.1 408") and elapsed < 3


def test_a_stalled_body_is_cut_off(strict_server: int) -> None:
    head = (
        b"POST /v1/compress HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: 500\r\n\r\n"
    )
    answer, elapsed = timed_out(strict_server, head + b'{"messages": [')
    assert answer.startswith(b"HTTP/1.1 408") and b"body" in answer and elapsed < 3


def test_many_half_open_connections_are_all_closed(strict_server: int) -> None:
    sockets = [socket.create_connection(("127.0.0.1", strict_server)) for _ in range(200)]
    try:
        time.sleep(1.5)
        for sock in sockets:
            assert read_until_closed(sock, 3.0).startswith(b"HTTP/1.1 408")
    finally:
        for sock in sockets:
            sock.close()
    connection = http.client.HTTPConnection("127.0.0.1", strict_server, timeout=10)
    try:
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200  # and the server still serves
    finally:
        connection.close()


def test_connections_past_the_cap_are_refused_with_503(strict_server: int) -> None:
    idle = [socket.create_connection(("127.0.0.1", strict_server)) for _ in range(20)]
    try:
        time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", strict_server, timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 503
        connection.close()
    finally:
        for sock in idle:
            sock.close()


DEEP = "[" * 900 + "]" * 900
MALFORMED: list[tuple[str, bytes, dict[str, str]]] = [
    ("/v1/chat/completions", b'{"messages":[{"role":"user","content":"\\ud800"}]}', {}),
    (
        "/v1/chat/completions",
        b'{"messages":[{"role":"user","content":"\\ud800"}]}',
        {"x-headroom-bypass": "1"},
    ),
    ("/v1/chat/completions", b'{"messages":[{"role":"assistant","tool_calls":5}]}', {}),
    ("/v1/messages", b'{"messages":[{"role":"assistant","content":5}]}', {}),
    ("/v1/compress", json.dumps({"messages": [{"role": "user", "content": DEEP}]}).encode(), {}),
    ("/v1/compress", ('{"messages": ' + DEEP + "}").encode(), {}),
    ("/v1/compress", b"\xff\xfe not json", {}),
    ("/v1/compress", b"", {}),
    ("/v1/compress", b"[]", {}),
    ("/v1/retrieve", b'{"ref": 5}', {}),
    ("/v1/chat/completions", b"[1, 2]", {}),
    ("/v1/chat/completions", b"null", {"x-headroom-bypass": "1"}),  # forwarded as `null`
]


@pytest.mark.parametrize(("path", "body", "headers"), MALFORMED)
def test_malformed_requests_get_json_answers_and_the_connection_stays_usable(
    headroom_server, path: str, body: bytes, headers: dict[str, str]
) -> None:
    port = int(headroom_server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST", path, body=body, headers={"content-type": "application/json", **headers}
    )
    response = connection.getresponse()
    payload = response.read()
    assert response.status < 500, payload
    assert response.getheader("content-type", "").startswith("application/json")
    json.loads(payload)
    connection.request("GET", "/health")  # the same kept-alive connection
    assert connection.getresponse().status == 200
    connection.close()


def test_bypass_passes_any_json_through_untouched(headroom_server, upstream: Upstream) -> None:
    port = int(headroom_server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    odd = {"messages": [{"role": "assistant", "tool_calls": 5}], "model": 7}
    connection.request(
        "POST",
        "/v1/chat/completions",
        body=json.dumps(odd),
        headers={"content-type": "application/json", "x-headroom-bypass": "1"},
    )
    assert connection.getresponse().status < 500
    connection.close()
    assert upstream.requests[-1]["body"] == odd
