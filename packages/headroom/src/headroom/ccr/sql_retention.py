"""Retention of the SQL store, decided from the database's own state, so it holds across
processes: short-lived ones (a CLI run, a serverless worker) prune as surely as a server.

A store prunes when it opens if anything is due (an expired original or decision, an
activity row past the TTL or beyond the row cap), and again whenever an activity row it
writes gets an id that is a multiple of `prune_every(cap)`: ids are shared by every
process writing to the database, so one of them prunes every that many writes, whichever
it is.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from headroom.ccr.sql_schema import decisions, events, originals, requests, retrievals

__all__ = ["ACTIVITY_TABLES", "evict_past_cap", "prune", "prune_due", "prune_every"]

ACTIVITY_TABLES = (events, requests, retrievals)
_MAX_EVERY = 1000


def prune_every(max_activity_rows: int) -> int:
    """Writes between prunes: a few times per row cap, at most every 1,000 writes."""
    return max(1, min(_MAX_EVERY, max_activity_rows // 4))


def prune_due(conn: Connection, now: float, ttl_seconds: float, max_rows: int) -> bool:
    """Whether anything is there to prune, answered with a few index lookups."""
    for table in (originals, decisions):
        if conn.execute(
            select(table.c.namespace).where(table.c.expires_at <= now).limit(1)
        ).first():
            return True
    for table in ACTIVITY_TABLES:
        oldest, first_id, last_id = conn.execute(
            select(table.c.created_at, table.c.id, select(func.max(table.c.id)).scalar_subquery())
            .order_by(table.c.id)
            .limit(1)
        ).first() or (None, None, None)
        if oldest is not None and oldest <= now - ttl_seconds:
            return True
        if first_id is not None and last_id - first_id + 1 > max_rows:
            return True
    return False


def prune(conn: Connection, now: float, ttl_seconds: float, max_rows: int) -> int:
    """Drop expired originals and decisions, and activity rows older than the TTL or beyond
    the newest `max_rows` of their table; the number of originals dropped."""
    expired = conn.execute(delete(originals).where(originals.c.expires_at <= now))
    conn.execute(delete(decisions).where(decisions.c.expires_at <= now))
    for table in ACTIVITY_TABLES:
        conn.execute(delete(table).where(table.c.created_at <= now - ttl_seconds))
        newest = conn.execute(select(func.max(table.c.id))).scalar()
        if newest is not None and newest > max_rows:
            conn.execute(delete(table).where(table.c.id <= newest - max_rows))
    return int(expired.rowcount or 0)


def evict_past_cap(conn: Connection, max_bytes: int) -> int:
    """Drop the least recently used originals until the rest fit in `max_bytes`; how many."""
    total = conn.execute(select(func.coalesce(func.sum(originals.c.size), 0))).scalar_one()
    excess = int(total) - max_bytes
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
            delete(originals).where(originals.c.namespace == namespace, originals.c.ref == ref)
        )
    return len(victims)
