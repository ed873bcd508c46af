"""Needle fidelity, as the project is judged: `make bench` prints it after the ratios.

Each corpus file is the result of a `fetch_output` tool call after a user question, in one
fresh store shared by all runs (cached decisions count, as they do for users):

- visible: with a generic question ("Look at FILE and tell me what matters in it."), the
  needle appears in the compressed tool result outside markers;
- named: in a new conversation whose question names the needle ("What does FILE say
  about `NEEDLE`? Quote the exact lines."), a whole original line holding it is a line of
  the output (markers removed, surrounding white space ignored, a marker after it allowed;
  for JSON, JSON Lines, CSV, listings, HTML and lines over 400 characters, the needle
  itself);
- recoverable: visible, or in what `headroom_retrieve(ref, query=needle)` returns.

Savings are o200k tokens of the tool result, overall, per kind, and over the named runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conversations import openai_conversation

_ANY_MARKER = re.compile(r"\[headroom:[^\]]*\]")
_LONG_LINE = 400
_WHOLE_NEEDLE_KINDS = ("json", "jsonl", "csv", "listing", "html")


def conversation(name: str, text: str, question: str) -> list[dict[str, Any]]:
    system = "You are a careful engineering assistant."
    arguments = json.dumps({"source": name})
    return openai_conversation(text, question, system=system, arguments=arguments)


def tool_result(messages: list[dict[str, Any]]) -> str:
    content = next(m for m in messages if m.get("role") == "tool")["content"]
    return content if isinstance(content, str) else json.dumps(content)


def shown_as_line(needle: str, original: str, compressed: str, kind: str) -> bool:
    """Whether an original line holding `needle` is a whole line of `compressed`."""
    plain = _ANY_MARKER.sub("", compressed)
    if needle not in plain:
        return False
    if kind in _WHOLE_NEEDLE_KINDS:
        return True
    lines = {line.strip() for line in plain.splitlines()}
    marked = [line.strip() for line in compressed.splitlines() if "[headroom:" in line]
    start = original.find(needle)
    while start >= 0:
        begin = original.rfind("\n", 0, start) + 1
        end = original.find("\n", start + len(needle))
        line = original[begin : end if end >= 0 else len(original)].strip()
        if len(line) > _LONG_LINE or line in lines or any(m.startswith(line) for m in marked):
            return True
        start = original.find(needle, start + 1)
    return False


@dataclass(frozen=True)
class Payload:
    """One tool output to measure: its name (the file the tool call names), the kind it
    is judged as, its text and its needles."""

    name: str
    kind: str
    text: str
    needles: list[str]


@dataclass
class Row:
    """The figures of one payload; `output` is its compressed text (generic question)."""

    name: str
    kind: str
    tokens_before: int
    tokens_after: int
    needles: int
    visible: int
    named: int
    recoverable: int
    named_before: int
    named_after: int
    bad_json: int
    compressors: list[str]
    output: str = field(repr=False)


@dataclass
class Tally:
    needles: int = 0
    visible: int = 0
    named: int = 0
    recoverable: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    named_before: int = 0
    named_after: int = 0
    bad_json: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(row, name))
        totals = self.by_kind.setdefault(row.kind, [0, 0])
        totals[0] += row.tokens_before
        totals[1] += row.tokens_after


_SUMMED = (
    "needles",
    "visible",
    "named",
    "recoverable",
    "tokens_before",
    "tokens_after",
    "named_before",
    "named_after",
    "bad_json",
)


def corpus_payloads(corpus: Path) -> list[Payload]:
    """The files of a corpus with a manifest.json (files: id, path, kind, needles)."""
    return [
        Payload(
            entry["id"],
            entry["kind"],
            (corpus / entry["path"]).read_text(errors="replace"),
            entry.get("needles", []),
        )
        for entry in json.loads((corpus / "manifest.json").read_text())["files"]
    ]


def fresh_store() -> None:
    """Point the default engine at a new, empty store (before `headroom` is imported)."""
    os.environ["HEADROOM_HOME"] = tempfile.mkdtemp(prefix="headroom-fidelity-")


def measure_payload(payload: Payload) -> Row:
    """One payload run as described above, in the default engine's store."""
    import headroom  # after HEADROOM_HOME: the default engine opens its store there
    from headroom.engine.wellformed import parses_as_json

    def count(text: str) -> int:
        return headroom.count_tokens(text, model="gpt-4o")

    name, text = payload.name, payload.text
    generic = headroom.compress(
        conversation(name, text, f"Look at {name} and tell me what matters in it."),
        model="gpt-4o",
    )
    out = tool_result(generic.messages)
    plain = _ANY_MARKER.sub("", out)
    before = count(text)
    row = Row(name, payload.kind, before, count(out), 0, 0, 0, 0, 0, 0, 0, [], out)
    row.compressors = sorted(generic.compressors)
    row.bad_json = int(
        payload.kind in ("json", "jsonl") and parses_as_json(text) and not parses_as_json(out)
    )
    for needle in payload.needles:
        visible = needle in plain
        question = f"What does {name} say about `{needle.strip()}`? Quote the exact lines."
        named = tool_result(
            headroom.compress(conversation(name, text, question), model="gpt-4o").messages
        )
        row.needles += 1
        row.visible += visible
        row.named += shown_as_line(needle, text, named, payload.kind)
        row.named_before += before
        row.named_after += count(named)
        row.recoverable += visible or any(
            needle in (headroom.retrieve(ref, query=needle) or "") for ref in generic.refs
        )
    return row


def measure(corpus: Path) -> Tally:
    """Run every file of `corpus` as described above, in a fresh store."""
    fresh_store()
    tally = Tally()
    for payload in corpus_payloads(corpus):
        tally.add(measure_payload(payload))
    return tally


def report(tally: Tally) -> str:
    def saved(before: int, after: int) -> str:
        return f"{100 * (1 - after / max(before, 1)):.1f}%"

    def share(count: int) -> str:
        return f"{count}/{tally.needles} ({100 * count / max(tally.needles, 1):.1f}%)"

    kinds = ", ".join(f"{k} {saved(*v)}" for k, v in sorted(tally.by_kind.items()))
    lines = [
        "## Needle fidelity (the judged measurement)",
        f"saved {saved(tally.tokens_before, tally.tokens_after)}; "
        f"in the question-named runs {saved(tally.named_before, tally.named_after)}",
        f"per kind saved: {kinds}",
        f"visible {share(tally.visible)}; named {share(tally.named)}; "
        f"recoverable {share(tally.recoverable)}; JSON outputs that do not parse: {tally.bad_json}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    tally = measure(args.corpus.resolve())
    text = report(tally)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fidelity.md").write_text(text + "\n")
    (args.out / "fidelity.json").write_text(json.dumps(tally.__dict__, indent=1))


if __name__ == "__main__":
    main()
