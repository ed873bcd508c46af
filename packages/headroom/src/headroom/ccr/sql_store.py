"""`SqlStore`: the CCR store on SQLAlchemy, a SQLite file by default (WAL, so readers
never block the writer), PostgreSQL by URL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from headroom.ccr import sql_activity, sql_retention
from headroom.ccr.sql_connect import (
    create_store_engine,
    failure,
    read_only_sqlite,
    reason,
    redact_url,
)
from headroom.ccr.sql_schema import (
    LIVE_ORIGINAL,
    add_missing_columns,
    decisions,
    events,
    metadata,
    originals,
    requests,
    retrievals,
    upsert_original,
)
from headroom.ccr.store import StoreStats
from headroom.compressed import Compressed
from headroom.errors import StoreError

__all__ = ["SqlStore", "open_store"]

logger = logging.getLogger("headroom")


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
        self._prune_every = sql_retention.prune_every(max_activity_rows)
        try:
            self._engine = create_store_engine(url, timeout_s)
            try:
                metadata.create_all(self._engine)
                add_missing_columns(self._engine)
            except OperationalError as exc:
                read_only = read_only_sqlite(url, exc)
                if read_only is None:
                    raise
                self._engine, self.read_only = read_only, True
            # One statement needs no transaction around it: on PostgreSQL, BEGIN and COMMIT
            # are two round trips of three for a put, a get or a touch. (SQLite has no round
            # trips, and switching its isolation level costs a PRAGMA each way.)
            self._one_statement = (
                self._engine.execution_options(isolation_level="AUTOCOMMIT")
                if self._engine.dialect.name == "postgresql"
                else self._engine
            )
            self._upsert = upsert_original(self._engine.dialect.name)
        except (SQLAlchemyError, OSError) as exc:
            message = f"Could not open the CCR store at {redact_url(url)!r}: {reason(exc, url)}"
            raise StoreError(message) from None
        if not self.read_only:
            self._note_write(due_check=True)  # another process may have left rows to prune

    @property
    def _writable(self) -> Engine:
        self._refuse_writes_if_read_only()
        return self._engine

    @property
    def _writable_one_statement(self) -> Engine:
        self._refuse_writes_if_read_only()
        return self._one_statement

    def _refuse_writes_if_read_only(self) -> None:
        if self.read_only:
            raise StoreError(f"The CCR store at {redact_url(self.url)!r} is read-only.")

    def put(self, namespace: str, ref: str, original: str, *, kind: str) -> None:
        data = original.encode("utf-8", "surrogatepass")
        now = self._clock()
        row = {
            "namespace": namespace,
            "ref": ref,
            "created_at": now,
            "kind": kind,
            "data": data,
            "size": len(data),
            "expires_at": now + self.ttl_seconds,
            "accessed_at": now,
        }
        try:
            with self._writable_one_statement.begin() as conn:
                conn.execute(self._upsert, row)
            self._written_since_check += len(data)
            self._writes_since_prune += 1
            if self._written_since_check >= self._check_every_bytes:
                self._enforce_size_cap()
            if self._writes_since_prune >= self._prune_every:
                self._prune_expired()
        except SQLAlchemyError as exc:
            raise failure(f"Could not store ref {ref}", exc, self.url) from None

    def get(self, namespace: str, ref: str) -> str | None:
        now = self._clock()
        where = {"namespace": namespace, "ref": ref, "now": now}
        try:
            with self._one_statement.connect() as conn:
                row = conn.execute(LIVE_ORIGINAL, where).one_or_none()
            stale = row is not None and now - row.accessed_at > self.access_granularity_s
            if stale and not self.read_only:
                # Reads stay reads: the LRU clock only moves when it is noticeably stale.
                key = (originals.c.namespace == namespace) & (originals.c.ref == ref)
                with self._one_statement.begin() as conn:
                    conn.execute(update(originals).where(key).values(accessed_at=now))
        except SQLAlchemyError as exc:
            raise failure(f"Could not read ref {ref}", exc, self.url) from None
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
            with self._one_statement.connect() as conn:
                expires_at = conn.execute(select(originals.c.expires_at).where(key)).scalar()
            if expires_at is None:
                return False
            fresh_for = min(self.access_granularity_s, self.ttl_seconds / 8)
            if expires_at - now >= self.ttl_seconds - fresh_for:
                return True
            with self._writable_one_statement.begin() as conn:
                result = conn.execute(
                    update(originals)
                    .where(key)
                    .values(expires_at=now + self.ttl_seconds, accessed_at=now)
                )
        except SQLAlchemyError as exc:
            raise failure(f"Could not touch ref {ref}", exc, self.url) from None
        return bool(result.rowcount)

    def get_decision(self, namespace: str, key: str) -> Compressed | None:
        where = (
            (decisions.c.namespace == namespace)
            & (decisions.c.key == key)
            & (decisions.c.expires_at > self._clock())
        )
        try:
            with self._one_statement.connect() as conn:
                row = conn.execute(select(decisions).where(where)).one_or_none()
        except SQLAlchemyError as exc:
            raise failure("Could not read a decision", exc, self.url) from None
        if row is None:
            return None
        changed = row.text is not None  # unchanged: the caller has the payload itself
        return Compressed(
            text=bytes(row.text).decode("utf-8", "surrogatepass") if changed else "",
            ref=row.ref if changed else None,
            kept=row.kept or 0,
            total=row.total or 0,
            unit=row.unit or "items",
            kind=row.kind,
            language=row.language,
            compressor=row.compressor or None,
            tokens_before=row.tokens_before,
            tokens_after=row.tokens_after if changed else row.tokens_before,
            changed=changed,
        )

    def put_decision(self, namespace: str, key: str, decision: Compressed) -> Compressed:
        """Record `decision` unless another writer got there first; returns the one in force."""
        text = decision.text.encode("utf-8", "surrogatepass") if decision.changed else None
        values = {
            "namespace": namespace,
            "key": key,
            "ref": decision.ref if decision.changed else None,
            "text": text,
            "compressor": decision.compressor or "",
            "kind": decision.kind,
            "tokens_before": decision.tokens_before,
            "tokens_after": decision.tokens_after,
            "expires_at": self._clock() + self.ttl_seconds,
            "language": decision.language,
            "kept": decision.kept,
            "total": decision.total,
            "unit": decision.unit,
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
            raise failure("Could not record a decision", exc, self.url) from None
        self._note_write()
        return decision

    def record(self, namespace: str, outcome: Compressed) -> None:
        self._write_activity(
            insert(events).values(
                namespace=namespace,
                created_at=self._clock(),
                kind=outcome.kind,
                compressor=outcome.compressor or "",
                ref=outcome.ref,
                tokens_before=outcome.tokens_before,
                tokens_after=outcome.tokens_after,
            )
        )

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
                retrieved = conn.execute(
                    select(func.count()).where(retrievals.c.namespace == namespace)
                ).scalar_one()
        except SQLAlchemyError as exc:
            raise failure("Could not read store stats", exc, self.url) from None
        return StoreStats(
            entries=int(entries),
            bytes=int(size),
            compressions=int(count),
            tokens_before=int(before),
            tokens_after=int(after),
            retrievals=int(retrieved),
        )

    def record_request(
        self, namespace: str, tokens_before: int, tokens_after: int, prefix_stability: float | None
    ) -> None:
        self._write_activity(
            insert(requests).values(
                namespace=namespace,
                created_at=self._clock(),
                tokens_before=tokens_before,
                tokens_after=tokens_after,
                prefix_stability=prefix_stability,
            )
        )

    def record_retrieval(self, namespace: str, ref: str, found: bool) -> None:
        self._write_activity(
            insert(retrievals).values(
                namespace=namespace, created_at=self._clock(), ref=ref[:16], found=int(found)
            )
        )

    def dashboard(self, namespace: str, buckets: int = 24) -> dict[str, Any]:
        stats = self.stats(namespace)
        try:
            return sql_activity.dashboard(self._engine, namespace, stats, buckets)
        except SQLAlchemyError as exc:
            raise failure("Could not read the activity log", exc, self.url) from None

    def payload_preview(
        self, namespace: str, ref: str, *, full: bool = False
    ) -> dict[str, Any] | None:
        original = self.get(namespace, ref)
        try:
            return sql_activity.payload_preview(self._engine, namespace, ref, original, full=full)
        except SQLAlchemyError as exc:
            raise failure("Could not read the activity log", exc, self.url) from None

    def _write_activity(self, statement: Any) -> None:
        try:
            with self._writable_one_statement.begin() as conn:
                key = conn.execute(statement).inserted_primary_key
        except SQLAlchemyError as exc:
            raise failure("Could not record activity", exc, self.url) from None
        self._note_write(int(key[0]) if key and key[0] is not None else None)

    def evict(self) -> int:
        """Drop expired originals and decisions, then the least recently used originals past
        the size cap. Also runs every `_PRUNE_EVERY_WRITES` writes, so a long-running store
        does not grow without bound."""
        try:
            return self._prune_expired() + self._enforce_size_cap()
        except SQLAlchemyError as exc:
            raise failure("Could not evict", exc, self.url) from None

    def close(self) -> None:
        self._engine.dispose()

    def _prune_expired(self) -> int:
        """Drop expired originals and decisions, and activity rows older than the TTL or
        beyond the newest `max_activity_rows` of their table (see `sql_retention`)."""
        self._writes_since_prune = 0
        with self._writable.begin() as conn:
            args = (self._clock(), self.ttl_seconds, self.max_activity_rows)
            return sql_retention.prune(conn, *args)

    def _note_write(self, inserted_id: int | None = None, *, due_check: bool = False) -> None:
        """Count a write, and prune when due: this process wrote `_prune_every` times, the
        activity row just written (by whichever process) has an id that is a multiple of
        it, or (`due_check`, at open) the database holds something to prune."""
        self._writes_since_prune += 0 if due_check else 1
        try:
            if due_check:
                with self._engine.connect() as conn:
                    args = (self._clock(), self.ttl_seconds, self.max_activity_rows)
                    due = sql_retention.prune_due(conn, *args)
            else:
                shared = inserted_id is not None and inserted_id % self._prune_every == 0
                due = shared or self._writes_since_prune >= self._prune_every
            if due:
                self._prune_expired()
        except SQLAlchemyError:
            logger.warning("headroom: could not prune the CCR store", exc_info=True)

    def _enforce_size_cap(self) -> int:
        self._written_since_check = 0
        with self._writable.begin() as conn:
            return sql_retention.evict_past_cap(conn, self.max_bytes)

    def __repr__(self) -> str:
        return (
            f"SqlStore(url={redact_url(self.url)!r}, ttl_seconds={self.ttl_seconds}, "
            f"max_bytes={self.max_bytes})"
        )


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
