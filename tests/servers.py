"""A real Headroom server on loopback, started in a thread, for tests."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from headroom import HeadroomConfig
from headroom.ccr import SqlStore
from headroom.server.app import ServerSettings, create_app
from headroom.server.serve import server_config
from tests.conftest import small_fixture_config

__all__ = ["RunningServer", "free_port", "start_server"]


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
    # The fake upstream takes its orders from x-test-* headers (tests/fakes.py).
    settings = settings.with_overrides(forward_headers=(*settings.forward_headers, "x-test-*"))
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
