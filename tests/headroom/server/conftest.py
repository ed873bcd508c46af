"""A real Headroom server on loopback, in front of the fake upstream of tests/fakes.py."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from headroom import HeadroomConfig
from headroom.ccr import SqlStore
from headroom.server.app import ServerSettings, create_app
from headroom.server.serve import server_config
from tests.conftest import small_fixture_config
from tests.fakes import Upstream


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    store: SqlStore


def start_server(
    settings: ServerSettings, store: SqlStore | None, config: HeadroomConfig | None = None
) -> tuple[uvicorn.Server, threading.Thread]:
    app = create_app(settings, config or small_fixture_config(), store)
    server = uvicorn.Server(server_config(app, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return server, thread


@pytest.fixture
def headroom_server(upstream: Upstream, tmp_path: Path) -> Iterator[RunningServer]:
    store = SqlStore(f"sqlite:///{tmp_path / 'server.db'}")
    settings = ServerSettings(
        port=free_port(),
        openai_base_url=upstream.url,
        anthropic_base_url=upstream.url,
        max_request_bytes=4 * 1024 * 1024,
    )
    server, thread = start_server(settings, store)
    yield RunningServer(f"http://127.0.0.1:{settings.port}", store)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http
