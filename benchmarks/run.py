"""`make bench`: ratio, needle retention and speed of the engine over the corpus.

Each corpus file is wrapped as the result of a neutrally named tool (`fetch_output`) in a
short agent conversation and compressed with a fresh store. Printed as a Markdown table
and written to bench-results/results.json and bench-results/results.md.

Beside each routed result stands the baseline: the generic line compressor alone on the
same file with the same budget and question, so each kind's compressor is seen beating
it (or not).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.common import QUESTION, median_seconds, tool_conversation
from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.markers import make_ref
from headroom.compressors.base import CompressContext
from headroom.compressors.lines import LineCompressor
from headroom.engine.payloads import token_budget
from headroom.engine.query import focus_of
from headroom.tokens import counter_for

_MARKER = re.compile(r"\[headroom:[^\]]*\]")


def measure(engine: Headroom, entry: dict[str, Any], text: str, repeats: int) -> dict[str, Any]:
    messages = tool_conversation(text)
    result = engine.compress(messages)  # warm-up, and the result we judge
    median = median_seconds(partial(engine.compress, messages), repeats, settle=engine.store.flush)
    out = result.messages[2]["content"]
    visible = [n for n in entry["needles"] if n in out]
    retrievable = [
        n
        for n in entry["needles"]
        if n in out or any(n in (engine.retrieve(ref, query=n) or "") for ref in result.refs)
    ]
    valid = output_valid(entry, text, out)
    return {
        "id": entry["id"],
        "kind": entry["kind"],
        "bytes": len(text.encode()),
        "tokens_before": result.tokens_before,
        "tokens_after": result.tokens_after,
        "saved_pct": round(100 * (1 - result.ratio), 1),
        "needles": len(entry["needles"]),
        "needles_visible": len(visible),
        "needles_after_retrieve": len(retrievable),
        "median_ms": round(1000 * median, 2),
        "mb_per_s": round(len(text.encode()) / 1e6 / median, 2),
        "valid": valid,
        "compressors": sorted(result.compressors),
        **baseline(engine.config, entry, text),
    }


def baseline(config: HeadroomConfig, entry: dict[str, Any], text: str) -> dict[str, Any]:
    """The generic line compressor alone on `text`, with the budget and question the engine
    gives it: saved % and needles visible (outside markers)."""
    counter = counter_for("gpt-4o")
    tokens = counter.count(text)
    ctx = CompressContext(
        ref=make_ref(text),
        query=QUESTION,
        focus=focus_of(QUESTION, text),
        budget_tokens=token_budget(tokens, config),
        counter=counter,
    )
    result = LineCompressor().compress(text, ctx)
    out = text if result is None else result.text
    plain = _MARKER.sub("", out)
    return {
        "baseline_tokens_after": counter.count(out),
        "baseline_tokens_before": tokens,
        "baseline_needles_visible": sum(n in plain for n in entry["needles"]),
    }


def output_valid(entry: dict[str, Any], original: str, out: str) -> bool | None:
    """JSON still parses; code parses with no more syntax errors than the original had."""
    if entry["kind"] == "json":
        try:
            json.loads(out)
        except ValueError:
            return False
        return True
    if entry["kind"] == "code" and entry.get("language"):
        from headroom.compressors._grammars import parser_for

        parser = parser_for(entry["language"])
        if parser is None:
            return None
        return _errors(parser.parse(out.encode()).root_node) <= _errors(
            parser.parse(original.encode()).root_node
        )
    return None


def _errors(node: Any) -> int:
    return int(node.type == "ERROR" or node.is_missing) + sum(_errors(c) for c in node.children)


def table(rows: list[dict[str, Any]]) -> str:
    head = "| file | kind | tokens before | after | saved | needles visible | after retrieve | valid | median ms | MB/s |"
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        valid = {True: "yes", False: "NO", None: "-"}[r["valid"]]
        lines.append(
            f"| {r['id']} | {r['kind']} | {r['tokens_before']} | {r['tokens_after']} | {r['saved_pct']}% | "
            f"{r['needles_visible']}/{r['needles']} | {r['needles_after_retrieve']}/{r['needles']} | {valid} | "
            f"{r['median_ms']} | {r['mb_per_s']} |"
        )
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    lines += ["", *by_kind_table({**by_kind, "**all**": rows})]
    return "\n".join(lines)


def by_kind_table(by_kind: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Per kind (and for all rows): the routed result beside the generic line compressor
    alone (baseline), and the kind's speed (its bytes over its files' median times)."""
    lines = [
        "| kind | files | tokens before | after | saved | needles visible "
        "| baseline saved | baseline visible | MB/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, group in by_kind.items():
        before = sum(r["tokens_before"] for r in group)
        after = sum(r["tokens_after"] for r in group)
        needles = sum(r["needles"] for r in group)
        visible = sum(r["needles_visible"] for r in group)
        base_before = sum(r["baseline_tokens_before"] for r in group)
        base_after = sum(r["baseline_tokens_after"] for r in group)
        base_visible = sum(r["baseline_needles_visible"] for r in group)
        seconds = sum(r["median_ms"] for r in group) / 1000
        speed = sum(r["bytes"] for r in group) / 1e6 / max(seconds, 1e-9)
        lines.append(
            f"| {kind} | {len(group)} | {before} | {after} | {_saved(before, after)} "
            f"| {visible}/{needles} | {_saved(base_before, base_after)} | {base_visible}/{needles} "
            f"| {speed:.2f} |"
        )
    return lines


def _saved(before: int, after: int) -> str:
    return f"{100 * (1 - after / max(before, 1)):.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    rows = []
    with tempfile.TemporaryDirectory() as home:
        # stable_history off: every run compresses anew, so the timings are compression, not the cache
        engine = Headroom(
            HeadroomConfig(stable_history=False), store=SqlStore(f"sqlite:///{home}/bench.db")
        )
        for entry in manifest["files"]:
            text = (args.corpus / entry["path"]).read_bytes().decode("utf-8")
            rows.append(measure(engine, entry, text, args.repeats))
        engine.store.close()  # background writes done before the directory goes
    markdown = table(rows)
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    (args.out / "results.md").write_text(markdown + "\n")
    plot(rows, args.out / "savings.png")


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Savings per file, coloured by kind, and throughput against size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = sorted({r["kind"] for r in rows})
    colours = {kind: plt.get_cmap("tab10")(i) for i, kind in enumerate(kinds)}
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6))
    left.barh(
        [r["id"] for r in rows],
        [r["saved_pct"] for r in rows],
        color=[colours[r["kind"]] for r in rows],
    )
    left.set_xlabel("tokens saved (%)")
    left.invert_yaxis()
    for kind in kinds:
        group = [r for r in rows if r["kind"] == kind]
        right.scatter(
            [r["bytes"] / 1024 for r in group],
            [r["median_ms"] for r in group],
            label=kind,
            color=colours[kind],
        )
    right.set_xlabel("payload (KiB)")
    right.set_ylabel("compress time, median (ms)")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
