"""Runs inside .venv-compare (headroom-ai==0.42.0, which also imports as `headroom`) for
`make bench-session`: compresses each request it is sent with the package's defaults, as
a client calling `headroom.compress(messages, model=...)` before each request would.

One JSON object per stdin line ({"model", "messages"}); one JSON line back
({"messages"} or {"error"}). Kept free of this project's imports.
"""

from __future__ import annotations

import json
import sys

from their_env import prepare

prepare()

import headroom  # noqa: E402  (headroom-ai)


def main() -> None:
    print(json.dumps({"version": getattr(headroom, "__version__", "?")}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            result = headroom.compress(request["messages"], model=request["model"])
            answer = {"messages": json.loads(json.dumps(result.messages, default=str))}
        except Exception as exc:  # recorded, not hidden: the report says it failed
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
