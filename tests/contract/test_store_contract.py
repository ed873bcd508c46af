"""The CCRStore contract, run against every backend (SQLite file and a real PostgreSQL)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.engine import Connection, Engine

from headroom.ccr import SqlStore
from headroom.compressed import Compressed
from tests.postgres import fresh_database

MakeStore = Callable[..., SqlStore]


def event(
    kind: str, compressor: str, before: int, after: int, ref: str | None = None
) -> Compressed:
    """One accepted compression, as the pipeline records it."""
    return Compressed(
        text="", ref=ref, kind=kind, compressor=compressor, tokens_before=before, tokens_after=after
    )


def decision(
    text: str, ref: str, compressor: str, kind: str, before: int, after: int
) -> Compressed:
    return Compressed(
        text=text,
        ref=ref,
        kept=12,
        total=300,
        unit="lines",
        compressor=compressor,
        kind=kind,
        language="python",
        tokens_before=before,
        tokens_after=after,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_put_get_and_namespace_isolation(store_url: str, make_store: MakeStore) -> None:
    store = make_store(store_url)
    store.put("tenant-a", "0123456789abcdef", "original text", kind="text")
    assert store.get("tenant-a", "0123456789abcdef") == "original text"
    assert store.get("tenant-b", "0123456789abcdef") is None
    assert store.get("tenant-a", "ffffffffffffffff") is None


def test_invalid_utf8_round_trips_byte_for_byte(store_url: str, make_store: MakeStore) -> None:
    store = make_store(store_url)
    text = b"bad \xff\xfe bytes \x00 end".decode("utf-8", "surrogateescape")
    store.put("ns", "0123456789abcdef", text, kind="binary")
    assert store.get("ns", "0123456789abcdef") == text


def test_ttl_expires_entries(store_url: str, make_store: MakeStore) -> None:
    clock = Clock()
    store = make_store(store_url, ttl_seconds=60, clock=clock)
    store.put("ns", "0123456789abcdef", "x", kind="text")
    clock.now += 59
    assert store.get("ns", "0123456789abcdef") == "x"
    clock.now += 2
    assert store.get("ns", "0123456789abcdef") is None
    assert store.evict() == 1
    assert store.stats("ns").entries == 0


def test_size_cap_evicts_least_recently_used(store_url: str, make_store: MakeStore) -> None:
    clock = Clock()
    store = make_store(store_url, max_bytes=250, clock=clock, access_granularity_s=0)
    for i in range(3):
        clock.now += 1
        store.put("ns", f"{i:016x}", "x" * 100, kind="text")
    # the third put pushed the total to 300 bytes: the oldest one went
    assert store.get("ns", f"{0:016x}") is None
    assert store.get("ns", f"{1:016x}") == "x" * 100
    clock.now += 1
    store.get("ns", f"{1:016x}")  # touch: now the most recently used
    store.put("ns", f"{3:016x}", "y" * 100, kind="text")
    assert store.get("ns", f"{2:016x}") is None
    assert store.get("ns", f"{1:016x}") == "x" * 100
    assert store.stats("ns").bytes <= 250


def test_put_twice_is_idempotent(store_url: str, make_store: MakeStore) -> None:
    store = make_store(store_url)
    store.put("ns", "0123456789abcdef", "same", kind="text")
    store.put("ns", "0123456789abcdef", "same", kind="text")
    assert store.stats("ns").entries == 1


def test_stats_sum_events(store_url: str, make_store: MakeStore) -> None:
    store = make_store(store_url)
    store.record("ns", event("json", "smartcrusher", 1000, 200))
    store.record("ns", event("log", "logs", 500, 100))
    store.record("other", event("log", "logs", 500, 100))
    stats = store.stats("ns")
    assert (stats.compressions, stats.tokens_before, stats.tokens_after) == (2, 1500, 300)
    assert stats.tokens_saved == 1200


def test_store_survives_reopen(store_url: str, make_store: MakeStore) -> None:
    url = store_url
    first = make_store(url)
    first.put("ns", "0123456789abcdef", "kept", kind="text")
    first.close()
    assert make_store(url).get("ns", "0123456789abcdef") == "kept"


def test_sqlite_store_creates_its_folder(tmp_path: Path, make_store: MakeStore) -> None:
    store = make_store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 's.db'}")
    store.put("ns", "0123456789abcdef", "x", kind="text")
    assert (tmp_path / "deep" / "dir" / "s.db").is_file()


def test_decisions_first_writer_wins(store_url: str, make_store: MakeStore) -> None:
    store = make_store(store_url)
    first = decision("compressed A", "0123456789abcdef", "logs", "log", 100, 10)
    second = decision("compressed B", "0123456789abcdef", "logs", "log", 100, 12)
    assert store.put_decision("ns", "k" * 32, first) == first
    assert store.put_decision("ns", "k" * 32, second) == first
    assert store.get_decision("ns", "k" * 32) == first  # every field of the record kept
    assert store.get_decision("other", "k" * 32) is None
    passthrough = Compressed.unchanged("", 50)
    assert store.put_decision("ns", "p" * 32, passthrough) == passthrough
    assert store.get_decision("ns", "p" * 32) == passthrough


def test_touch_renews_and_reports_missing(store_url: str, make_store: MakeStore) -> None:
    clock = Clock()
    store = make_store(store_url, ttl_seconds=60, clock=clock)
    store.put("ns", "0123456789abcdef", "x", kind="text")
    clock.now += 50
    assert store.touch("ns", "0123456789abcdef")
    clock.now += 50
    assert store.get("ns", "0123456789abcdef") == "x"  # renewed at +50, alive at +100
    assert not store.touch("ns", "ffffffffffffffff")


def test_store_from_an_older_version_gets_new_columns(
    tmp_path: Path, make_store: MakeStore
) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # headroom_events as the first release made it
        conn.execute(
            "CREATE TABLE headroom_events (id INTEGER PRIMARY KEY, namespace VARCHAR(128) NOT NULL, "
            "created_at FLOAT NOT NULL, kind VARCHAR(16) NOT NULL, compressor VARCHAR(64) NOT NULL, "
            "tokens_before INTEGER NOT NULL, tokens_after INTEGER NOT NULL)"
        )
    store = make_store(f"sqlite:///{path}")
    store.record("ns", event("log", "logs", 10, 2, "0123456789abcdef"))
    assert store.stats("ns").compressions == 1


def test_a_long_running_store_drops_expired_entries_on_its_own(
    store_url: str, make_store: MakeStore
) -> None:
    """No one calls evict() in a server: expired originals and decisions go as writes go on."""
    clock = Clock()
    store = make_store(store_url, ttl_seconds=60, clock=clock)
    store.put("ns", "0123456789abcdef", "old original", kind="text")
    store.put_decision("ns", "k" * 32, decision("short", "0123456789abcdef", "logs", "log", 9, 2))
    clock.now += 120
    for i in range(1000):  # about what a busy proxy writes in minutes
        store.put_decision("ns", f"{i:032x}", Compressed.unchanged("", 1))
    with store._engine.connect() as conn:
        originals_left = conn.exec_driver_sql(
            "SELECT count(*) FROM headroom_originals WHERE ref = '0123456789abcdef'"
        ).scalar_one()
        decision_left = conn.exec_driver_sql(
            f"SELECT count(*) FROM headroom_decisions WHERE key = '{'k' * 32}'"
        ).scalar_one()
    assert (originals_left, decision_left) == (0, 0)


def test_activity_is_pruned_by_age_and_row_cap(store_url: str, make_store: MakeStore) -> None:
    clock = Clock()
    store = make_store(store_url, ttl_seconds=100, clock=clock, max_activity_rows=5)
    activity = store
    for index in range(8):
        activity.record_request("ns", 100 + index, 50, 1.0)
        activity.record_retrieval("ns", f"{index:016x}", True)
        store.record("ns", event("log", "logs", 100, 10, None))
    store.evict()
    assert activity.dashboard("ns")["totals"]["requests"] == 5  # the newest five
    assert store.stats("ns").retrievals == 5
    assert store.stats("ns").compressions == 5
    clock.now += 101  # every row is now older than the TTL
    activity.record_request("ns", 10, 5, None)
    store.evict()
    board = activity.dashboard("ns")
    assert board["totals"]["requests"] == 1 and store.stats("ns").retrievals == 0
    assert board["timeline"] == [
        {"start": clock.now, "requests": 1, "tokens_before": 10, "tokens_after": 5}
    ]


def test_dashboard_timeline_is_summed_by_the_database(
    store_url: str, make_store: MakeStore
) -> None:
    clock = Clock()
    store = make_store(store_url, clock=clock)
    activity = store
    for step in range(10):  # 0, 10, ..., 90 seconds: four slices of 22.5 s
        clock.now = 1_000.0 + step * 10
        activity.record_request("ns", 100, 40, step / 10)
    board = store.dashboard("ns", buckets=4)
    assert [s["requests"] for s in board["timeline"]] == [3, 2, 2, 3]
    assert sum(s["tokens_before"] for s in board["timeline"]) == 1000
    assert board["prefix_stability"]["average"] == pytest.approx(0.45)
    assert board["prefix_stability"]["last"] == pytest.approx(0.9)


def test_single_statement_calls_run_outside_a_transaction_on_postgresql(
    postgres_server_url: str, make_store: MakeStore
) -> None:
    """A put, a get and a touch are one statement each: on PostgreSQL they run in
    autocommit, so BEGIN and COMMIT cost no round trips; several statements (the size cap,
    pruning) still share a transaction."""
    seen: list[tuple[str, bool]] = []

    def note(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        autocommit = conn.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
        seen.append((statement.split()[0].upper(), bool(autocommit)))

    with fresh_database(postgres_server_url) as url:
        store = make_store(url)
        sqlalchemy.event.listen(Engine, "before_cursor_execute", note)
        try:
            store.put("ns", "0123456789abcdef", "an original", kind="text")
            assert store.get("ns", "0123456789abcdef") == "an original"
            assert store.touch("ns", "0123456789abcdef")
        finally:
            sqlalchemy.event.remove(Engine, "before_cursor_execute", note)
    calls = [kind for kind, _ in seen]
    assert calls[:1] == ["INSERT"] and "SELECT" in calls
    assert all(autocommit for _, autocommit in seen), seen
