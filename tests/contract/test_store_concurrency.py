"""8 processes x 10,000 originals on one store; a writer killed mid-run loses nothing committed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from headroom.ccr import SqlStore
from headroom.ccr.markers import make_ref
from tests.contract.store_worker import original

REPO = Path(__file__).resolve().parents[2]
WORKERS, PER_WORKER = 8, 10_000


def spawn(url: str, worker: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.contract.store_worker", url, str(worker), str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_eight_processes_lose_and_corrupt_nothing(store_url: str) -> None:
    SqlStore(store_url).close()  # create the schema once, before the race
    workers = [spawn(store_url, w, PER_WORKER) for w in range(WORKERS)]
    outputs = [w.communicate(timeout=900) for w in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
        assert "CORRUPT" not in out
    store = SqlStore(store_url)
    try:
        assert store.stats("ns").entries == WORKERS * PER_WORKER
        for w in range(WORKERS):
            for i in range(0, PER_WORKER, 7):
                text = original(w, i)
                assert store.get("ns", make_ref(text)) == text
    finally:
        store.close()


def test_writer_killed_mid_run_leaves_a_working_store(store_url: str) -> None:
    SqlStore(store_url).close()
    writer = spawn(store_url, 0, 1_000_000)
    assert writer.stdout is not None
    committed = []
    deadline = time.monotonic() + 60
    while len(committed) < 1500 and time.monotonic() < deadline:
        committed.append(writer.stdout.readline().strip())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    writer.stdout.close()
    writer.stderr.close()  # type: ignore[union-attr]
    store = SqlStore(store_url)
    try:
        for index, ref in enumerate(committed):
            assert store.get("ns", ref) == original(0, index)
        store.put("ns", "0123456789abcdef", "still writable", kind="text")
        assert store.get("ns", "0123456789abcdef") == "still writable"
    finally:
        store.close()
