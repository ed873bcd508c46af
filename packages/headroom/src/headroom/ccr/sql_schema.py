"""The tables of the SQL store: originals, decisions and the activity log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Engine

from headroom.errors import StoreError

__all__ = [
    "add_missing_columns",
    "LIVE_ORIGINAL",
    "decisions",
    "events",
    "metadata",
    "originals",
    "requests",
    "retrievals",
    "upsert_original",
]

metadata = MetaData()


def _keyed_table(name: str, key: str, key_chars: int, *columns: Column[Any] | Index) -> Table:
    """A table of rows found by (namespace, `key`)."""
    return Table(
        name,
        metadata,
        Column("namespace", String(128), primary_key=True),
        Column(key, String(key_chars), primary_key=True),
        *columns,
    )


originals = _keyed_table(
    "headroom_originals",
    "ref",
    16,
    Column("kind", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("accessed_at", Float, nullable=False),
    Index("ix_headroom_originals_accessed", "accessed_at"),  # eviction: least recent first
)


def _activity_table(name: str, *columns: Column[Any]) -> Table:
    """A table of the activity log: one row per thing that happened, pruned by age and count."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("namespace", String(128), nullable=False, index=True),
        Column("created_at", Float, nullable=False),
        *columns,
    )


events = _activity_table(
    "headroom_events",
    Column("kind", String(16), nullable=False),
    Column("compressor", String(64), nullable=False),
    Column("tokens_before", Integer, nullable=False),
    Column("tokens_after", Integer, nullable=False),
    Column("ref", String(16), nullable=True),
)
# Per-request and per-retrieval activity, for stats and the dashboard (see headroom.ccr.sql_activity).
requests = _activity_table(
    "headroom_requests",
    Column("tokens_before", Integer, nullable=False),
    Column("tokens_after", Integer, nullable=False),
    Column("prefix_stability", Float, nullable=True),
)
retrievals = _activity_table(
    "headroom_retrievals",
    Column("ref", String(16), nullable=False),
    Column("found", Integer, nullable=False),
)


decisions = _keyed_table(
    "headroom_decisions",
    "key",
    32,
    Column("tokens_before", Integer, nullable=False),
    Column("tokens_after", Integer, nullable=False),
    Column("ref", String(16), nullable=True),
    Column("text", LargeBinary, nullable=True),
    Column("compressor", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("language", String(32), nullable=True),
    # What was shown of the payload (`Compressed.kept` of `total` `unit`), so a replayed
    # decision is the whole record; NULL in rows written before these columns existed.
    Column("kept", Integer, nullable=True),
    Column("total", Integer, nullable=True),
    Column("unit", String(32), nullable=True),
)


LIVE_ORIGINAL = select(originals.c.data, originals.c.accessed_at).where(
    originals.c.namespace == bindparam("namespace"),
    originals.c.ref == bindparam("ref"),
    originals.c.expires_at > bindparam("now"),
)
"""An original unless expired, with its LRU time (parameters: `namespace`, `ref`, `now`);
built once, as a get is the hottest call and building a statement costs more than running it."""

_RENEWED_COLUMNS = ("kind", "data", "size", "expires_at", "accessed_at")
"""What a put of a ref already stored overwrites (its `created_at` stays)."""


def upsert_original(dialect: str) -> Any:
    """One statement that inserts an original or, if its ref is there, renews it; built once
    per store and run with the row as parameters (`namespace`, `ref`, `created_at` and the
    `_RENEWED_COLUMNS`), so no call pays for building and caching it again."""
    if dialect in ("sqlite", "postgresql"):
        module = sqlite_dialect if dialect == "sqlite" else postgresql_dialect
        statement = module.insert(originals)
        renewed = {name: statement.excluded[name] for name in _RENEWED_COLUMNS}
        return statement.on_conflict_do_update(index_elements=["namespace", "ref"], set_=renewed)
    raise StoreError(f"The CCR store supports SQLite and PostgreSQL, not {dialect!r}.")


def add_missing_columns(engine: Engine) -> None:
    """Bring a store made by an older version up to date (columns are only ever added)."""
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=engine.dialect)
                with engine.begin() as conn:
                    conn.execute(
                        text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
                    )
