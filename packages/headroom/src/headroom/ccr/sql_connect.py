"""Opening the SQL store's database: URL checks, engines, timeouts, the read-only fallback."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from sqlalchemy.pool import StaticPool

from headroom._version import install_hint
from headroom.ccr.sql_schema import originals
from headroom.errors import StoreConfigError, StoreError, StoreUnavailable
from headroom.redact import redact_url, scrub

__all__ = [
    "SUPPORTED_BACKENDS",
    "check_store_url",
    "create_store_engine",
    "failure",
    "read_only_sqlite",
    "reason",
    "redact_url",
]

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_PSYCOPG_MIN_CONNECT_S = 2  # psycopg's connect_timeout is whole seconds, at least 2
_POOL_SIZE = 8
_POOL_OVERFLOW = 8
_POOL_RECYCLE_S = 300
_MAX_REASON_CHARS = 300


def failure(what: str, exc: SQLAlchemyError, url: str | None = None) -> StoreError:
    """The error of a failed statement: StoreUnavailable when the database timed out or
    could not be reached, so the guard leaves it alone for a while. Its message holds the
    database's reason (first line only: PostgreSQL's DETAIL may quote a row), never the
    statement's parameters (an original) nor a password; raise it `from None`."""
    unreachable = isinstance(exc, (OperationalError, SqlTimeoutError))
    return (StoreUnavailable if unreachable else StoreError)(f"{what}: {reason(exc, url)}")


def reason(exc: BaseException, url: str | None = None) -> str:
    """What went wrong, in one line without data or secrets: the driver's first line."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    first = lines[0] if lines else ""
    return scrub(f"{type(cause).__name__}: {first}"[:_MAX_REASON_CHARS], url)


def check_store_url(url: str) -> None:
    """Refuse, without connecting, a URL the store cannot use: not a database URL, a
    database other than SQLite or PostgreSQL, or a driver that is not installed."""
    _store_url(url)


def _store_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not quoted: what is not a URL cannot be told apart from a password.
        raise StoreConfigError(
            "The store URL is not a database URL (sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB)."
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreConfigError(
            f"Store URL {redact_url(url)!r}: the store runs on SQLite "
            "(sqlite:///PATH) or PostgreSQL (postgresql+psycopg://..., "
            f"{install_hint('postgres')}), not {backend!r}."
        )
    if parsed.drivername == "postgresql":  # SQLAlchemy's default is psycopg2; ours is psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError as exc:
        raise StoreConfigError(
            f"Store URL {redact_url(url)!r} needs the {parsed.get_driver_name()!r} "
            f"driver, which is not installed: pip install {exc.name or parsed.get_driver_name()}"
            f" (or use postgresql+psycopg://, which {install_hint('postgres')} brings)."
        ) from None
    return parsed


def create_store_engine(url: str, timeout_s: float) -> Engine:
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
            hide_parameters=True,  # an error never quotes an original
        )
    database = parsed.database
    if not database or database == ":memory:":
        return create_engine(
            url,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
        )
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": wait, "check_same_thread": False}, hide_parameters=True
    )
    event.listen(engine, "connect", lambda conn, _: _sqlite_pragmas(conn, wait))
    return engine


def read_only_sqlite(url: str, error: OperationalError) -> Engine | None:
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
        hide_parameters=True,
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
