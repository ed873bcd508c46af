"""A throwaway PostgreSQL server for the tests of the Postgres store path.

`HEADROOM_TEST_POSTGRES_URL` (a server-level URL, e.g. postgresql+psycopg://u@127.0.0.1:5432/postgres)
points the tests at a running server. Otherwise they start their own on a free loopback port
from the installed server binaries (Debian's `postgresql` package; `.ci/run` installs it).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

__all__ = ["fresh_database", "postgres_server"]


def _binaries() -> str:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries not found: install them (apt-get install postgresql) "
            "or set HEADROOM_TEST_POSTGRES_URL."
        )
    return os.path.dirname(candidates[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(argv: list[str]) -> None:
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        argv = ["runuser", "-u", "postgres", "--", *argv]
    subprocess.run(argv, check=True, capture_output=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A server-level SQLAlchemy URL of a running PostgreSQL."""
    existing = os.environ.get("HEADROOM_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bin_dir = _binaries()
    data = tempfile.mkdtemp(prefix="headroom-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    _run([f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "headroom", "--no-sync"])
    options = (
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    _run(
        [f"{bin_dir}/pg_ctl", "-D", data, "-o", options, "-l", f"{data}/server.log", "-w", "start"]
    )
    try:
        yield f"postgresql+psycopg://headroom@127.0.0.1:{port}/postgres"
    finally:
        _run([f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards."""
    url = make_url(server_url)
    name = f"headroom_{uuid.uuid4().hex[:12]}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
