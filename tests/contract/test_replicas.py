"""Two `headroom proxy` processes on one real PostgreSQL serve one tenant as one service:
refs made through one are retrieved through the other, decisions are shared (both send the
same bytes), and killing one mid-request loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.conversations import SYNC_LOG as LOG
from tests.conversations import openai_body
from tests.fakes import Upstream
from tests.postgres import fresh_database
from tests.servers import free_port

TENANT = {"authorization": "Bearer sk-one-tenant"}


def start_proxy(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "headroom", "proxy", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            process.kill()
            process.wait(10)
            if process.stderr is not None:
                process.stderr.close()
            raise RuntimeError(f"proxy did not start: {error}")
        time.sleep(0.1)


@pytest.fixture
def replicas(
    postgres_server_url: str, upstream: Upstream
) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(postgres_server_url))
        env = {
            **os.environ,
            "HEADROOM_STORE_URL": url,
            "HEADROOM_OPENAI_BASE_URL": upstream.url,
            "HEADROOM_FORWARD_HEADERS": "x-test-*",
            "HEADROOM_ANTHROPIC_BASE_URL": upstream.url,
        }
        started = []
        for _ in range(2):
            port = free_port()
            process = start_proxy(port, env)
            stack.callback(process.wait, 10)
            stack.callback(process.kill)
            if process.stderr is not None:
                stack.callback(process.stderr.close)
            started.append((f"http://127.0.0.1:{port}", process))
        yield started


def compress(base: str, messages: list[dict]) -> dict:
    response = httpx.post(
        f"{base}/v1/compress", json={"messages": messages}, headers=TENANT, timeout=60
    )
    assert response.status_code == 200
    return response.json()


def test_two_replicas_share_refs_and_decisions(replicas) -> None:
    (first, _), (second, _) = replicas
    messages = openai_body()["messages"]
    through_first = compress(first, messages)
    assert through_first["refs"], "the log was compressed"
    ref = through_first["refs"][0]
    found = httpx.get(f"{second}/v1/retrieve/{ref}", headers=TENANT, timeout=30).json()
    assert found["found"] and found["text"] == LOG
    # The second replica replays the first one's decision: the same bytes go out.
    assert compress(second, messages)["messages"] == through_first["messages"]
    # Another tenant sees nothing of it.
    other = httpx.get(
        f"{second}/v1/retrieve/{ref}", headers={"authorization": "Bearer sk-other"}, timeout=30
    )
    assert other.json()["found"] is False


def test_killing_a_replica_mid_request_loses_nothing(replicas) -> None:
    (first, victim), (second, _) = replicas
    refs = []
    for index in range(5):
        messages = openai_body()["messages"]
        messages[2]["content"] = LOG.replace("checksum", f"checksum-{index}")
        refs.append((compress(first, messages)["refs"][0], messages[2]["content"]))
    in_flight = threading.Thread(
        target=lambda: _swallow(
            lambda: httpx.post(
                f"{first}/v1/chat/completions",
                json=openai_body(),
                headers={**TENANT, "x-test-sleep": "5"},
                timeout=30,
            )
        )
    )
    in_flight.start()
    time.sleep(1.0)  # the request is upstream now
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    in_flight.join(30)
    for ref, original in refs:
        found = httpx.get(f"{second}/v1/retrieve/{ref}", headers=TENANT, timeout=30).json()
        assert found["found"] and found["text"] == original
    messages = openai_body()["messages"]
    messages[2]["content"] = LOG.replace("checksum", "checksum-after")
    after = compress(second, messages)
    again = httpx.get(f"{second}/v1/retrieve/{after['refs'][0]}", headers=TENANT, timeout=30)
    assert again.json()["text"] == messages[2]["content"]


def _swallow(call) -> None:
    try:
        call()
    except httpx.TransportError:
        pass  # the replica was killed under it
