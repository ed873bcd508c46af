"""`make bench-compare`: this engine and the public headroom-ai==0.42.0 on the same inputs.

headroom-ai also imports as `headroom`, so it runs in its own virtualenv (.venv-compare)
through benchmarks/their_worker.py; both outputs are counted here with one tokenizer.
Its text model cannot be downloaded here, so its prose path falls back or passes through;
the table records, per file, whether it changed the payload at all.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.common import median_seconds, tool_conversation
from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.engine.pipeline import count_message_tokens
from headroom.tokens import counter_for

REPO = Path(__file__).resolve().parent.parent
THEIR_PYTHON = REPO / ".venv-compare" / "bin" / "python"


def conversation(text: str) -> list[dict[str, Any]]:
    return tool_conversation(text, follow_up="What does this output tell us?")  # as their_worker.py


def both(
    corpus: Path, manifest: dict[str, Any], repeats: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ours and headroom-ai's results per file, each payload timed by both tools (and the
    tokenizer yardstick) one right after the other, so a machine's drift hits them alike."""
    mine: dict[str, Any] = {}
    other: dict[str, Any] = {"files": {}}
    with _TheirWorker(repeats) as worker, tempfile.TemporaryDirectory() as home:
        other["version"] = worker.version
        engine = Headroom(
            HeadroomConfig(stable_history=False), store=SqlStore(f"sqlite:///{home}/c.db")
        )
        for entry in manifest["files"]:
            other["files"][entry["id"]] = worker.compress(corpus / entry["path"])
            mine[entry["id"]] = _ours_one(engine, corpus, entry, repeats)
        engine.store.close()  # background writes done before the directory goes
        other["stderr"] = worker.stderr()
    return mine, other


def _ours_one(
    engine: Headroom, corpus: Path, entry: dict[str, Any], repeats: int
) -> dict[str, Any]:
    text = (corpus / entry["path"]).read_bytes().decode("utf-8")
    messages = conversation(text)
    result = engine.compress(messages)
    settle = engine.store.flush
    median = median_seconds(partial(engine.compress, messages), repeats, settle=settle)
    cold = median_seconds(partial(_first_sight, engine, messages), repeats, settle=settle)
    # The yardstick is timed right after, so a machine's drift hits both alike.
    tokenizer = median_seconds(partial(counter_for("gpt-4o").encode_once, text), repeats)
    content = result.messages[2]["content"]
    retrievable = sum(
        1
        for n in entry["needles"]
        if n in content or any(n in (engine.retrieve(r, query=n) or "") for r in result.refs)
    )
    return {
        "content": content,
        "median_s": median,
        "cold_s": cold,
        "tokenizer_s": tokenizer,
        "retrievable": retrievable,
    }


def _first_sight(engine: Headroom, messages: list[dict[str, Any]]) -> None:
    """A compress() of a payload never seen: token counts are not cached either, so the
    input is counted once as part of it."""
    counter_for.cache_clear()
    engine.compress(messages)


class _TheirWorker:
    """headroom-ai in its own virtualenv (it also imports as `headroom`), one file at a time."""

    def __init__(self, repeats: int) -> None:
        if not THEIR_PYTHON.exists():
            raise SystemExit(
                "Run `make bench-compare` (it creates .venv-compare with headroom-ai==0.42.0)."
            )
        self._log = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen(
            [str(THEIR_PYTHON), str(REPO / "benchmarks" / "their_worker.py"), str(repeats)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd="/",
        )
        self.version = str(self._answer()["version"])

    def compress(self, path: Path) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{path}\n")
        self._process.stdin.flush()
        return self._answer()

    def stderr(self) -> str:
        self._log.seek(0)
        return self._log.read()

    def _answer(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise SystemExit(f"headroom-ai worker failed:\n{self.stderr()[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def __enter__(self) -> _TheirWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)
        self._log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    manifest = json.loads((corpus / "manifest.json").read_text())
    mine, other = both(corpus, manifest, args.repeats)
    counter = counter_for("gpt-4o")
    rows = []
    for entry in manifest["files"]:
        text = (corpus / entry["path"]).read_bytes().decode("utf-8")
        before = count_message_tokens(conversation(text), counter)
        a, b = mine[entry["id"]], other["files"][entry["id"]]
        row: dict[str, Any] = {
            "id": entry["id"],
            "kind": entry["kind"],
            "tokens_before": before,
            "ours_after": count_message_tokens(_with(text, a["content"]), counter),
            "ours_visible": sum(n in a["content"] for n in entry["needles"]),
            "ours_retrievable": a["retrievable"],
            "needles": len(entry["needles"]),
            "ours_ms": round(1000 * a["median_s"], 2),
            "ours_cold_ms": round(1000 * a["cold_s"], 2),
            "bytes": len(text.encode("utf-8")),
            "tokenizer_ms": round(1000 * a["tokenizer_s"], 2),
        }
        if "error" in b:
            row.update(
                {
                    "theirs_after": None,
                    "theirs_visible": None,
                    "theirs_ms": None,
                    "theirs_ran": b["error"],
                }
            )
        else:
            content = b["content"] if isinstance(b["content"], str) else json.dumps(b["content"])
            row.update(
                {
                    "theirs_after": count_message_tokens(_with(text, content), counter),
                    "theirs_visible": sum(n in content for n in entry["needles"]),
                    "theirs_ms": round(1000 * b["median_s"], 2),
                    "theirs_ran": "compressed" if content != text else "passed through",
                }
            )
        rows.append(row)
    markdown = _table(rows, other["version"])
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "theirs_version": other["version"],
                "theirs_log": other["stderr"][-4000:],
            },
            indent=2,
        )
    )
    (args.out / "compare.md").write_text(markdown + "\n")


def _with(text: str, content: str) -> list[dict[str, Any]]:
    messages = conversation(text)
    messages[2]["content"] = content
    return messages


def _table(rows: list[dict[str, Any]], version: str) -> str:
    lines = [
        f"| file | kind | before | ours after | headroom-ai {version} after | ours/theirs | needles ours (retrievable) | needles theirs | ours ms | ours first-sight ms | theirs ms | theirs |",
        "|" + "---|" * 12,
    ]
    for r in rows:
        ratio = f"{r['ours_after'] / r['theirs_after']:.2f}" if r["theirs_after"] else "-"
        lines.append(
            f"| {r['id']} | {r['kind']} | {r['tokens_before']} | {r['ours_after']} | {r['theirs_after']} | {ratio} | "
            f"{r['ours_visible']}/{r['needles']} ({r['ours_retrievable']}) | {r['theirs_visible']}/{r['needles']} | "
            f"{r['ours_ms']} | {r['ours_cold_ms']} | {r['theirs_ms']} | {r['theirs_ran']} |"
        )
    valid = [r for r in rows if r["theirs_after"]]
    before = sum(r["tokens_before"] for r in valid)
    ours_after = sum(r["ours_after"] for r in valid)
    theirs_after = sum(r["theirs_after"] for r in valid)
    lines += [
        "",
        f"Totals over {len(valid)} files: before {before}, ours {ours_after} ({100 * (1 - ours_after / before):.1f}% saved), "
        f"headroom-ai {theirs_after} ({100 * (1 - theirs_after / before):.1f}% saved); ours/theirs tokens after = "
        f"{ours_after / theirs_after:.2f}; median time ours {statistics.median(r['ours_ms'] for r in valid):.1f} ms, "
        f"theirs {statistics.median(r['theirs_ms'] for r in valid):.1f} ms.",
        "",
        *_speed_summary(rows),
    ]
    return "\n".join(lines)


def _speed_summary(rows: list[dict[str, Any]]) -> list[str]:
    """The speed figures of the issue tracker, measured in this run (decision cache off):
    with the input's token count cached (a payload re-sent) and at first sight."""
    return [
        _speed_line(rows, "ours_ms", "Speed, token counts cached (as re-sent history)"),
        _speed_line(rows, "ours_cold_ms", "Speed, first sight (the input counted once inside)"),
    ]


def _speed_line(rows: list[dict[str, Any]], column: str, title: str) -> str:
    big = [r for r in rows if r["bytes"] >= 100_000]
    per_tokenizer = sorted(((r[column] / r["tokenizer_ms"], r["id"]) for r in big), reverse=True)
    timed = [r for r in rows if r.get("theirs_ms")]
    per_payload = [r[column] / r["theirs_ms"] for r in timed]
    ours_median = statistics.median(r[column] for r in timed)
    theirs_median = statistics.median(r["theirs_ms"] for r in timed)
    worst = ", ".join(f"{name} {ratio:.1f}x" for ratio, name in per_tokenizer[:5])
    return (
        f"{title}: payloads of 100 KB or more take {statistics.median(x for x, _ in per_tokenizer):.1f}x "
        f"(median) and at most {per_tokenizer[0][0]:.1f}x one exact o200k tokenizer pass over "
        f"them (slowest: {worst}); median per-payload time ours / headroom-ai = "
        f"{ours_median / theirs_median:.1f}x ({ours_median:.1f} ms / {theirs_median:.1f} ms), "
        f"median of the per-payload ratios {statistics.median(per_payload):.1f}x, worst {max(per_payload):.1f}x."
    )


if __name__ == "__main__":
    main()
