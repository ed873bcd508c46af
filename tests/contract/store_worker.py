"""A store client process for the concurrency and kill tests.

    python -m tests.contract.store_worker URL WORKER COUNT

Writes COUNT originals (deterministic from WORKER and the index), reading back an earlier
one after each write; prints each ref once its put has returned (committed) and exits 3 on
any lost or corrupted read.
"""

from __future__ import annotations

import hashlib
import random
import sys

from headroom.ccr import SqlStore
from headroom.ccr.markers import make_ref


def original(worker: int, index: int) -> str:
    seed = hashlib.sha256(f"{worker}:{index}".encode()).hexdigest()
    return (
        f"worker {worker} entry {index} "
        + seed * (1 + index % 7)
        + " ünïcödé \ud800"[: 12 + index % 3]
    )


def main() -> int:
    url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = SqlStore(url)
    rng = random.Random(worker)
    for index in range(count):
        text = original(worker, index)
        ref = make_ref(text)
        store.put("ns", ref, text, kind="text")
        print(ref, flush=True)
        back = rng.randrange(index + 1)
        expected = original(worker, back)
        if store.get("ns", make_ref(expected)) != expected:
            print(f"CORRUPT {worker} {back}", flush=True)
            return 3
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
