"""The CCR store: originals kept by (namespace, ref), with TTL, a size cap and stats.

`CCRStore` is the interface; `SqlStore` is the one implementation, on SQLAlchemy 2.x: a
SQLite file by default (WAL, so readers never block the writer), PostgreSQL or any other
database by URL.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from sqlalchemy.pool import StaticPool

from headroom.errors import StoreConfigError, StoreError, StoreUnavailable

__all__ = [
    "CCRStore",
    "CompressionEvent",
    "Decision",
    "SqlStore",
    "StoreStats",
    "check_store_url",
    "open_store",
]

logger = logging.getLogger("headroom")

_metadata = MetaData()
originals = Table(
    "headroom_originals",
    _metadata,
    Column("namespace", String(128), primary_key=True),
    Column("ref", String(16), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("accessed_at", Float, nullable=False),
    Index("ix_headroom_originals_accessed", "accessed_at"),
)
events = Table(
    "headroom_events",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("namespace", String(128), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("compressor", String(64), nullable=False),
    Column("tokens_before", Integer, nullable=False),
    Column("tokens_after", Integer, nullable=False),
    Column("ref", String(16), nullable=True),
)
# Per-request and per-retrieval activity, for stats and the dashboard (see headroom.activity).
requests = Table(
    "headroom_requests",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("namespace", String(128), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("tokens_before", Integer, nullable=False),
    Column("tokens_after", Integer, nullable=False),
    Column("prefix_stability", Float, nullable=True),
)
retrievals = Table(
    "headroom_retrievals",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("namespace", String(128), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("ref", String(16), nullable=False),
    Column("found", Integer, nullable=False),
)


decisions = Table(
    "headroom_decisions",
    _metadata,
    Column("namespace", String(128), primary_key=True),
    Column("key", String(32), primary_key=True),
    Column("ref", String(16), nullable=True),
    Column("text", LargeBinary, nullable=True),
    Column("compressor", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tokens_before", Integer, nullable=False),
    Column("tokens_after", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("language", String(32), nullable=True),
)


@dataclass(frozen=True)
class Decision:
    """How one payload was sent the first time; later turns send it the same way.

    `text` None means it went out unchanged."""

    text: str | None
    ref: str | None
    compressor: str
    kind: str
    tokens_before: int
    tokens_after: int
    language: str | None = None


@dataclass(frozen=True)
class CompressionEvent:
    """One accepted compression of one payload."""

    kind: str
    compressor: str
    tokens_before: int
    tokens_after: int
    ref: str | None = None


@dataclass(frozen=True)
class StoreStats:
    """What a namespace holds and what compression has saved in it."""

    entries: int
    bytes: int
    compressions: int
    tokens_before: int
    tokens_after: int

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    def as_dict(self) -> dict[str, int]:
        """The figures by name, for JSON output."""
        return {
            "entries": self.entries,
            "bytes": self.bytes,
            "compressions": self.compressions,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
        }


@runtime_checkable
class CCRStore(Protocol):
    """Where originals live until they expire."""

    def put(self, namespace: str, ref: str, original: str, *, kind: str) -> None: ...
    def get(self, namespace: str, ref: str) -> str | None: ...
    def touch(self, namespace: str, ref: str) -> bool: ...
    def get_decision(self, namespace: str, key: str) -> Decision | None: ...
    def put_decision(self, namespace: str, key: str, decision: Decision) -> Decision: ...
    def record(self, namespace: str, event: CompressionEvent) -> None: ...
    def stats(self, namespace: str) -> StoreStats: ...
    def evict(self) -> int: ...
    def close(self) -> None: ...


class SqlStore:
    """CCRStore on SQLAlchemy: SQLite file by default, PostgreSQL by URL."""

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 7 * 24 * 3600,
        max_bytes: int = 512 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
        access_granularity_s: float = 60.0,
        timeout_s: float = 5.0,
        max_activity_rows: int = 1_000_000,
    ) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.max_bytes = max_bytes
        self.max_activity_rows = max_activity_rows
        self.read_only = False
        """True when the database could only be opened for reading: reads work, writes fail
        at once (so payloads go out unchanged)."""
        self._clock = clock
        self.access_granularity_s = access_granularity_s
        """A read refreshes the LRU time only when it is older than this (reads stay reads)."""
        # The total is summed only after every 1/16 of the cap written, not on every put.
        self._check_every_bytes = max(1, max_bytes // 16)
        self._written_since_check = 0
        self._writes_since_prune = 0
        try:
            self._engine = _create_engine(url, timeout_s)
            try:
                _metadata.create_all(self._engine)
                _add_missing_columns(self._engine)
            except OperationalError as exc:
                read_only = _read_only_sqlite(url, exc)
                if read_only is None:
                    raise
                self._engine, self.read_only = read_only, True
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(
                f"Could not open the CCR store at {redact_url(url)!r}: "
                f"{str(exc).replace(url, redact_url(url))}"
            ) from exc

    @property
    def _writable(self) -> Engine:
        if self.read_only:
            raise StoreError(f"The CCR store at {redact_url(self.url)!r} is read-only.")
        return self._engine

    def put(self, namespace: str, ref: str, original: str, *, kind: str) -> None:
        data = original.encode("utf-8", "surrogatepass")
        now = self._clock()
        row = {
            "kind": kind,
            "data": data,
            "size": len(data),
            "expires_at": now + self.ttl_seconds,
            "accessed_at": now,
        }
        try:
            with self._writable.begin() as conn:
                conn.execute(_upsert(self._engine.dialect.name, namespace, ref, now, row))
            self._written_since_check += len(data)
            self._writes_since_prune += 1
            if self._written_since_check >= self._check_every_bytes:
                self._enforce_size_cap()
            if self._writes_since_prune >= _PRUNE_EVERY_WRITES:
                self._prune_expired()
        except SQLAlchemyError as exc:
            raise _failure(f"Could not store ref {ref}", exc) from exc

    def get(self, namespace: str, ref: str) -> str | None:
        key = (originals.c.namespace == namespace) & (originals.c.ref == ref)
        now = self._clock()
        try:
            with self._engine.connect() as conn:
                row = conn.execute(
                    select(originals.c.data, originals.c.accessed_at).where(
                        key, originals.c.expires_at > now
                    )
                ).one_or_none()
            stale = row is not None and now - row.accessed_at > self.access_granularity_s
            if stale and not self.read_only:
                # Reads stay reads: the LRU clock only moves when it is noticeably stale.
                with self._engine.begin() as conn:
                    conn.execute(update(originals).where(key).values(accessed_at=now))
        except SQLAlchemyError as exc:
            raise _failure(f"Could not read ref {ref}", exc) from exc
        return None if row is None else bytes(row.data).decode("utf-8", "surrogatepass")

    def touch(self, namespace: str, ref: str) -> bool:
        """Renew an original's lease; False if it is not (or no longer) stored. A lease
        renewed moments ago (`access_granularity_s`, at most an eighth of the TTL) is left
        as it is: a read, not a write, for history re-sent on every turn."""
        now = self._clock()
        key = (
            (originals.c.namespace == namespace)
            & (originals.c.ref == ref)
            & (originals.c.expires_at > now)
        )
        try:
            with self._engine.connect() as conn:
                expires_at = conn.execute(select(originals.c.expires_at).where(key)).scalar()
            if expires_at is None:
                return False
            fresh_for = min(self.access_granularity_s, self.ttl_seconds / 8)
            if expires_at - now >= self.ttl_seconds - fresh_for:
                return True
            with self._writable.begin() as conn:
                result = conn.execute(
                    update(originals)
                    .where(key)
                    .values(expires_at=now + self.ttl_seconds, accessed_at=now)
                )
        except SQLAlchemyError as exc:
            raise _failure(f"Could not touch ref {ref}", exc) from exc
        return bool(result.rowcount)

    def get_decision(self, namespace: str, key: str) -> Decision | None:
        where = (
            (decisions.c.namespace == namespace)
            & (decisions.c.key == key)
            & (decisions.c.expires_at > self._clock())
        )
        try:
            with self._engine.connect() as conn:
                row = conn.execute(select(decisions).where(where)).one_or_none()
        except SQLAlchemyError as exc:
            raise _failure("Could not read a decision", exc) from exc
        if row is None:
            return None
        text = None if row.text is None else bytes(row.text).decode("utf-8", "surrogatepass")
        return Decision(
            text,
            row.ref,
            row.compressor,
            row.kind,
            row.tokens_before,
            row.tokens_after,
            language=row.language,
        )

    def put_decision(self, namespace: str, key: str, decision: Decision) -> Decision:
        """Record `decision` unless another writer got there first; returns the one in force."""
        text = None if decision.text is None else decision.text.encode("utf-8", "surrogatepass")
        values = {
            "namespace": namespace,
            "key": key,
            "ref": decision.ref,
            "text": text,
            "compressor": decision.compressor,
            "kind": decision.kind,
            "tokens_before": decision.tokens_before,
            "tokens_after": decision.tokens_after,
            "expires_at": self._clock() + self.ttl_seconds,
            "language": decision.language,
        }
        try:
            with self._writable.begin() as conn:
                conn.execute(
                    delete(decisions).where(
                        decisions.c.namespace == namespace,
                        decisions.c.key == key,
                        decisions.c.expires_at <= self._clock(),
                    )
                )
                conn.execute(insert(decisions).values(**values))
        except IntegrityError:
            existing = self.get_decision(namespace, key)
            return existing if existing is not None else decision
        except SQLAlchemyError as exc:
            raise _failure("Could not record a decision", exc) from exc
        self.note_write()
        return decision

    def record(self, namespace: str, event: CompressionEvent) -> None:
        try:
            with self._writable.begin() as conn:
                conn.execute(
                    insert(events).values(
                        namespace=namespace,
                        created_at=self._clock(),
                        kind=event.kind,
                        compressor=event.compressor,
                        ref=event.ref,
                        tokens_before=event.tokens_before,
                        tokens_after=event.tokens_after,
                    )
                )
        except SQLAlchemyError as exc:
            raise _failure("Could not record a compression event", exc) from exc

    def stats(self, namespace: str) -> StoreStats:
        now = self._clock()
        try:
            with self._engine.connect() as conn:
                entries, size = conn.execute(
                    select(func.count(), func.coalesce(func.sum(originals.c.size), 0)).where(
                        originals.c.namespace == namespace, originals.c.expires_at > now
                    )
                ).one()
                count, before, after = conn.execute(
                    select(
                        func.count(),
                        func.coalesce(func.sum(events.c.tokens_before), 0),
                        func.coalesce(func.sum(events.c.tokens_after), 0),
                    ).where(events.c.namespace == namespace)
                ).one()
        except SQLAlchemyError as exc:
            raise _failure("Could not read store stats", exc) from exc
        return StoreStats(int(entries), int(size), int(count), int(before), int(after))

    def evict(self) -> int:
        """Drop expired originals and decisions, then the least recently used originals past
        the size cap. Also runs every `_PRUNE_EVERY_WRITES` writes, so a long-running store
        does not grow without bound."""
        try:
            return self._prune_expired() + self._enforce_size_cap()
        except SQLAlchemyError as exc:
            raise _failure("Could not evict", exc) from exc

    @property
    def sql_engine(self) -> Engine:
        """The SQLAlchemy engine, for the activity log that shares this database."""
        return self._engine

    def now(self) -> float:
        return self._clock()

    def close(self) -> None:
        self._engine.dispose()

    def _prune_expired(self) -> int:
        """Drop expired originals and decisions, and activity rows older than the TTL or
        beyond the newest `max_activity_rows` of their table."""
        self._writes_since_prune = 0
        now = self._clock()
        with self._writable.begin() as conn:
            expired = conn.execute(delete(originals).where(originals.c.expires_at <= now))
            conn.execute(delete(decisions).where(decisions.c.expires_at <= now))
            for table in (events, requests, retrievals):
                conn.execute(delete(table).where(table.c.created_at <= now - self.ttl_seconds))
                newest = conn.execute(select(func.max(table.c.id))).scalar()
                if newest is not None and newest > self.max_activity_rows:
                    conn.execute(delete(table).where(table.c.id <= newest - self.max_activity_rows))
        return int(expired.rowcount or 0)

    def note_write(self) -> None:
        """Count a write made elsewhere on this database (the activity log), so pruning
        keeps pace with it too."""
        self._writes_since_prune += 1
        if self._writes_since_prune >= _PRUNE_EVERY_WRITES:
            try:
                self._prune_expired()
            except SQLAlchemyError:
                logger.warning("headroom: could not prune the CCR store", exc_info=True)

    def _enforce_size_cap(self) -> int:
        self._written_since_check = 0
        with self._writable.begin() as conn:
            total = conn.execute(select(func.coalesce(func.sum(originals.c.size), 0))).scalar_one()
            excess = int(total) - self.max_bytes
            if excess <= 0:
                return 0
            victims: list[tuple[str, str]] = []
            rows = conn.execute(
                select(originals.c.namespace, originals.c.ref, originals.c.size).order_by(
                    originals.c.accessed_at, originals.c.ref
                )
            )
            for namespace, ref, size in rows:
                if excess <= 0:
                    break
                victims.append((namespace, ref))
                excess -= int(size)
            for namespace, ref in victims:
                conn.execute(
                    delete(originals).where(
                        originals.c.namespace == namespace, originals.c.ref == ref
                    )
                )
            return len(victims)

    def __repr__(self) -> str:
        return (
            f"SqlStore(url={redact_url(self.url)!r}, ttl_seconds={self.ttl_seconds}, "
            f"max_bytes={self.max_bytes})"
        )


def _upsert(dialect: str, namespace: str, ref: str, now: float, row: dict[str, Any]) -> Any:
    """One statement that inserts the original or, if its ref is there, renews it."""
    values = {"namespace": namespace, "ref": ref, "created_at": now, **row}
    if dialect in ("sqlite", "postgresql"):
        module = sqlite_dialect if dialect == "sqlite" else postgresql_dialect
        statement = module.insert(originals).values(**values)
        return statement.on_conflict_do_update(index_elements=["namespace", "ref"], set_=row)
    raise StoreError(f"The CCR store supports SQLite and PostgreSQL, not {dialect!r}.")


def _add_missing_columns(engine: Engine) -> None:
    """Bring a store made by an older version up to date (columns are only ever added)."""
    inspector = inspect(engine)
    for table in _metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                with engine.begin() as conn:
                    conn.execute(
                        text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
                    )


SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_PRUNE_EVERY_WRITES = 1000  # expired and surplus rows are dropped this often
_PSYCOPG_MIN_CONNECT_S = 2  # psycopg's connect_timeout is whole seconds, at least 2
_POOL_SIZE = 8
_POOL_OVERFLOW = 8
_POOL_RECYCLE_S = 300
_CREDENTIALS = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _failure(what: str, exc: SQLAlchemyError) -> StoreError:
    """The error of a failed statement: StoreUnavailable when the database timed out or
    could not be reached, so the guard leaves it alone for a while."""
    unreachable = isinstance(exc, (OperationalError, SqlTimeoutError))
    return (StoreUnavailable if unreachable else StoreError)(f"{what}: {exc}")


def redact_url(url: str) -> str:
    """`url` with any password replaced by `***`, for messages and logs."""
    return _CREDENTIALS.sub(r"\1***@", url)


def check_store_url(url: str) -> None:
    """Refuse, without connecting, a URL the store cannot use: not a database URL, a
    database other than SQLite or PostgreSQL, or a driver that is not installed."""
    _store_url(url)


def _store_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreConfigError(f"Store URL {redact_url(url)!r} is not a database URL.") from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreConfigError(
            f"Store URL {parsed.render_as_string()!r}: the store runs on SQLite "
            "(sqlite:///PATH) or PostgreSQL (postgresql+psycopg://..., "
            f'pip install "headroom[postgres]"), not {backend!r}.'
        )
    if parsed.drivername == "postgresql":  # SQLAlchemy's default is psycopg2; ours is psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError as exc:
        raise StoreConfigError(
            f"Store URL {parsed.render_as_string()!r} needs the {parsed.get_driver_name()!r} "
            f"driver, which is not installed: pip install {exc.name or parsed.get_driver_name()}"
            ' (or use postgresql+psycopg://, which pip install "headroom[postgres]" brings).'
        ) from None
    return parsed


def _create_engine(url: str, timeout_s: float) -> Engine:
    parsed = _store_url(url)
    wait = max(1, math.ceil(timeout_s))
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping (a round trip per checkout); connections broken by a restart are
        # invalidated on their first error, and that call fails open. Waits are bounded
        # here as far as the driver allows; GuardedStore bounds the rest on the client side.
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = max(_PSYCOPG_MIN_CONNECT_S, wait)
        if "options" not in parsed.query:
            connect_args["options"] = (
                f"-c statement_timeout={wait * 1000} -c lock_timeout={wait * 1000}"
            )
        return create_engine(
            parsed,
            pool_recycle=_POOL_RECYCLE_S,
            pool_size=_POOL_SIZE,
            max_overflow=_POOL_OVERFLOW,
            pool_timeout=wait,
            connect_args=connect_args,
        )
    database = parsed.database
    if not database or database == ":memory:":
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": wait, "check_same_thread": False})
    event.listen(engine, "connect", lambda conn, _: _sqlite_pragmas(conn, wait))
    return engine


def _read_only_sqlite(url: str, error: OperationalError) -> Engine | None:
    """A read-only engine on an existing SQLite file that cannot be written (a read-only
    mount or file), or None when that is not why opening failed."""
    parsed = make_url(url)
    database = parsed.database
    message = str(error).lower()
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if "readonly" not in message and "read-only" not in message and "unable to open" not in message:
        return None
    path = Path(database).expanduser()
    if not path.is_file():
        return None
    # immutable=1: read without the -wal/-shm files a read-only folder cannot hold.
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        poolclass=StaticPool,
    )
    with engine.connect() as conn:
        conn.execute(select(func.count()).select_from(originals))
    return engine


def _sqlite_pragmas(dbapi_connection: Any, wait_s: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={wait_s * 1000}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_store(
    url: str,
    *,
    ttl_seconds: float,
    max_bytes: int,
    timeout_s: float = 5.0,
    max_activity_rows: int = 1_000_000,
) -> SqlStore:
    """Open (and create on first use) the store at `url`."""
    return SqlStore(
        url,
        ttl_seconds=ttl_seconds,
        max_bytes=max_bytes,
        timeout_s=timeout_s,
        max_activity_rows=max_activity_rows,
    )
