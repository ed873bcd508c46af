"""The activity log's queries on the SQL store: what the dashboard shows, aggregated by
the database, so the rows read stay bounded however long the server has run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, cast, desc, func, select
from sqlalchemy.engine import Engine

from headroom.ccr.sql_schema import decisions, events, requests
from headroom.ccr.store import StoreStats

__all__ = ["dashboard", "payload_preview"]

_PREVIEW_CHARS = 20_000


def dashboard(
    engine: Engine, namespace: str, stats: StoreStats, buckets: int = 24
) -> dict[str, Any]:
    """Everything the dashboard shows for one namespace: aggregates computed by the
    database, so the rows read stay bounded however long the server has run."""
    mine = requests.c.namespace == namespace
    with engine.connect() as conn:
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
        payload_columns = (
            events.c.ref,
            events.c.kind,
            events.c.compressor,
            events.c.tokens_before,
            events.c.tokens_after,
            saved,
            events.c.created_at,
        )
        with_ref = (events.c.namespace == namespace, events.c.ref.is_not(None))
        largest = conn.execute(
            select(*payload_columns).where(*with_ref).order_by(desc("saved"), events.c.id).limit(10)
        ).all()
        # The latest payloads of any surface (library, SDK wrapper, proxy, adapters all
        # record through the engine), for the side-by-side view and `headroom inspect`.
        recent = conn.execute(
            select(*payload_columns).where(*with_ref).order_by(desc(events.c.id)).limit(20)
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
        "largest": [_payload_row(r) for r in largest],
        "recent": [_payload_row(r) for r in recent],
        "retrievals": stats.retrievals,
        "prefix_stability": {
            "average": None if stability is None else float(stability),
            "last": last_stability,
        },
        "store": {"entries": stats.entries, "bytes": stats.bytes},
    }


def _payload_row(row: Any) -> dict[str, Any]:
    return {
        "ref": row.ref,
        "kind": row.kind,
        "compressor": row.compressor,
        "tokens_before": row.tokens_before,
        "tokens_after": row.tokens_after,
        "tokens_saved": row.saved,
        "created_at": row.created_at,
    }


def payload_preview(
    engine: Engine, namespace: str, ref: str, original: str | None, *, full: bool = False
) -> dict[str, Any] | None:
    """Original and compressed form of one payload of this namespace: previews of
    `_PREVIEW_CHARS` each, or whole with `full` (`headroom inspect`)."""
    if original is None:
        return None
    with engine.connect() as conn:
        compressed = conn.execute(
            select(decisions.c.text)
            .where(decisions.c.namespace == namespace, decisions.c.ref == ref)
            .limit(1)
        ).scalar()
    text = None if compressed is None else bytes(compressed).decode("utf-8", "surrogatepass")
    limit = None if full else _PREVIEW_CHARS
    return {
        "ref": ref,
        "original": original[:limit],
        "original_chars": len(original),
        "compressed": text[:limit] if text is not None else None,
        "compressed_chars": len(text) if text is not None else None,
    }


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
