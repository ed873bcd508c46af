"""Runs inside .venv-compare (headroom-ai==0.42.0, which also imports as `headroom`).

Compresses each file it is sent, wrapped like ours, and answers with one JSON line.
Kept free of this project's imports: it runs against the other package.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from their_env import prepare

prepare()

import headroom  # noqa: E402  (headroom-ai)

# The repository root, last: `headroom` stays the other package; tests.conversations is plain data.
sys.path.append(str(Path(__file__).resolve().parent.parent))
from tests.conversations import openai_conversation  # noqa: E402

_FOLLOW_UP = "What does this output tell us?"  # as compare.py asks


def conversation(text: str) -> list[dict]:
    question = "Look at this output and answer my question."
    return openai_conversation(text, question, system=None, follow_up=_FOLLOW_UP)


def compress_one(text: str, repeats: int) -> dict:
    messages = conversation(text)
    try:
        result = headroom.compress(messages, model="gpt-4o", protect_recent=0)
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            headroom.compress(messages, model="gpt-4o", protect_recent=0)
            timings.append(time.perf_counter() - start)
        content = result.messages[2]["content"] if hasattr(result, "messages") else None
        diagnostics = getattr(result, "diagnostics", None)
        return {
            "content": content,
            "median_s": statistics.median(timings),
            "diagnostics": json.loads(json.dumps(diagnostics, default=str)),
        }
    except Exception as exc:  # recorded, not hidden: the table says it failed
        return {"error": f"{type(exc).__name__}: {exc}"}


def main() -> None:
    """One file per request: its path on a line of stdin, its result as a line of stdout,
    so the caller times both tools on one payload before going to the next."""
    repeats = int(sys.argv[1])
    print(json.dumps({"version": getattr(headroom, "__version__", "?")}), flush=True)
    for line in sys.stdin:
        text = Path(line.rstrip("\n")).read_bytes().decode("utf-8")
        print(json.dumps(compress_one(text, repeats)), flush=True)


if __name__ == "__main__":
    main()
