"""Needles for `make bench-wild`, picked in code from each payload by a seeded RNG.

Per payload, up to three distinct needles, each a substring of one original line:

- one by the payload's kind: a function or type signature in source code, a key of a config
  file (`key: value`, `key = value`, `<element>text</element>`), a path (or package name)
  of a listing, a heading of docs, a changed line of a diff, a row's cell of a CSV, a
  value of a JSON Lines record, a line of search results;
- an error line, chosen by shape (a severity word, `Caused by`, `Traceback`, `FAILED`,
  `assert`), when the payload has one, else a second pick of the kind's rule;
- a rare token: a word of 7+ characters (or with digits) that occurs once in the payload.

Lines are cut to `_MAX_NEEDLE` characters at a word boundary so a needle stays quotable.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable

__all__ = ["pick_needles"]

_MAX_NEEDLE = 80
_MIN_NEEDLE = 6
_ERROR = re.compile(
    r"\b(error|errors|warning|fatal|failed|failure|exception|caused by|traceback|assert\w*|"
    r"not ok|panic|denied|no such file|cannot|could not|unable)\b",
    re.I,
)
_SIGNATURE = re.compile(
    r"^\s*((async\s+)?def \w+\(|class \w+|(export\s+)?(declare\s+)?(async\s+)?function\*?\s+\w+"
    r"|(export\s+)?(declare\s+)?(interface|type|enum|namespace)\s+\w+|"
    r"(static\s+|extern\s+|inline\s+|const\s+|unsigned\s+|struct\s+)*[A-Za-z_][\w:<>*&\s]*\b\w+\s*\([^;]*\)\s*[;{]?\s*$"
    r"|#define \w+|\w+\s*\([^)]*\)\s*\{)"
)
_KEY = re.compile(r"^\s*(-\s+)?[\w.\-\"']+\s*(:|=)\s*\S|^\s*<(\w[\w:.-]*)[^>]*>[^<]+</\3>")
_HEADING = re.compile(r"^(#{1,6} \S|[A-Z][A-Z ]{3,}$)")
_TOKEN = re.compile(r"[A-Za-z_][\w.\-/]{6,}|\w*\d\w*[A-Za-z]\w*")


def _clip(line: str) -> str:
    line = line.strip()
    if len(line) <= _MAX_NEEDLE:
        return line
    cut = line.rfind(" ", _MAX_NEEDLE // 2, _MAX_NEEDLE)
    return line[: cut if cut > 0 else _MAX_NEEDLE].rstrip()


def _usable(needle: str) -> bool:
    return len(needle) >= _MIN_NEEDLE and "[headroom:" not in needle and "\\" not in needle


def _choose(rng: random.Random, lines: list[str], keep: Callable[[str], bool]) -> str | None:
    candidates = [_clip(line) for line in lines if keep(line)]
    candidates = [c for c in candidates if _usable(c)]
    return rng.choice(candidates) if candidates else None


def _path_of(line: str) -> str:
    fields = line.split()
    paths = [f for f in fields if "/" in f]
    return paths[-1] if paths else (fields[1] if len(fields) > 1 else line.strip())


def _csv_cell(rng: random.Random, lines: list[str]) -> str | None:
    rows = [row.split(",") for row in lines[1:]]
    cells = [cell.strip('"') for row in rows for cell in row if len(cell.strip('"')) >= _MIN_NEEDLE]
    return rng.choice(cells) if cells else None


def _json_value(rng: random.Random, lines: list[str]) -> str | None:
    values: list[str] = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            values += [v for v in record.values() if isinstance(v, str) and _usable(v)]
    return _clip(rng.choice(values)) if values else None


def _by_kind(rng: random.Random, kind: str, lines: list[str]) -> str | None:
    if kind == "code":
        return _choose(rng, lines, lambda line: bool(_SIGNATURE.match(line)))
    if kind == "config":
        return _choose(rng, lines, lambda line: bool(_KEY.match(line)))
    if kind == "listing":
        rows = [line for line in lines[1:] if line.strip()]
        return _clip(_path_of(rng.choice(rows))) if rows else None
    if kind == "docs":
        return _choose(rng, lines, lambda line: bool(_HEADING.match(line)))
    if kind == "diff":
        return _choose(rng, lines, lambda line: line[:1] in "+-" and line[:3] not in ("+++", "---"))  # fmt: skip
    if kind == "csv":
        return _csv_cell(rng, lines)
    if kind == "jsonl":
        return _json_value(rng, lines)
    return _choose(rng, lines, lambda line: bool(line.strip()))


def _rare_token(rng: random.Random, text: str) -> str | None:
    counts = Counter(_TOKEN.findall(text))
    rare = sorted(t for t, n in counts.items() if n == 1 and _usable(t) and len(t) <= _MAX_NEEDLE)
    return rng.choice(rare) if rare else None


def pick_needles(name: str, kind: str, text: str, seed: int) -> list[str]:
    """Up to three needles of `text` (see the module docstring); the same for the same
    payload and seed."""
    rng = random.Random(f"{seed}:{name}")
    lines = text.splitlines()
    error = _choose(rng, lines, lambda line: bool(_ERROR.search(line)))
    if kind in ("csv", "jsonl"):
        error = None  # a table's needle is a value, not a line
    picks = [
        _by_kind(rng, kind, lines),
        error or _by_kind(rng, kind, lines),
        _rare_token(rng, text),
    ]
    needles: list[str] = []
    for pick in picks:
        if pick and pick not in needles and pick in text:
            needles.append(pick)
    return needles
