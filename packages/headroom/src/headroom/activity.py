"""Activity log: requests, compressions and retrievals over time, kept in the store's
database so stats and the dashboard survive restarts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import desc, func, insert, select
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
        """Everything the dashboard shows for one namespace."""
        stats = self.store.stats(namespace)
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    requests.c.created_at,
                    requests.c.tokens_before,
                    requests.c.tokens_after,
                    requests.c.prefix_stability,
                )
                .where(requests.c.namespace == namespace)
                .order_by(requests.c.created_at)
            ).all()
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
        stabilities = [r.prefix_stability for r in rows if r.prefix_stability is not None]
        return {
            "namespace": namespace,
            "totals": {
                "requests": len(rows),
                "tokens_before": stats.tokens_before,
                "tokens_after": stats.tokens_after,
                "tokens_saved": stats.tokens_saved,
                "compressions": stats.compressions,
            },
            "timeline": _timeline(rows, buckets),
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
                "average": sum(stabilities) / len(stabilities) if stabilities else None,
                "last": stabilities[-1] if stabilities else None,
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
        try:
            with self._engine.begin() as conn:
                conn.execute(statement)
        except SQLAlchemyError as exc:
            raise StoreError(f"Could not record activity: {exc}") from exc


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


def _timeline(rows: Sequence[Any], buckets: int) -> list[dict[str, Any]]:
    """Requests summed into at most `buckets` equal time slices, oldest first."""
    if not rows:
        return []
    start, end = rows[0].created_at, rows[-1].created_at
    width = max((end - start) / buckets, 1e-9)
    slices: dict[int, dict[str, Any]] = {}
    for row in rows:
        index = min(buckets - 1, int((row.created_at - start) / width))
        entry = slices.setdefault(
            index,
            {"start": start + index * width, "requests": 0, "tokens_before": 0, "tokens_after": 0},
        )
        entry["requests"] += 1
        entry["tokens_before"] += row.tokens_before
        entry["tokens_after"] += row.tokens_after
    return [slices[i] for i in sorted(slices)]
