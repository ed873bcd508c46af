"""GuardedStore: every call within the deadline; busy is not broken."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from headroom.ccr import SqlStore
from headroom.ccr.guard import GuardedStore, store_budget
from headroom.errors import StoreError, StoreUnavailable


class SlowStore:
    """A store whose reads take a while and record that they ran."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.reads: list[str] = []
        self.lock = threading.Lock()

    def get(self, namespace: str, ref: str) -> str | None:
        time.sleep(self.seconds)
        with self.lock:
            self.reads.append(ref)
        return f"original of {ref}"


def test_more_callers_than_workers_all_get_answers() -> None:
    store = SlowStore(0.05)
    guarded = GuardedStore(lambda: store, timeout_s=5.0)  # type: ignore[arg-type, return-value]
    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda i: guarded.get("ns", f"{i:016x}"), range(40)))
    assert answers == [f"original of {i:016x}" for i in range(40)]


@pytest.mark.slow  # waits out deadlines
def test_a_call_past_its_deadline_fails_fast_and_never_runs_late() -> None:
    store = SlowStore(1.0)
    guarded = GuardedStore(lambda: store, timeout_s=0.2, retry_after_s=30)  # type: ignore[arg-type, return-value]
    with ThreadPoolExecutor(12) as pool:  # more than the workers: some calls stay queued
        futures = [pool.submit(guarded.get, "ns", f"{i:016x}") for i in range(12)]
        errors = [f.exception(timeout=5) for f in futures]
    assert all(isinstance(e, StoreError) for e in errors)
    started = time.monotonic()
    with pytest.raises(StoreError, match="moments ago"):
        guarded.get("ns", "00000000000000ff")  # left alone after the timeout
    assert time.monotonic() - started < 0.1
    time.sleep(2.5)  # the calls that were running finish; the queued ones were dropped
    assert len(store.reads) <= 8


def test_one_budget_covers_a_whole_compress_call(tmp_path) -> None:
    guarded = GuardedStore(lambda: SqlStore(f"sqlite:///{tmp_path / 's.db'}"), timeout_s=5.0)
    with store_budget(0.0):
        with pytest.raises(StoreError, match="deadline"):
            guarded.get("ns", "0000000000000000")
    assert guarded.get("ns", "0000000000000000") is None  # outside it: a normal call


def test_only_time_waiting_on_the_store_is_counted(tmp_path) -> None:
    now = [0.0]
    guarded = GuardedStore(
        lambda: SqlStore(f"sqlite:///{tmp_path / 's.db'}"), timeout_s=5.0, clock=lambda: now[0]
    )
    with store_budget(1.0):
        for _ in range(3):
            now[0] += 100.0  # the engine compressing for a long while between store calls
            assert guarded.get("ns", "0000000000000000") is None


class FailingStore:
    def __init__(self, error: StoreError) -> None:
        self.error, self.calls = error, 0

    def get(self, namespace: str, ref: str) -> str | None:
        self.calls += 1
        raise self.error


def test_an_unreachable_database_is_left_alone_a_plain_failure_is_not() -> None:
    gone = FailingStore(StoreUnavailable("connection refused"))
    guarded = GuardedStore(lambda: gone, timeout_s=5.0)  # type: ignore[arg-type, return-value]
    for _ in range(3):
        with pytest.raises(StoreError):
            guarded.get("ns", "0000000000000000")
    assert gone.calls == 1  # then it fails fast without asking the database
    refused = FailingStore(StoreError("read-only"))
    guarded = GuardedStore(lambda: refused, timeout_s=5.0)  # type: ignore[arg-type, return-value]
    for _ in range(3):
        with pytest.raises(StoreError):
            guarded.get("ns", "0000000000000000")
    assert refused.calls == 3


class SlowActivityStore(SqlStore):
    """A SQLite store whose retrieval log takes a while to write."""

    def record_retrieval(self, namespace: str, ref: str, found: bool) -> None:
        time.sleep(0.3)
        super().record_retrieval(namespace, ref, found)


def test_activity_is_written_in_the_background_and_read_after_it_lands(tmp_path) -> None:
    store = SlowActivityStore(f"sqlite:///{tmp_path / 's.db'}")
    guarded = GuardedStore(lambda: store, timeout_s=5.0)
    started = time.monotonic()
    for index in range(3):
        guarded.record_retrieval("ns", f"{index:016x}", True)
    assert time.monotonic() - started < 0.2  # nobody waited for the writes
    assert guarded.stats("ns").retrievals == 3  # the read waited for them


def test_activity_writes_pile_up_no_further_than_the_bound(tmp_path, monkeypatch) -> None:
    import headroom.ccr.guard as guard

    monkeypatch.setattr(guard, "_MAX_PENDING_WRITES", 2)
    gate = threading.Event()

    class Stalled(SqlStore):
        def record_request(self, *args: object, **kwargs: object) -> None:
            gate.wait(5)

    guarded = GuardedStore(lambda: Stalled(f"sqlite:///{tmp_path / 's.db'}"), timeout_s=5.0)
    guarded.record_request("ns", 1, 1, None)
    guarded.record_request("ns", 1, 1, None)
    with pytest.raises(StoreError, match="pending"):
        guarded.record_request("ns", 1, 1, None)
    gate.set()
    guarded.flush()
    guarded.record_request("ns", 1, 1, None)  # room again once they land
