"""Bounded store calls: whatever the database does, a call returns within a deadline.

`GuardedStore` opens its store on first use and runs every call on a small pool of daemon
worker threads, waiting at most `timeout_s` (or what is left of the wait budget of the
`compress()` in progress, see `store_budget`). Only time spent waiting on the store counts
against that budget, never the engine's own work: compression is a pure function of its
input, however long the CPU takes over it (a busy machine), and only a database that is
slow to answer makes payloads go out unchanged. A server that accepts connections and
never answers cannot be bounded by driver timeouts alone (psycopg's connect timeout has a
2 s floor per address tried, and `statement_timeout` is enforced by the server itself), so
the deadline is kept on the client side. After a timeout or a failed open, calls fail fast
with a StoreError for `retry_after_s`, and the engine fails open meanwhile: payloads go out
unchanged instead of each waiting out another timeout.

Activity (compression stats, requests, retrievals) is written in the background: a request
never waits for it. What reads it (`stats`, `dashboard`, `payload_preview`) first waits,
within its deadline, for the writes still pending. So are decisions that any writer would
make byte for byte the same (`put_decision_later`). Originals are written before the call
returns, as a marker must never name an original that is not stored yet.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_for
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from headroom.ccr.store import CCRStore, StoreStats, missing_activity
from headroom.compressed import Compressed
from headroom.errors import ActivityUnsupported, ConfigError, StoreError, StoreUnavailable

__all__ = ["RETRY_AFTER_S", "GuardedStore", "store_budget"]

T = TypeVar("T")

logger = logging.getLogger("headroom")

_WORKERS = 8
_MAX_PENDING_WRITES = 1024  # activity writes queued past this (a stalled store) are dropped
RETRY_AFTER_S = (
    15.0  # after a timeout, a lost connection or a failed open, calls fail fast this long
)


class _WaitBudget:
    """Seconds left to wait on the store in one `store_budget` block."""

    __slots__ = ("left",)

    def __init__(self, seconds: float) -> None:
        self.left = seconds


_budget: ContextVar[_WaitBudget | None] = ContextVar("headroom_store_budget", default=None)


@contextmanager
def store_budget(seconds: float) -> Iterator[None]:
    """Guarded store calls inside this block wait on the store `seconds` in all. The time
    between calls (the engine compressing) is not counted: no wall clock decides output."""
    token = _budget.set(_WaitBudget(seconds))
    try:
        yield
    finally:
        _budget.reset(token)


class _Workers:
    """Daemon threads running store calls: a call stuck on a dead socket never keeps the
    process from exiting (a ThreadPoolExecutor's threads are joined at exit). Calls queue
    when every thread is busy; a call whose caller gave up is skipped, not run late."""

    def __init__(self, count: int) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._count = count
        self._started = 0
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._started < self._count:
                self._started += 1
                threading.Thread(target=self._run, name="headroom-store", daemon=True).start()
        self._jobs.put((job, future))
        return future

    def _run(self) -> None:
        while True:
            job, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue  # its caller stopped waiting
            try:
                future.set_result(job())
            except BaseException as exc:
                future.set_exception(exc)


class GuardedStore:
    """A CCRStore whose calls each return within the deadline, opened on first use."""

    def __init__(
        self,
        open_store: Callable[[], CCRStore],
        *,
        timeout_s: float = 5.0,
        retry_after_s: float = RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open = open_store
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._clock = clock
        self._inner: CCRStore | None = None
        self._unavailable_until = 0.0
        self._open_lock = threading.Lock()
        self._workers = _Workers(_WORKERS)
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()
        _LIVE.add(self)

    def call(self, use: Callable[[CCRStore], T]) -> T:
        """`use(store)` within the deadline; a StoreError if it fails or takes too long."""
        return self._bounded(lambda: use(self._opened()))

    def put(self, namespace: str, ref: str, original: str, *, kind: str) -> None:
        self.call(lambda s: s.put(namespace, ref, original, kind=kind))

    def get(self, namespace: str, ref: str) -> str | None:
        return self.call(lambda s: s.get(namespace, ref))

    def touch(self, namespace: str, ref: str) -> bool:
        return self.call(lambda s: s.touch(namespace, ref))

    def get_decision(self, namespace: str, key: str) -> Compressed | None:
        return self.call(lambda s: s.get_decision(namespace, key))

    def put_decision(self, namespace: str, key: str, decision: Compressed) -> Compressed:
        return self.call(lambda s: s.put_decision(namespace, key, decision))

    def put_decision_later(self, namespace: str, key: str, decision: Compressed) -> None:
        """`put_decision` in the background, for a decision any writer would make the same."""
        self._write_later(lambda s: s.put_decision(namespace, key, decision))

    def record(self, namespace: str, outcome: Compressed) -> None:
        self._write_later(lambda s: s.record(namespace, outcome))

    def stats(self, namespace: str) -> StoreStats:
        self.flush()
        return self.call(lambda s: s.stats(namespace))

    def record_request(
        self, namespace: str, tokens_before: int, tokens_after: int, prefix_stability: float | None
    ) -> None:
        self._write_later(
            lambda s: _activity(s).record_request(
                namespace, tokens_before, tokens_after, prefix_stability
            )
        )

    def record_retrieval(self, namespace: str, ref: str, found: bool) -> None:
        self._write_later(lambda s: _activity(s).record_retrieval(namespace, ref, found))

    def dashboard(self, namespace: str) -> dict[str, Any]:
        self.flush()
        return self.call(lambda s: _activity(s).dashboard(namespace))

    def payload_preview(
        self, namespace: str, ref: str, *, full: bool = False
    ) -> dict[str, Any] | None:
        """Previews of one payload, or (`full`, where the store offers it) both forms whole."""
        self.flush()
        if full:  # a third-party store may only offer previews
            return self.call(lambda s: _whole_or_preview(_activity(s), namespace, ref))
        return self.call(lambda s: _activity(s).payload_preview(namespace, ref))

    def evict(self) -> int:
        return self.call(lambda s: s.evict())

    def flush(self) -> None:
        """Wait, within the deadline, for the activity writes still pending."""
        with self._pending_lock:
            pending = list(self._pending)
        if pending:
            budget = _budget.get()
            wait = self.timeout_s if budget is None else min(self.timeout_s, budget.left)
            started = self._clock()
            wait_for(pending, timeout=max(0.0, wait))
            if budget is not None:
                budget.left -= self._clock() - started

    def close(self) -> None:
        self.flush()
        with self._open_lock:
            if self._inner is not None:
                self._inner.close()
                self._inner = None

    def _opened(self) -> CCRStore:
        with self._open_lock:
            if self._inner is None:
                self._inner = self._open()
            return self._inner

    def _write_later(self, use: Callable[[CCRStore], object]) -> None:
        """Run `use(store)` in the background; a StoreError at once if the store is known
        to be down or too many writes are pending."""
        self._check_available(self._clock())
        with self._pending_lock:
            if len(self._pending) >= _MAX_PENDING_WRITES:
                raise StoreError("Too many activity writes are pending; this one is dropped.")
            future = self._workers.submit(lambda: use(self._opened()))
            self._pending.add(future)
        future.add_done_callback(self._written)

    def _written(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(future)
        error = None if future.cancelled() else future.exception()
        if error is not None and not isinstance(error, ActivityUnsupported):
            logger.warning("headroom: could not record activity: %s", error)

    def _check_available(self, now: float) -> None:
        """A StoreError at once while a store that failed moments ago is left alone."""
        if now < self._unavailable_until:
            raise StoreError("The CCR store did not answer moments ago; retrying shortly.")

    def _bounded(self, job: Callable[[], T]) -> T:
        started = self._clock()
        self._check_available(started)
        budget = _budget.get()
        wait = self.timeout_s if budget is None else min(self.timeout_s, budget.left)
        if wait <= 0:
            raise StoreError("This call has spent its time waiting on the store (deadline).")
        future = self._workers.submit(job)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            future.cancel()  # still queued: it will not run
            self._unavailable_until = self._clock() + self.retry_after_s
            raise StoreError(
                f"The CCR store did not answer within {wait:.1f} s; payloads go out "
                f"unchanged for the next {self.retry_after_s:.0f} s."
            ) from None
        except ConfigError:
            raise
        except StoreError as exc:
            # Not opened, or the database timed out or went away: do not try on every payload.
            if self._inner is None or isinstance(exc, StoreUnavailable):
                self._unavailable_until = self._clock() + self.retry_after_s
            raise
        finally:
            if budget is not None:
                budget.left -= self._clock() - started

    def __repr__(self) -> str:
        return f"GuardedStore({self._inner!r}, timeout_s={self.timeout_s})"


_LIVE: weakref.WeakSet[GuardedStore] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """Activity still being written when the program ends is written first (a CLI run
    exits right after its last compression)."""
    for store in list(_LIVE):
        store.flush()


def _activity(store: CCRStore) -> CCRStore:
    """`store`, or a clear error naming the activity methods it lacks."""
    gap = missing_activity(store)
    if gap is not None:
        raise ActivityUnsupported(f"{gap}.")
    return store


def _whole_or_preview(store: Any, namespace: str, ref: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] | None = store.payload_preview(namespace, ref, full=True)
    except TypeError:
        found = store.payload_preview(namespace, ref)
    return found
