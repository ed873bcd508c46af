"""Compress a few files of the benchmark corpus and print what each one saved.

make demo            # or: python examples/demo.py --corpus ../shared/corpus
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from headroom import Headroom, HeadroomConfig

PICKS = ("json", "log", "search", "diff", "code", "prose")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--all", action="store_true", help="every file, not one per kind")
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    files = manifest["files"]
    if not args.all:
        files = [next(f for f in files if f["kind"] == kind) for kind in PICKS]
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(HeadroomConfig(store_url=f"sqlite:///{home}/store.db"))
        print(f"{'file':<36} {'kind':<8} {'before':>8} {'after':>8} {'saved':>7}")
        for entry in files:
            text = (args.corpus / entry["path"]).read_bytes().decode("utf-8")
            messages = [
                {"role": "user", "content": "Summarise this output."},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "fetch_output", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": text},
            ]
            result = engine.compress(messages)
            saved = 100 * (1 - result.ratio)
            print(
                f"{entry['id']:<36} {entry['kind']:<8} {result.tokens_before:>8} "
                f"{result.tokens_after:>8} {saved:>6.1f}%"
            )


if __name__ == "__main__":
    main()
