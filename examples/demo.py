"""Compress a few real tool outputs, print what each one saved, then show one marker and
fetch back what it left out with `headroom_retrieve`.

make demo                              # the payloads in examples/data
CORPUS=../shared/corpus make demo      # or any directory with a manifest.json
python examples/demo.py --corpus DIR --all
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from headroom import Headroom, HeadroomConfig
from headroom.ccr.markers import find_markers

EMBEDDED_DATA = Path(__file__).resolve().parent / "data"
PICKS = ("log", "json", "search", "diff", "code", "prose", "html")


def tool_conversation(question: str, text: str) -> list[dict[str, Any]]:
    """`text` as the result of a neutrally named tool, after `question`."""
    call = {"id": "c1", "type": "function", "function": {"name": "fetch_output", "arguments": "{}"}}
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": text},
    ]


def pick_files(manifest: dict[str, Any], every_file: bool) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = manifest["files"]
    if every_file:
        return files
    first_of_kind = {kind: next((f for f in files if f["kind"] == kind), None) for kind in PICKS}
    return [entry for entry in first_of_kind.values() if entry is not None]


def show_marker_and_retrieve(engine: Headroom, compressed: str, needle: str) -> None:
    markers = find_markers(compressed)
    if not markers:
        return
    # The marker that stands for the most left-out text makes the clearest example.
    marker = max(markers, key=lambda m: max(map(int, re.findall(r"\d+", m.detail) or ["0"])))
    start = compressed.rfind("\n", 0, marker.start) + 1
    end = compressed.find("\n", marker.end)
    print("\nA marker, as the model sees it:\n")
    print("    " + compressed[start : end if end >= 0 else None])
    print(f"\nheadroom_retrieve(ref={marker.ref!r}, query={needle!r}) returns:\n")
    answer = engine.retrieve(marker.ref, query=needle) or ""
    for line in answer.splitlines()[:8]:
        print("    " + line[:110])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=EMBEDDED_DATA)
    parser.add_argument("--all", action="store_true", help="every file, not one per kind")
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    files = pick_files(manifest, args.all)
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(HeadroomConfig(store_url=f"sqlite:///{home}/store.db"))
        print(f"{'file':<36} {'kind':<8} {'before':>8} {'after':>8} {'saved':>7}")
        total_before = total_after = 0
        first_compressed: tuple[str, str] | None = None
        for entry in files:
            text = (args.corpus / entry["path"]).read_bytes().decode("utf-8")
            result = engine.compress(tool_conversation("Summarise this output.", text))
            total_before += result.tokens_before
            total_after += result.tokens_after
            print(
                f"{entry['id']:<36} {entry['kind']:<8} {result.tokens_before:>8} "
                f"{result.tokens_after:>8} {100 * (1 - result.ratio):>6.1f}%"
            )
            compressed = result.messages[-1]["content"]
            if first_compressed is None and result.refs and entry["needles"]:
                first_compressed = (compressed, entry["needles"][0])
        saved = 100 * (1 - total_after / max(total_before, 1))
        print(f"{'total':<36} {'':<8} {total_before:>8} {total_after:>8} {saved:>6.1f}%")
        if first_compressed is not None:
            show_marker_and_retrieve(engine, *first_compressed)


if __name__ == "__main__":
    main()
