"""CLI helpers: many files at once (progress bar, summary table) and `headroom doctor`."""

from __future__ import annotations

import glob
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from headroom._version import install_hint
from headroom.ccr.sql_connect import redact_url
from headroom.compressed import Compressed
from headroom.engine.pipeline import Headroom
from headroom.tokens import DEFAULT_MODEL

__all__ = ["Style", "compress_many", "doctor", "expand_paths"]

_LANGUAGES = ("python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp")


class Style:
    """ANSI colour only on a terminal, and never with NO_COLOR set."""

    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty() and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def names_many(target: str) -> bool:
    """Whether `target` is a glob or a directory: its files are reported as a set."""
    return any(ch in target for ch in "*?[") or Path(target).is_dir()


def expand_paths(target: str) -> list[Path]:
    """A file, every file under a directory, or the files a glob matches; sorted."""
    if any(ch in target for ch in "*?["):
        return sorted(Path(p) for p in glob.glob(target, recursive=True) if Path(p).is_file())
    path = Path(target)
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    return [path]


def compress_many(
    engine: Headroom,
    paths: list[Path],
    *,
    query: str,
    model: str,
    out_dir: Path | None,
    as_json: bool,
) -> int:
    """Compress each file; progress on stderr (terminal only), a summary table or JSON on stdout."""
    rows: list[dict[str, Any]] = []
    progress = sys.stderr.isatty()
    for index, path in enumerate(paths, 1):
        if progress:
            bar = "#" * (30 * index // len(paths))
            sys.stderr.write(f"\r[{bar:<30}] {index}/{len(paths)} {path.name[:40]:<40}")
            sys.stderr.flush()
        try:
            text = path.read_bytes().decode("utf-8", "surrogateescape")
        except OSError as exc:
            rows.append({"file": str(path), "error": exc.strerror or str(exc)})
            continue
        result = engine.compress_text(text, model=model, query=query, filename=path.name)
        rows.append(_row(path, result))
        if out_dir is not None:
            target = out_dir / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(result.text.encode("utf-8", "surrogateescape"))
    if progress:
        sys.stderr.write("\n")
    before = sum(r.get("tokens_before", 0) for r in rows)
    after = sum(r.get("tokens_after", 0) for r in rows)
    if as_json:
        print(json.dumps({"files": rows, "tokens_before": before, "tokens_after": after}))
    else:
        _table(rows, before, after)
    return 1 if any("error" in r for r in rows) else 0


def _row(path: Path, result: Compressed) -> dict[str, Any]:
    return {"file": str(path), **result.to_dict()}


def _table(rows: list[dict[str, Any]], before: int, after: int) -> None:
    style = Style(sys.stdout)
    width = max([len(r["file"]) for r in rows] + [4])
    print(style(f"{'file':<{width}}  {'kind':<7} {'before':>9} {'after':>9} {'saved':>7}", "1"))
    for r in rows:
        if "error" in r:
            print(f"{r['file']:<{width}}  " + style(f"error: {r['error']}", "31"))
            continue
        saved = 100 * (1 - r["tokens_after"] / r["tokens_before"]) if r["tokens_before"] else 0.0
        print(
            f"{r['file']:<{width}}  {r['kind']:<7} {r['tokens_before']:>9} {r['tokens_after']:>9} "
            + style(f"{saved:>6.1f}%", "32" if saved > 0 else "2")
        )
    total = 100 * (1 - after / before) if before else 0.0
    print(style(f"{'total':<{width}}  {'':<7} {before:>9} {after:>9} {total:>6.1f}%", "1"))


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


def _checks(engine: Headroom, port: int) -> list[Check]:
    return [
        _check_store(engine),
        _check_tokenizer(),
        _check_grammars(),
        _check_model(engine),
        _check_proxy(port),
    ]


def _check_store(engine: Headroom) -> Check:
    try:
        store = engine.store
        store.put("doctor", "00000000d0c70000", "probe", kind="text")
        ok = store.get("doctor", "00000000d0c70000") == "probe"
    except Exception as exc:
        return Check(
            "store",
            "fail",
            f"{redact_url(engine.config.resolved_store_url())}: {exc}",
            "check HEADROOM_HOME / HEADROOM_STORE_URL and that the location is writable",
        )
    if not ok:
        return Check(
            "store", "fail", "a stored probe did not read back", "check the store's database"
        )
    return Check("store", "ok", redact_url(engine.config.resolved_store_url()))


def _check_tokenizer() -> Check:
    from headroom.tokens import counter_for

    counter = counter_for(DEFAULT_MODEL)
    if counter.exact:
        return Check("tokenizer", "ok", f"tiktoken {counter.encoding}, offline")
    return Check(
        "tokenizer",
        "warn",
        "no tiktoken encoding available offline: counts are estimates",
        f"{install_hint('tokenizers')}, or set TIKTOKEN_CACHE_DIR",
    )


def _check_grammars() -> Check:
    from headroom.compressors._grammars import parser_for

    missing = [lang for lang in _LANGUAGES if parser_for(lang) is None]
    if not missing:
        return Check("grammars", "ok", ", ".join(_LANGUAGES))
    wheels = " ".join(sorted({f"tree-sitter-{'typescript' if m == 'tsx' else m}" for m in missing}))
    return Check("grammars", "fail", f"missing: {', '.join(missing)}", f"pip install {wheels}")


def _check_model(engine: Headroom) -> Check:
    path = engine.config.kompress_model_path
    if not path:
        return Check("prose model", "ok", "not configured (optional; the model-free Kompress runs)")
    if not Path(path).is_dir():
        return Check(
            "prose model",
            "fail",
            f"{path} is not a folder",
            "set HEADROOM_KOMPRESS_MODEL_PATH to a checkpoint folder",
        )
    try:
        from headroom.compressors._token_scorer import load_scorer

        load_scorer(path)
    except ImportError:
        return Check(
            "prose model",
            "fail",
            "transformers / torch missing",
            f"pip install torch==2.13.0 (the CPU build), then {install_hint('ml')}",
        )
    except Exception as exc:
        return Check(
            "prose model", "fail", f"{path}: {exc}", "point it at a token-classification checkpoint"
        )
    return Check("prose model", "ok", path)


def _check_proxy(port: int) -> Check:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
            if response.status == 200:
                return Check("proxy", "ok", f"running on 127.0.0.1:{port}")
    except (urllib.error.URLError, OSError):
        pass
    return Check(
        "proxy", "warn", f"not running on 127.0.0.1:{port}", f"headroom proxy --port {port}"
    )


def doctor(engine: Headroom, *, port: int, as_json: bool) -> int:
    checks = _checks(engine, port)
    if as_json:
        print(json.dumps([vars(c) for c in checks]))
    else:
        style = Style(sys.stdout)
        colours = {"ok": "32", "warn": "33", "fail": "31"}
        for check in checks:
            print(
                f"{style(f'{check.status:>4}', colours[check.status])}  {check.name:<12} {check.detail}"
            )
            if check.fix and check.status != "ok":
                print(f"      {'':<12} fix: {check.fix}")
    return 1 if any(c.status == "fail" for c in checks) else 0
