"""Replay a 30-turn agent conversation and measure prompt-prefix stability.

Each turn appends a tool call and a growing log output, asks about a job seen in an earlier
output (so the query changes every turn), and the system prompt carries the current time.
A turn is stable when the previous turn's compressed request is a byte prefix of this one.

    python -m benchmarks.prefix_replay
"""

from __future__ import annotations

import json
import tempfile
from typing import Any

from headroom import Headroom, HeadroomConfig
from headroom.aligner import common_prefix_length
from headroom.ccr import SqlStore


def tool_output(turn: int) -> str:
    lines = [
        f"2026-11-25 10:{turn:02d}:{i % 60:02d} INFO job-{turn}-{i} finished in {i % 17}ms"
        for i in range(200 + 40 * turn)
    ]
    lines[len(lines) // 2] = (
        f"2026-11-25 10:{turn:02d}:30 ERROR job-{turn}-x failed: quota exceeded"
    )
    return "\n".join(lines)


def turn_messages(turn: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": f"You are a build agent. Current time: 2026-11-25T10:{turn:02d}:00Z.",
        },
        {"role": "user", "content": "Watch the nightly build and tell me what fails."},
    ]
    for step in range(turn + 1):
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{step}",
                        "type": "function",
                        "function": {"name": "fetch_output", "arguments": "{}"},
                    }
                ],
            }
        )
        messages.append(
            {"role": "tool", "tool_call_id": f"call_{step}", "content": tool_output(step)}
        )
        messages.append({"role": "user", "content": f"What happened to job-{max(0, step - 1)}-7?"})
    return messages


def serialise(messages: list[Any]) -> str:
    return "".join(json.dumps(m, sort_keys=True, ensure_ascii=False) for m in messages)


def replay(config: HeadroomConfig, turns: int = 30) -> list[float]:
    """Per turn after the first: the share of the previous request that this one starts with."""
    shares: list[float] = []
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(config, store=SqlStore(f"sqlite:///{home}/replay.db"))
        previous = ""
        for turn in range(turns):
            result = engine.compress(turn_messages(turn))
            body = result.messages[:-1] if result.aligned_fragments else result.messages
            current = serialise(body)
            if previous:
                shares.append(common_prefix_length(previous, current) / len(previous))
            previous = current
    return shares


def main() -> None:
    aligned = replay(HeadroomConfig(align_dynamic=True))
    plain = replay(HeadroomConfig(align_dynamic=False, stable_history=False))
    print(
        f"with the aligner:    {100 * sum(aligned) / len(aligned):.1f}% of each previous request reused "
        f"(min {100 * min(aligned):.1f}%)"
    )
    print(
        f"without the aligner: {100 * sum(plain) / len(plain):.1f}% of each previous request reused "
        f"(min {100 * min(plain):.1f}%)"
    )


if __name__ == "__main__":
    main()
