"""JSON Lines: one JSON object per line (structured logs, `go test -json`, event streams).

Lossless first, through the JSON table form of `_json_table` (the same as SmartCrusher's):
keys and values the same in every line are stated once in `same_in_all`, every other value
is a cell of its line's row, one row per output line. The output is one JSON object and
parses. Past the budget, whole rows are dropped, by shape and never by name:

- rows of error-ness are kept: a severity word as a category value (`"level":"ERROR"`,
  `"error_severity":"FATAL"`, `"Action":"fail"`), an error field, a numeric outlier (a
  non-zero exit among zeros), a rare category value;
- rows that only echo other rows go first: a row whose every distinctive text value is
  found inside another column's values (`go test -json` prints a test's `run` and `pass`
  events again as `output` text) says nothing the kept rows do not;
- then the first and last rows, and the rest by relevance and spread.

Kept rows carry their line number (`#`, from 0), the gaps are counted in `omitted`.
Lines that are not JSON objects are kept verbatim, as strings in `other_lines`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from headroom.ccr.markers import format_marker, split_lines
from headroom.compressors._json_table import Table, compact, dumps
from headroom.compressors._table_rows import rare_rows, row_order
from headroom.compressors.base import CompressContext, Compressed, token_estimator
from headroom.engine.detect import CERTAIN, ContentKind, Detection, Sample
from headroom.engine.query import lines_with, query_terms

__all__ = ["JsonLinesCompressor"]

_MIN_ROWS = 3
_LEAD_LINES = 3  # lines before the first record that leave a payload JSON Lines
_OBJECT_SHARE = 0.8  # share of the sampled lines that must be JSON objects
_SAMPLE_LINES = 200
_FIXED_TOKENS = 40
_MIN_ECHO_LENGTH = 4
_WORD = re.compile(r"[A-Za-z]{3}")
_LETTERS = re.compile(r"[A-Za-z]+")
_RUN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")
_RUN_PAIR = re.compile(r"([A-Za-z]+)([^A-Za-z]+)")
_DECODER = json.JSONDecoder()
_PLAIN = {str, int, float, bool, type(None)}


class JsonLinesCompressor:
    """JSON Lines: the JSON table form, then rows by budget."""

    kind: ContentKind = "jsonl"
    name = "jsonl"
    max_confidence = 1.0  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Most sampled lines parse as JSON objects (and the payload is not one document)."""
        lines = sample.lines[:_SAMPLE_LINES]
        if len(sample.text) > len(sample.head) and len(lines) > 1:
            lines = lines[:-1]  # the last sampled line may be cut
        # The quick no: no object among the first lines (a command's echo or a banner line
        # may come before the records).
        if len(lines) < 2 or not any(line.lstrip()[:1] == "{" for line in lines[:_LEAD_LINES]):
            return None
        objects = sum(1 for line in lines if _object(line) is not None)
        if objects < 2 or objects < len(lines) * _OBJECT_SHARE:
            return None
        if objects == len(lines) == len(sample.lines) and _one_document(sample.text):
            return None  # a single pretty-printed or one-line document: JSON's
        return Detection("jsonl", confidence=CERTAIN)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        try:
            return _compress(text, ctx)
        except RecursionError:
            return None  # deeper than Python can walk: passes through


def _object(line: str) -> dict[str, Any] | None:
    stripped = line.strip()
    if not stripped.startswith("{"):
        return None
    try:
        # `json.loads` without its checks for bytes and a byte order mark (a `{` starts it)
        # and for blank space around the value (stripped).
        value, end = _DECODER.raw_decode(stripped)
    except (ValueError, RecursionError):
        return None
    return value if end == len(stripped) and isinstance(value, dict) else None


def _one_document(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _compress(text: str, ctx: CompressContext) -> Compressed | None:
    lines = [line for line in split_lines(text) if line.strip()]
    records: list[dict[str, Any]] = []
    record_lines: list[int] = []
    other: list[int] = []
    for index, line in enumerate(lines):
        value = _object(line)
        if value is None:
            other.append(index)
        else:
            records.append(value)
            record_lines.append(index)
    if len(records) < _MIN_ROWS or len(other) > len(lines) * (1 - _OBJECT_SHARE):
        return None
    table = compact(records)
    if not isinstance(table, Table):
        return None  # not one table of records (keys vary too much): left to the JSON kind
    other_lines = [lines[i] for i in other]
    lossless = _render(table, None, None, other_lines)
    estimate = token_estimator(text, ctx.counter)
    if estimate(lossless) <= ctx.budget_tokens:
        if ctx.counter.count(lossless) >= ctx.counter.count(text):
            return None  # the table form saves nothing
        return Compressed(text=lossless, ref=None, kept=table.total, total=table.total, unit="rows")
    texts = table.row_texts
    by_length: dict[int, int] = {}  # the estimate is a rate per character
    costs = [_cost(t, estimate, by_length) + 2 for t in texts]  # the row, `#`, line break
    spent = estimate(_render(table, [], "", other_lines)) + _FIXED_TOKENS
    named = lines_with([lines[i] for i in record_lines], ctx.focus)
    severe = rare_rows(table.columns, table.rows)
    order = row_order(
        texts, [*named, *severe], sorted(query_terms(ctx.query)), later=_echo_rows(table)
    )
    kept: set[int] = set()
    for index in order:
        if index in named or spent + costs[index] <= ctx.budget_tokens:
            kept.add(index)
            spent += costs[index]
    if len(kept) == table.total:
        return None
    marker = format_marker(ctx.ref, len(kept), table.total, "rows")
    out = _render(table, sorted(kept), marker, other_lines)
    return Compressed(text=out, ref=ctx.ref, kept=len(kept), total=table.total, unit="rows")


def _cost(text: str, estimate: Callable[[str], int], by_length: dict[int, int]) -> int:
    tokens = by_length.get(len(text))
    if tokens is None:
        tokens = by_length[len(text)] = estimate(text)
    return tokens


def _echo_rows(table: Table) -> set[int]:
    """Rows whose every distinctive text value (a string with a word in a column of many
    values; stamps and numbers are not text) is found inside another column's values: they repeat what other rows say."""
    count = table.total
    columns = range(len(table.columns))
    by_column = list(zip(*table.rows, strict=True)) if table.rows and table.columns else []
    distinctive = [
        c
        for c in columns
        if _distinct(by_column[c]) > max(2, count // 10)
        and any(isinstance(value, str) for value in by_column[c])
    ]
    if not distinctive:
        return set()
    joined = {
        c: "\n".join(value for value in by_column[c] if isinstance(value, str)) for c in columns
    }
    echoed: dict[tuple[int, str], bool] = {}  # (column, value): found in another column
    runs: dict[int, tuple[set[str], set[tuple[str, str]]]] = {}
    missed = dict.fromkeys(columns, 0)  # characters scanned in vain, per column

    def found_in(value: str, words: set[str], pairs: set[tuple[str, str]], o: int) -> bool:
        # A run of letters of `value` with something on each side is a whole run of letters
        # wherever `value` is found, and so is the run of other characters after it: one
        # missing from the column rules the column out without a scan of its text. The
        # runs are gathered once scans in vain have cost a few passes over the column.
        if words and (o in runs or missed[o] > 4 * len(joined[o])):
            if o not in runs:
                found = _RUN_PAIR.findall(joined[o])
                letters = {word for word, _ in found} | set(_LETTERS.findall(joined[o]))
                runs[o] = (letters, set(found))
            if not (runs[o][0].issuperset(words) and runs[o][1].issuperset(pairs)):
                return False
        if value in joined[o]:
            return True
        missed[o] += len(joined[o])
        return False

    def echoes(c: int, value: str) -> bool:
        found = echoed.get((c, value))
        if found is None:
            chunks = _RUN.findall(value)
            inner = range(1, len(chunks) - 1)
            words = {chunks[i] for i in inner if _LETTERS.match(chunks[i])}
            pairs = {(chunks[i], chunks[i + 1]) for i in inner[:-1] if chunks[i] in words}
            found = any(found_in(value, words, pairs, o) for o in columns if o != c)
            echoed[c, value] = found
        return found

    rows: set[int] = set()
    for index, row in enumerate(table.rows):
        values = [
            (c, row[c])
            for c in distinctive
            if isinstance(row[c], str) and len(row[c]) >= _MIN_ECHO_LENGTH and _WORD.search(row[c])
        ]
        if values and all(echoes(c, value) for c, value in values):
            rows.add(index)
    return rows


def _distinct(values: Sequence[Any]) -> int:
    """How many distinct values (lists and objects by their JSON)."""
    if set(map(type, values)) <= _PLAIN:
        return len(set(values))
    return len({_key(value) for value in values})


def _key(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) or value is None else dumps(value)


def _render(
    table: Table, kept: Sequence[int] | None, marker: str | None, other_lines: list[str]
) -> str:
    """The table as one JSON object, one row per line (it parses as JSON)."""
    head = table.to_json(None if kept is None else list(kept), marker or None)
    head.pop("rows")
    omitted = head.pop("omitted", None)
    parts = [f"{dumps(key)}:{dumps(value)}" for key, value in head.items()]
    if other_lines:
        parts.append(f'"other_lines":{dumps(other_lines)}')
    # Each row's JSON is in `row_texts`; a kept row starts with its number.
    texts = table.row_texts
    if kept is None:
        body = ",\n".join(texts)
    else:
        body = ",\n".join(
            f"[{index},{texts[index][1:]}" if texts[index] != "[]" else f"[{index}]"
            for index in kept
        )
    tail = f',\n"omitted":{dumps(omitted)}' if omitted is not None else ""
    return "{" + ",".join(parts) + ',"rows":[\n' + body + "\n]" + tail + "}"
