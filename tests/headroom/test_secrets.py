"""Secrets and originals stay out of every message: the whole store failure matrix (down,
black hole, locked, write rejected, bad URL) is run with a known password and a known
original, and neither may appear in a log record, stderr, a CLI line or an HTTP body."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.errors import StoreError
from headroom.redact import redact_url, scrub
from headroom.server.app import ServerSettings
from headroom.surfaces.cli import main
from tests.conversations import WORKER_LOG, openai_conversation
from tests.fakes import Upstream
from tests.servers import free_port, start_server

PASSWORD = "pw-Zq8-canary"
SSL_PASSWORD = "sslpw-Kx3-canary"
TOKEN = "tok-Hv5-canary"
SECRET_LINE = "SECRET-TOKEN-sk-live-123 2024-01-01 the first bytes of the original"
ORIGINAL = SECRET_LINE + "\n" + WORKER_LOG
SECRETS = (PASSWORD, SSL_PASSWORD, TOKEN)


def postgres_url(port: int) -> str:
    return (
        f"postgresql+psycopg://hr:{PASSWORD}@127.0.0.1:{port}/db"
        f"?password={PASSWORD}&sslpassword={SSL_PASSWORD}&sslkey=/keys/{PASSWORD}.pem"
    )


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()
    for connection in accepted:
        connection.close()


class Seen:
    """Everything a user or an operator could see: log records, output, HTTP bodies."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]):
        self.caplog, self.capfd, self.texts = caplog, capfd, []

    def add(self, text: str) -> None:
        self.texts.append(text)

    def all(self) -> str:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        records = [formatter.format(record) for record in self.caplog.records]
        out, err = self.capfd.readouterr()
        self.texts += [out, err]
        return "\n".join([*records, *self.texts])

    def assert_clean(self, *, original_too: bool = True) -> str:
        seen = self.all()
        for secret in SECRETS:
            assert secret not in seen
        if original_too:
            assert "SECRET-TOKEN" not in seen
        return seen


@pytest.fixture
def seen(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Seen:
    caplog.set_level(logging.DEBUG)
    return Seen(caplog, capfd)


def exercise_engine(config: HeadroomConfig, seen: Seen) -> None:
    """Compress (fails open), stats, retrieve and every repr of an engine on `config`."""
    engine = Headroom(config)
    seen.add(repr(config) + str(config) + config.model_dump_json() + repr(engine))
    seen.add(repr(engine.store))
    result = engine.compress(openai_conversation(ORIGINAL))
    assert result.failed_open
    for call in (engine.stats, lambda: engine.retrieve("0123456789abcdef")):
        try:
            call()
        except StoreError as exc:
            seen.add(str(exc))


def run_cli(argv: list[str]) -> int:
    """The `headroom` command in this process: its output reaches `capfd`."""
    return main(argv)


@pytest.mark.slow  # PostgreSQL client timeouts
@pytest.mark.parametrize("where", ["down", "black_hole"])
def test_an_unreachable_postgres_never_shows_its_password(
    where: str, seen: Seen, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = request.getfixturevalue("black_hole") if where == "black_hole" else closed_port()
    url = postgres_url(port)
    exercise_engine(HeadroomConfig(store_url=url, store_timeout_s=0.5), seen)
    monkeypatch.setenv("HEADROOM_STORE_URL", url)
    monkeypatch.setenv("HEADROOM_STORE_TIMEOUT_S", "0.5")
    monkeypatch.setenv("HEADROOM_API_TOKEN", TOKEN)
    for argv in (["doctor", "--port", str(closed_port())], ["stats"], ["retrieve", "0" * 16]):
        assert run_cli(argv) != 0
    text = seen.assert_clean()
    assert "password=***" in text and "hr:***@127.0.0.1" in text  # said, masked


def test_the_server_answers_store_errors_without_the_password(
    seen: Seen, upstream: Upstream
) -> None:
    config = HeadroomConfig(store_url=postgres_url(closed_port()), store_timeout_s=0.5)
    settings = ServerSettings(port=free_port(), openai_base_url=upstream.url, engine=config)
    seen.add(repr(settings) + settings.model_dump_json())
    server, thread = start_server(settings, None, config)
    base = f"http://127.0.0.1:{settings.port}"
    try:
        with httpx.Client(timeout=30) as client:
            answers = [
                client.get(f"{base}/v1/stats"),
                client.get(f"{base}/v1/retrieve/0123456789abcdef"),
                client.post(f"{base}/v1/retrieve", json={"ref": "0123456789abcdef"}),
                client.get(f"{base}/v1/dashboard/data"),
            ]
            compressed = client.post(
                f"{base}/v1/chat/completions",
                json={"model": "gpt-4o", "messages": openai_conversation(ORIGINAL)},
            )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert [a.status_code for a in answers] == [503, 503, 503, 503]
    assert compressed.status_code == 200
    for answer in answers:
        seen.add(answer.text)
    assert "password=***" in seen.assert_clean()


def test_a_locked_sqlite_store_logs_no_original(tmp_path: Path, seen: Seen) -> None:
    path = tmp_path / "locked.db"
    SqlStore(f"sqlite:///{path}").close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        exercise_engine(HeadroomConfig(store_url=f"sqlite:///{path}", store_timeout_s=0.5), seen)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    seen.assert_clean()


REJECT = {
    "sqlite": [
        "CREATE TRIGGER no_originals BEFORE INSERT ON headroom_originals "
        "BEGIN SELECT RAISE(ABORT, 'originals are not accepted here'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION no_originals() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'originals are not accepted here'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER no_originals BEFORE INSERT ON headroom_originals "
        "FOR EACH ROW EXECUTE FUNCTION no_originals()",
    ],
}


def test_a_rejected_write_logs_no_original(store_url: str, seen: Seen) -> None:
    SqlStore(store_url).close()
    database = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with database.begin() as conn:  # the database refuses every original
        for statement in REJECT[database.dialect.name]:
            conn.execute(text(statement))
    database.dispose()
    engine = Headroom(HeadroomConfig(store_url=store_url, budget_scale=0.25))
    result = engine.compress(openai_conversation(ORIGINAL))
    assert result.failed_open
    engine.store.close()
    shown = seen.assert_clean()
    assert "originals are not accepted here" in shown  # the reason is logged, the data not


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://hr:{PASSWORD}@127.0.0.1/db?password={PASSWORD}",
        f"postgresql+pg8000://hr@127.0.0.1/db?password={PASSWORD}&sslpassword={SSL_PASSWORD}",
        f"not a url password={PASSWORD}",
    ],
)
def test_a_bad_store_url_is_refused_without_its_password(
    url: str, seen: Seen, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(StoreError) as caught:
        Headroom(HeadroomConfig(store_url=url))
    seen.add(str(caught.value))
    monkeypatch.setenv("HEADROOM_STORE_URL", url)
    assert run_cli(["stats"]) == 1
    seen.assert_clean()


def test_config_objects_show_no_secret() -> None:
    url = postgres_url(5432)
    config = HeadroomConfig(store_url=url)
    settings = ServerSettings(api_token=TOKEN, engine=config)
    shown = [repr(config), str(config), config.model_dump_json(), repr(Headroom(config))]
    shown += [repr(settings), str(settings), settings.model_dump_json()]
    for line in shown:
        assert not any(secret in line for secret in SECRETS), line
    assert config.store_url == url and settings.api_token == TOKEN  # the values themselves
    assert settings.with_overrides(port=1).engine.store_url == url


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://hr:p%40ss@h/db", "postgresql://hr:***@h/db"),
        (
            "postgresql+psycopg://hr@h/db?sslmode=require&PassWord=x&sslkey=/k.pem",
            "postgresql+psycopg://hr@h/db?sslmode=require&PassWord=***&sslkey=***",
        ),
        ("sqlite:////tmp/store.db", "sqlite:////tmp/store.db"),
    ],
)
def test_redact_url_masks_passwords_wherever_they_are(url: str, masked: str) -> None:
    assert redact_url(url) == masked
    assert scrub(f"failed at {url} with p@ss", url) == f"failed at {masked} with ***" or (
        "p@ss" not in url
    )
