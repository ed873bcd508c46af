"""A real Headroom server on loopback, in front of the fake upstream of tests/fakes.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from headroom.ccr import SqlStore
from headroom.server.app import ServerSettings
from tests.fakes import Upstream
from tests.servers import RunningServer, free_port, start_server


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
