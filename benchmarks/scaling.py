"""`make scaling`: compress time and peak memory for 10 KB, 100 KB, 1 MB and 10 MB payloads of
each kind, built by repeating (and varying) corpus files, or generated with a distinct value
in every block (a lock file: its names and checksums); cost should grow linearly."""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
SOURCES = {
    "json": "json/github-issues-page.json",
    "log": "log/Apache_2k.log",
    "search": "search/grep-serde_json-fn.txt",
    "diff": "diff/headroom-53be64ca.diff",
    "code": "code/cpython-asyncio-base_events.py",
    "prose": "prose/git-relnotes-2.20.0.txt",
    "csv": "csv/psql_pg_settings.csv",
    "jsonl": "jsonl/postgres_jsonlog_pgbench.jsonl",
    "listing": "listing/dpkg_l_lib_a_f.txt",
    "test": "test/pytest_statsmodels_werror.txt",
    "diagnostics": "diagnostics/pyright_httpie.txt",
    "trace": "trace/babel_ts_syntax_errors.txt",
}
# Kinds the corpus lacks, generated: repeated verbatim, their blocks would share every value,
# and a cost that grows with the number of distinct values would not show.
GENERATED = ("config",)


def lock_file(size: int) -> str:
    """A Cargo.lock of about `size` bytes: `[[package]]` tables, each with its own name,
    version and checksum, a few sharing their dependencies."""
    tables: list[str] = ["version = 3\n"]
    total, index = 0, 0
    while total < size:
        checksum = hashlib.sha256(str(index).encode()).hexdigest()
        table = (
            f'\n[[package]]\nname = "crate-{index}"\nversion = "1.{index % 40}.{index % 7}"\n'
            'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
            f'checksum = "{checksum}"\ndependencies = [\n "dep-{index % 97}",\n]\n'
        )
        tables.append(table)
        total += len(table)
        index += 1
    return "".join(tables)


def payload(kind: str, source: str, size: int) -> tuple[str, str | None]:
    """About `size` bytes of `kind`, each repetition varied so nothing is a plain duplicate."""
    if kind == "json":
        records = json.loads(source)
        out: list[dict[str, object]] = []
        while len(json.dumps(out, indent=2)) < size:
            copy = [dict(r, number=len(out) + i, id=len(out) + i) for i, r in enumerate(records)]
            out.extend(copy)
            if len(out) > 200_000:
                break
        text = json.dumps(out, indent=2)
        while len(text) > size * 1.5 and len(out) > 1:
            out = out[: max(1, len(out) * 2 // 3)]
            text = json.dumps(out, indent=2)
        return text, None
    pieces, total, round_ = [], 0, 0
    while total < size:
        chunk = source if kind != "code" else source.replace("def ", f"def r{round_}_")
        chunk = (
            chunk
            if kind in ("code", "json")
            else chunk.replace(" ", " ", 1) + f"\n# repeat {round_}\n"
            if kind == "prose"
            else chunk
        )
        pieces.append(chunk if kind != "log" else chunk.replace("2005", str(2005 + round_ % 20)))
        total += len(chunk)
        round_ += 1
    text = "".join(pieces)[:size]
    return text[: text.rfind("\n") + 1] or text, ("scaled.py" if kind == "code" else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(
            HeadroomConfig(stable_history=False), store=SqlStore(f"sqlite:///{home}/s.db")
        )
        cases = [*SOURCES.items(), *((kind, None) for kind in GENERATED)]
        for kind, path in cases:
            source = "" if path is None else (args.corpus / path).read_bytes().decode("utf-8")
            for size in SIZES:
                text, filename = (
                    (lock_file(size), "Cargo.lock") if path is None else payload(kind, source, size)
                )
                engine.compress_text(text[:10_000], filename=filename)  # warm-up
                start = time.perf_counter()
                result = engine.compress_text(text, filename=filename)
                seconds = time.perf_counter() - start
                tracemalloc.start()
                engine.compress_text(text, filename=filename)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                rows.append(
                    {
                        "kind": kind,
                        "bytes": len(text.encode()),
                        "seconds": round(seconds, 4),
                        "mb_per_s": round(len(text.encode()) / 1e6 / seconds, 2),
                        "peak_mb": round(peak / 1e6, 1),
                        "tokens_before": result.tokens_before,
                        "tokens_after": result.tokens_after,
                    }
                )
                print(
                    f"{kind:<11} {len(text.encode()):>10} B  {seconds:8.3f} s  {rows[-1]['mb_per_s']:7.2f} MB/s  "
                    f"peak {rows[-1]['peak_mb']:7.1f} MB  {result.tokens_before:>9} -> {result.tokens_after:>7} tokens",
                    flush=True,
                )
        engine.store.close()  # background writes done before the directory goes
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scaling.json").write_text(json.dumps(rows, indent=2))
    lines = [
        "| kind | bytes | seconds | MB/s | peak MB | tokens before | after |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['kind']} | {r['bytes']} | {r['seconds']} | {r['mb_per_s']} | {r['peak_mb']} | {r['tokens_before']} | "
        f"{r['tokens_after']} |"
        for r in rows
    ]
    (args.out / "scaling.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
