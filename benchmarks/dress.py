"""`make bench-dress`: the corpus payloads in the dresses agents put them in, beside bare.

A tool result is rarely the bare output: a command's echo comes before it, an editor view
numbers its lines (`cat -n`, Claude Code's Read: `     1→`), a shell tool wraps it in JSON
(`{"output": ..., "metadata": {...}}`), a model or a tool puts it in a fenced block. Each
corpus payload goes out bare and in each dress (generic question, fresh store, stable
history off); the table gives the tokens saved and the needles visible outside markers (in
the JSON envelope, in its decoded `output` string), per dress. A dress should cost little
of either: the same payload, the same answer.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore

_MARKER = re.compile(r"\[headroom:[^\]]*\]")


def _numbered(text: str, mark: str) -> str:
    return "\n".join(f"{number:>6}{mark}{line}" for number, line in enumerate(text.split("\n"), 1))


DRESSES: dict[str, Callable[[str], str]] = {
    "bare": lambda text: text,
    "echo": lambda text: f"$ run-tool --all\n{text}",
    "fenced": lambda text: f"Output:\n```\n{text}\n```",
    "cat -n": lambda text: _numbered(text, "\t"),
    "read →": lambda text: _numbered(text, "→"),
    "json": lambda text: json.dumps({"output": text, "metadata": {"exit_code": 0}}),
}


def shown(dress: str, out: str) -> str:
    """What the model reads of the payload in `out`, markers taken out."""
    if dress == "json":
        try:
            out = json.loads(out)["output"]
        except (ValueError, KeyError, TypeError):
            pass  # not JSON any more: read as it is
    return _MARKER.sub("", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    totals = {dress: {"before": 0, "after": 0, "visible": 0, "needles": 0} for dress in DRESSES}
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(
            HeadroomConfig(stable_history=False), store=SqlStore(f"sqlite:///{home}/d.db")
        )
        for entry in manifest["files"]:
            text = (args.corpus / entry["path"]).read_bytes().decode("utf-8")
            for dress, wear in DRESSES.items():
                result = engine.compress_text(wear(text))
                seen = shown(dress, result.text)
                row = totals[dress]
                row["before"] += result.tokens_before
                row["after"] += result.tokens_after
                row["needles"] += len(entry["needles"])
                row["visible"] += sum(needle in seen for needle in entry["needles"])
        engine.store.close()  # background writes done before the directory goes
    lines = ["| dress | tokens before | after | saved | needles visible |", "|---|---|---|---|---|"]
    for dress, row in totals.items():
        saved = 100 * (1 - row["after"] / max(1, row["before"]))
        lines.append(
            f"| {dress} | {row['before']} | {row['after']} | {saved:.1f}% "
            f"| {row['visible']}/{row['needles']} |"
        )
    markdown = "\n".join(lines)
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dress.md").write_text(markdown + "\n")
    (args.out / "dress.json").write_text(json.dumps(totals, indent=2))


if __name__ == "__main__":
    main()
