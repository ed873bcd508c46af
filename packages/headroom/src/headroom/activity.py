"""Activity log: requests, compressions and retrievals over time, kept in the store's
database so stats and the dashboard survive restarts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, cast, desc, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from headroom.ccr.store import SqlStore, decisions, events, requests, retrievals
from headroom.errors import StoreError

__all__ = ["Activity"]

_PREVIEW_CHARS = 20_000


class Activity:
    """Reads and writes the activity tables of one SqlStore."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._engine = store.sql_engine

    def record_request(
        self, namespace: str, tokens_before: int, tokens_after: int, prefix_stability: float | None
    ) -> None:
        self._write(
            insert(requests).values(
                namespace=namespace,
                created_at=self.store.now(),
                tokens_before=tokens_before,
                tokens_after=tokens_after,
                prefix_stability=prefix_stability,
            )
        )

    def record_retrieval(self, namespace: str, ref: str, found: bool) -> None:
        self._write(
            insert(retrievals).values(
                namespace=namespace, created_at=self.store.now(), ref=ref[:16], found=int(found)
            )
        )

    def retrieval_count(self, namespace: str) -> int:
        with self._engine.connect() as conn:
            count = conn.execute(
                select(func.count()).where(retrievals.c.namespace == namespace)
            ).scalar_one()
        return int(count)

    def dashboard(self, namespace: str, buckets: int = 24) -> dict[str, Any]:
        """Everything the dashboard shows for one namespace: aggregates computed by the
        database, so the rows read stay bounded however long the server has run."""
        stats = self.store.stats(namespace)
        mine = requests.c.namespace == namespace
        with self._engine.connect() as conn:
            count, start, end, stability = conn.execute(
                select(
                    func.count(),
                    func.min(requests.c.created_at),
                    func.max(requests.c.created_at),
                    func.avg(requests.c.prefix_stability),
                ).where(mine)
            ).one()
            last_stability = conn.execute(
                select(requests.c.prefix_stability)
                .where(mine, requests.c.prefix_stability.is_not(None))
                .order_by(desc(requests.c.id))
                .limit(1)
            ).scalar()
            timeline = _timeline(conn, namespace, start, end, buckets)
            by_compressor = _grouped(conn, events.c.compressor, namespace)
            by_kind = _grouped(conn, events.c.kind, namespace)
            saved = (events.c.tokens_before - events.c.tokens_after).label("saved")
            largest = conn.execute(
                select(
                    events.c.ref,
                    events.c.kind,
                    events.c.compressor,
                    events.c.tokens_before,
                    events.c.tokens_after,
                    saved,
                )
                .where(events.c.namespace == namespace, events.c.ref.is_not(None))
                .order_by(desc("saved"), events.c.id)
                .limit(10)
            ).all()
        return {
            "namespace": namespace,
            "totals": {
                "requests": int(count),
                "tokens_before": stats.tokens_before,
                "tokens_after": stats.tokens_after,
                "tokens_saved": stats.tokens_saved,
                "compressions": stats.compressions,
            },
            "timeline": timeline,
            "by_compressor": by_compressor,
            "by_kind": by_kind,
            "largest": [
                {
                    "ref": r.ref,
                    "kind": r.kind,
                    "compressor": r.compressor,
                    "tokens_before": r.tokens_before,
                    "tokens_after": r.tokens_after,
                    "tokens_saved": r.saved,
                }
                for r in largest
            ],
            "retrievals": self.retrieval_count(namespace),
            "prefix_stability": {
                "average": None if stability is None else float(stability),
                "last": last_stability,
            },
            "store": {"entries": stats.entries, "bytes": stats.bytes},
        }

    def payload(self, namespace: str, ref: str) -> dict[str, Any] | None:
        """Original and compressed form of one payload of this namespace (previews)."""
        original = self.store.get(namespace, ref)
        if original is None:
            return None
        with self._engine.connect() as conn:
            compressed = conn.execute(
                select(decisions.c.text)
                .where(decisions.c.namespace == namespace, decisions.c.ref == ref)
                .limit(1)
            ).scalar()
        text = None if compressed is None else bytes(compressed).decode("utf-8", "surrogatepass")
        return {
            "ref": ref,
            "original": original[:_PREVIEW_CHARS],
            "original_chars": len(original),
            "compressed": text[:_PREVIEW_CHARS] if text is not None else None,
        }

    def _write(self, statement: Any) -> None:
        if self.store.read_only:
            raise StoreError("The store is read-only; activity is not recorded.")
        try:
            with self._engine.begin() as conn:
                conn.execute(statement)
        except SQLAlchemyError as exc:
            raise StoreError(f"Could not record activity: {exc}") from exc
        self.store.note_write()


def _grouped(conn: Any, column: Any, namespace: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            column.label("name"),
            func.count().label("payloads"),
            func.sum(events.c.tokens_before).label("before"),
            func.sum(events.c.tokens_after).label("after"),
        )
        .where(events.c.namespace == namespace)
        .group_by(column)
        .order_by(column)
    ).all()
    return [
        {
            "name": r.name,
            "payloads": int(r.payloads),
            "tokens_before": int(r.before),
            "tokens_after": int(r.after),
            "tokens_saved": int(r.before) - int(r.after),
        }
        for r in rows
    ]


def _timeline(
    conn: Any, namespace: str, start: float | None, end: float | None, buckets: int
) -> list[dict[str, Any]]:
    """Requests summed into at most `buckets` equal time slices, oldest first."""
    if start is None or end is None:
        return []
    width = max((end - start) / buckets, 1e-9)
    offset = (requests.c.created_at - start) / width
    # Offsets are >= 0, so truncation is the floor; PostgreSQL's cast rounds, floor() does not.
    index = func.floor(offset) if conn.dialect.name == "postgresql" else cast(offset, Integer)
    rows = conn.execute(
        select(
            index.label("slot"),
            func.count().label("requests"),
            func.sum(requests.c.tokens_before).label("before"),
            func.sum(requests.c.tokens_after).label("after"),
        )
        .where(requests.c.namespace == namespace)
        .group_by("slot")
    ).all()
    slices: dict[int, dict[str, Any]] = {}
    for row in rows:
        slot = min(buckets - 1, int(row.slot))
        entry = slices.setdefault(
            slot,
            {"start": start + slot * width, "requests": 0, "tokens_before": 0, "tokens_after": 0},
        )
        entry["requests"] += int(row.requests)
        entry["tokens_before"] += int(row.before)
        entry["tokens_after"] += int(row.after)
    return [slices[i] for i in sorted(slices)]
