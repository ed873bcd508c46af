"""What the benchmarks share: the conversation a payload is wrapped in (the result of a
neutrally named tool, `fetch_output`, so no tool-specific rule applies) and the timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from tests.conversations import openai_conversation

__all__ = ["QUESTION", "median_seconds", "tool_conversation"]

QUESTION = "Look at this output and answer my question."
"""The generic request every benchmark payload answers."""


def tool_conversation(text: str, *, follow_up: str | None = None) -> list[dict[str, Any]]:
    """`text` as the result of `fetch_output`, after a generic request."""
    return openai_conversation(text, QUESTION, system=None, follow_up=follow_up)


def median_seconds(
    call: Callable[[], object], repeats: int, *, settle: Callable[[], object] | None = None
) -> float:
    """Median wall time of `repeats` calls (the caller has warmed up). `settle`, untimed,
    runs after each call: background work the call left (activity writes) is done before
    the next one, as between the requests of a real conversation."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
        if settle is not None:
            settle()
    return statistics.median(timings)
