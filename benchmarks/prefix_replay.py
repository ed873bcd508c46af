"""Replay a 30-turn agent conversation and measure prompt-prefix stability.

Each turn appends a tool call and a growing log output, asks about a job seen in an earlier
output (so the query changes every turn), and the system prompt carries the current time.
A turn is stable when the previous turn's compressed request is a byte prefix of this one.

    python -m benchmarks.prefix_replay
"""

from __future__ import annotations

from tests.replay import replay

from headroom import HeadroomConfig


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
