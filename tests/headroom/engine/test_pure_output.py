"""Compression is a pure function of its input: no clock decides the output. However long
the CPU takes (a slow payload, a busy machine), a healthy store means the same bytes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from tests.conftest import corpus_files
from tests.conversations import SYNC_LOG, WORKER_LOG, openai_conversation


def engine_at(path: Path, **settings: Any) -> Headroom:
    config = HeadroomConfig(budget_scale=0.25, budget_exponent=1.0, **settings)
    return Headroom(config, store=SqlStore(f"sqlite:///{path}"))


def conversations() -> list[list[dict[str, Any]]]:
    """Each payload on its own, and all of them in one conversation (one long compress())."""
    payloads = [WORKER_LOG, SYNC_LOG, *(f.text() for f in corpus_files()[:12])]
    alone = [openai_conversation(p, "What failed?") for p in payloads]
    together = alone[0][:2] + [
        message
        for index, payload in enumerate(payloads)
        for message in openai_conversation(payload, call_id=f"call_{index}")[2:]
    ]
    return [*alone, together]


def test_compressing_longer_than_the_store_timeout_still_compresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation = openai_conversation(WORKER_LOG)
    quiet = engine_at(tmp_path / "quiet.db").compress(conversation)
    assert not quiet.failed_open and quiet.refs
    slow = engine_at(tmp_path / "slow.db", store_timeout_s=0.3)
    slow.stats()  # opened: the open is the store's time, not the engine's
    route = slow.router.route

    def slow_route(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.6)  # the CPU busy elsewhere: longer than the store timeout
        return route(*args, **kwargs)

    monkeypatch.setattr(slow.router, "route", slow_route)
    result = slow.compress(conversation)
    assert not result.failed_open
    assert result.messages == quiet.messages


@pytest.mark.slow  # loads the machine
def test_the_same_input_gives_the_same_bytes_on_a_busy_machine(tmp_path: Path) -> None:
    inputs = conversations()
    quiet = engine_at(tmp_path / "quiet.db")
    expected = [quiet.compress(c) for c in inputs]
    assert sum(1 for r in expected if r.refs) >= 2  # something was compressed
    with_load = tmp_path / "busy.db"
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        busy = engine_at(with_load, store_timeout_s=0.5)
        results = [busy.compress(c) for c in inputs]
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    assert [r.failed_open for r in results] == [False] * len(inputs)
    assert [r.messages for r in results] == [r.messages for r in expected]
