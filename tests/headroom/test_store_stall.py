"""A store that stalls, locks, refuses writes or cannot be used costs a bounded wait (or a
clear error at construction), never a hung call or lost content."""

import os
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore, check_store_url
from headroom.errors import ConfigError, StoreConfigError, StoreError
from headroom.server.app import ServerSettings
from tests.conversations import WORKER_LOG as LOG
from tests.conversations import openai_conversation
from tests.fakes import Upstream
from tests.servers import free_port, start_server


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A TCP server on loopback that accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], accepted
    listener.close()
    for connection in accepted:
        connection.close()


def two_tool_results() -> list[dict]:
    conversation = openai_conversation(LOG) + openai_conversation(LOG.replace("quota", "space"))[2:]
    for index, message in enumerate(conversation):
        if message.get("tool_call_id"):
            message["tool_call_id"] = f"call_{index}"
        for call in message.get("tool_calls") or []:
            call["id"] = f"call_{index + 1}"
    return conversation


def timed_compress(engine: Headroom, conversation: list[dict]) -> tuple[object, float]:
    started = time.monotonic()
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(engine.compress(conversation)))
    worker.start()
    worker.join(timeout=60)
    assert done, "compress() returned"
    return done[0], time.monotonic() - started


@pytest.mark.slow  # waits out the default deadline
def test_a_silent_database_fails_open_within_the_default_deadline(silent_server) -> None:
    port, accepted = silent_server
    # No connect_timeout in the URL: the client-side deadline (5 s by default) bounds it.
    url = f"postgresql+psycopg://user@127.0.0.1:{port}/db"
    engine = Headroom(HeadroomConfig(store_url=url, budget_scale=0.25, budget_exponent=1.0))
    conversation = two_tool_results()
    result, elapsed = timed_compress(engine, conversation)
    assert elapsed < 6.5
    assert result.messages == conversation  # nothing stored, so nothing compressed
    assert result.failed_open  # and the caller is told why
    assert len(accepted) <= 1  # the store was tried once, not once per payload
    again, elapsed = timed_compress(engine, conversation)
    assert elapsed < 1 and again.failed_open  # left alone for a while: no second wait


@pytest.mark.slow  # a real server
def test_the_proxy_starts_and_passes_through_on_a_silent_database(
    silent_server, upstream: Upstream
) -> None:
    port, _ = silent_server
    config = HeadroomConfig(
        store_url=f"postgresql+psycopg://user@127.0.0.1:{port}/db",
        store_timeout_s=1.0,
        budget_scale=0.25,
        budget_exponent=1.0,
    )
    settings = ServerSettings(port=free_port(), openai_base_url=upstream.url)
    server, thread = start_server(settings, None, config)  # the store is not opened at start
    client = httpx.Client(timeout=30)
    try:
        body = {"model": "gpt-4o", "messages": two_tool_results()}
        started = time.monotonic()
        response = client.post(f"http://127.0.0.1:{settings.port}/v1/chat/completions", json=body)
        assert response.status_code == 200 and time.monotonic() - started < 4
        assert upstream.requests[-1]["body"]["messages"] == body["messages"]
        stats = client.get(f"http://127.0.0.1:{settings.port}/v1/stats")
        assert stats.status_code == 503 and stats.json()["error"]["type"] == "store_unavailable"
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=10)


def test_a_locked_sqlite_store_costs_one_short_wait(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    SqlStore(f"sqlite:///{path}").close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        engine = Headroom(
            HeadroomConfig(
                store_url=f"sqlite:///{path}",
                store_timeout_s=1.0,
                budget_scale=0.25,
                budget_exponent=1.0,
            )
        )
        conversation = two_tool_results()
        result, elapsed = timed_compress(engine, conversation)
        assert elapsed < 3.5
        assert result.messages == conversation and result.failed_open
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder that really cannot be written: a read-only bind mount as root, file modes
    otherwise."""
    source, view = tmp_path / "data", tmp_path / "view"
    source.mkdir()
    view.mkdir()
    store = SqlStore(f"sqlite:///{source / 'store.db'}")
    store.put("default", "00000000000000aa", "kept original", kind="text")
    store.close()
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(source), str(view)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        try:
            yield view
        finally:
            subprocess.run(["umount", "--lazy", str(view)], check=True)
    else:
        (source / "store.db").chmod(0o444)
        source.chmod(0o555)
        try:
            yield source
        finally:
            source.chmod(0o755)


def test_a_read_only_store_is_readable(read_only_folder: Path) -> None:
    with pytest.raises(OSError):
        (read_only_folder / "probe").write_text("x")
    store = SqlStore(f"sqlite:///{read_only_folder / 'store.db'}")
    try:
        assert store.read_only
        assert store.get("default", "00000000000000aa") == "kept original"
        with pytest.raises(StoreError, match="read-only"):
            store.put("default", "00000000000000bb", "new", kind="text")
        engine = Headroom(HeadroomConfig(budget_scale=0.25, budget_exponent=1.0), store=store)
        assert engine.retrieve("00000000000000aa") == "kept original"
        conversation = two_tool_results()
        result = engine.compress(conversation)
        assert result.messages == conversation and result.failed_open
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://user@127.0.0.1/db", "not 'mysql'"),
        ("postgresql+pg8000://user@127.0.0.1/db", "pip install pg8000"),
        ("not a url", "not a database URL"),
    ],
)
def test_unusable_store_urls_say_what_to_do(url: str, named: str) -> None:
    with pytest.raises(StoreConfigError, match=named) as caught:
        Headroom(HeadroomConfig(store_url=url))  # refused at construction, not per payload
    assert isinstance(caught.value, StoreError) and isinstance(caught.value, ConfigError)


def test_a_plain_postgresql_url_uses_psycopg() -> None:
    check_store_url("postgresql://user@127.0.0.1/db")  # psycopg 3, not the absent psycopg2
