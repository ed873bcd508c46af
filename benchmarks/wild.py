"""`make bench-wild`: the engine measured on real payloads of this machine, built at run time.

Payloads come from `benchmarks.wild_sources`, `benchmarks.wild_programs` and
`benchmarks.wild_shapes` (installed packages' files, real commands, real test runs with
failures, shapes such as a blame, a hex dump or several files' head), needles from
`benchmarks.wild_needles` (picked in code by a seeded RNG). Each payload is measured as
`benchmarks.fidelity` measures the corpus (visible, named, recoverable, saved, JSON parses)
and audited as `make test` audits it (`tests.audit`: integrity violations, wrong counts,
marker tokens). Writes `bench-results/wild.md` and `wild.json`.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.audit import audit

from benchmarks import wild_programs, wild_shapes, wild_sources
from benchmarks.fidelity import Payload, Row, Tally, fresh_store, measure_payload
from benchmarks.wild_needles import pick_needles

__all__ = ["main"]

DEFAULT_SEED = 26


@dataclass
class WildRow:
    """A payload's needle figures and its audit."""

    row: Row
    chars: int
    violations: int
    count_errors: int
    marker_tokens: int
    samples: list[str]


def measure(seed: int) -> list[WildRow]:
    """Build the payloads and measure each in one fresh store."""
    fresh_store()
    import headroom

    def count(text: str) -> int:
        return headroom.count_tokens(text, model="gpt-4o")

    built = wild_sources.build_sources(
        seed, (*wild_sources.BUILDERS, wild_programs.runs, wild_shapes.shapes)
    )
    rows = []
    for source in built:
        needles = pick_needles(source.name, source.kind, source.text, seed)
        row = measure_payload(Payload(source.name, source.kind, source.text, needles))
        found = audit(source.text, row.output, source.kind, count)
        bad = found.violations + found.count_errors
        rows.append(
            WildRow(
                row,
                len(source.text),
                len(found.violations),
                len(found.count_errors),
                found.marker_tokens,
                [line[:160] for line in bad[:2]],
            )
        )
    return rows


def _saved(before: int, after: int) -> str:
    return f"{100 * (1 - after / max(before, 1)):.1f}%"


def _table(rows: list[WildRow]) -> list[str]:
    lines = [
        "| payload | kind | compressor | tokens | saved | visible | named | recoverable | "
        "integrity | marker share |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for w in rows:
        r = w.row
        share = f"{100 * w.marker_tokens / max(r.tokens_after, 1):.1f}%"
        bad = f"{w.violations} lines" + (f", {w.count_errors} counts" if w.count_errors else "")
        lines.append(
            f"| `{r.name}` | {r.kind} | {', '.join(r.compressors) or '-'} | {r.tokens_before} | "
            f"{_saved(r.tokens_before, r.tokens_after)} | {r.visible}/{r.needles} | "
            f"{r.named}/{r.needles} | {r.recoverable}/{r.needles} | {bad} | {share} |"
        )
    return lines


def report(rows: list[WildRow], seed: int, seconds: float) -> str:
    tally = Tally()
    for w in rows:
        tally.add(w.row)
    n = max(tally.needles, 1)
    markers = sum(w.marker_tokens for w in rows)
    kinds = ", ".join(f"{k} {_saved(*v)}" for k, v in sorted(tally.by_kind.items()))
    out = [
        f"## bench-wild (seed {seed}, {len(rows)} payloads built on this machine, {seconds:.0f} s)",
        "",
        *_table(rows),
        "",
        f"saved {_saved(tally.tokens_before, tally.tokens_after)}; "
        f"in the question-named runs {_saved(tally.named_before, tally.named_after)}",
        f"per kind saved: {kinds}",
        f"visible {tally.visible}/{tally.needles} ({100 * tally.visible / n:.1f}%); "
        f"named {tally.named}/{tally.needles} ({100 * tally.named / n:.1f}%); "
        f"recoverable {tally.recoverable}/{tally.needles} ({100 * tally.recoverable / n:.1f}%); "
        f"JSON outputs that do not parse: {tally.bad_json}",
        f"integrity: {sum(w.violations for w in rows)} output lines break the rule, "
        f"{sum(w.count_errors for w in rows)} wrong counts; marker tokens "
        f"{100 * markers / max(tally.tokens_after, 1):.1f}% of output",
    ]
    samples = [(w.row.name, s) for w in rows for s in w.samples]
    if samples:
        out += ["", "Integrity samples:", *(f"- `{name}`: `{s}`" for name, s in samples[:12])]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    start = time.perf_counter()
    rows = measure(args.seed)
    text = report(rows, args.seed, time.perf_counter() - start)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "wild.md").write_text(text + "\n")
    payloads = [
        {**{k: v for k, v in asdict(w.row).items() if k != "output"}, **asdict(w)} for w in rows
    ]
    for entry in payloads:
        del entry["row"]
    (args.out / "wild.json").write_text(json.dumps({"seed": args.seed, "rows": payloads}, indent=1))


if __name__ == "__main__":
    main()
