"""Retention holds across processes: many short-lived processes (each opens the store,
writes a little, exits) leave a store within its TTL and row cap, on every backend."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, func, select

from headroom.ccr.sql_retention import prune_every
from headroom.ccr.sql_schema import decisions, events, requests, retrievals

TTL = 150.0
CAP = 20
PROCESSES = 5
WRITES = 15
STEP = 100.0  # each process runs this much later than the one before (its own clock)

WRITER = f"""
import sys
from headroom.ccr import SqlStore
from headroom.compressed import Compressed

url, now, writes = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
store = SqlStore(url, ttl_seconds={TTL}, max_activity_rows={CAP}, clock=lambda: now)
for index in range(writes):
    store.record_request("ns", 100, 50, None)
    store.record_retrieval("ns", "0123456789abcdef", True)
    store.record("ns", Compressed.unchanged("x", 1, kind="log"))
    store.put_decision("ns", f"{{now:.0f}}-{{index}}", Compressed.unchanged("x", 1))
store.close()
"""


@pytest.mark.slow  # many short-lived processes
def test_short_lived_processes_keep_the_store_within_ttl_and_cap(store_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    last = 0.0
    for number in range(PROCESSES):
        last = 1_000_000.0 + number * STEP
        subprocess.run(
            [sys.executable, "-c", WRITER, store_url, str(last), str(WRITES)],
            check=True,
            env=env,
            timeout=120,
        )
    database = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with database.connect() as conn:
            for table in (events, requests, retrievals):
                rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
                stale = conn.execute(
                    select(func.count()).where(table.c.created_at <= last - TTL)
                ).scalar_one()
                # Written: PROCESSES * WRITES rows (75), nearly 4x the cap.
                assert rows <= CAP + prune_every(CAP), (table.name, rows)
                assert stale == 0, table.name
            expired = conn.execute(
                select(func.count()).where(decisions.c.expires_at <= last)
            ).scalar_one()
            assert expired == 0
    finally:
        database.dispose()
