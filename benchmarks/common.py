"""What the benchmarks share: the conversation a payload is wrapped in (the result of a
neutrally named tool, `fetch_output`, so no tool-specific rule applies) and the timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["median_seconds", "tool_conversation"]


def tool_conversation(text: str, *, follow_up: str | None = None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Look at this output and answer my question."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "fetch_output", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": text},
    ]
    if follow_up:
        messages.append({"role": "user", "content": follow_up})
    return messages


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls (the caller has warmed up)."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)
