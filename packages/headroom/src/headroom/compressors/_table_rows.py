"""Which rows of a table to keep whole, shared by the CSV and JSON Lines compressors.

Rows named by the question and rows the caller must keep come first, then the first and
last rows, then rows holding rare values (a category seen once, a numeric outlier, an error
field), then the rest by relevance to the question, one of each shape before repeats,
spread evenly over the table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from headroom.compressors._ranking import anomalous_rows, relevance, signatures, spread_order

__all__ = ["SEVERE_RE", "rare_rows", "row_order", "typed_cell"]

# Severity words as a whole value (a log level, a test action, a status): by shape, so any
# column holding them counts, whatever its name (`level`, `levelname`, `error_severity`).
SEVERE_RE = re.compile(
    r"(?i)(error|err|fatal|panic|critical|crit|alert|emerg(ency)?|severe|fail(ed|ure)?|"
    r"warn(ing)?|exception|abort(ed)?|timeout|denied)"
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_CATEGORY_SHARE = 4  # a column is a category when it has at most rows / 4 distinct values


def typed_cell(cell: str) -> Any:
    """A CSV cell as a value for the anomaly checks: None, a number, or its text."""
    value = cell.strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1].replace('""', '"')
    if not value:
        return None
    if _NUMBER.fullmatch(value):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    return value


def rare_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Rows holding rare values, most rare first: a value seen at most once in a hundred
    rows of a category column (and five times less than its most common value), a severity word in a category column, and the rows
    `anomalous_rows` finds (numeric outliers, error fields)."""
    count = len(rows)
    score: Counter[int] = Counter()
    for index in anomalous_rows(columns, rows):
        score[index] += 2
    if count < 8:
        return sorted(score, key=lambda i: (-score[i], i))
    limit = max(1, count // 100)
    for column in range(len(columns)):
        values = [row[column] if column < len(row) else None for row in rows]
        hashable = [
            v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for v in values
        ]
        counts = Counter(hashable)
        if len(counts) < 2 or len(counts) > max(2, count // _CATEGORY_SHARE):
            continue
        common = counts.most_common(1)[0][1]
        for index, value in enumerate(hashable):
            if isinstance(value, str) and SEVERE_RE.fullmatch(value.strip()):
                score[index] += 3
            elif counts[value] <= limit and counts[value] * 5 <= common:
                score[index] += 1
    return sorted(score, key=lambda i: (-score[i], i))


def row_order(
    texts: Sequence[str],
    first: Iterable[int],
    terms: Sequence[str],
    later: Iterable[int] = (),
    block: int = 1,
) -> list[int]:
    """Every index of `texts`, in the order rows should be kept: `first` (in its order), the
    first and last rows, then by relevance to `terms`, a row of each shape before repeats,
    evenly spread by runs of `block` rows (runs: each gap costs a marker); the indices of
    `later` go last."""
    count = len(texts)
    order: list[int] = []
    seen: set[int] = set()
    for index in [*first, 0, count - 1]:
        if 0 <= index < count and index not in seen:
            seen.add(index)
            order.append(index)
    postponed = set(later) - seen
    scores = relevance(texts, terms) if terms else [0.0] * count
    block = max(1, block)
    spread = {index: rank for rank, index in enumerate(spread_order(count))}
    runs = {index: rank for rank, index in enumerate(spread_order(-(-count // block)))}
    rest = sorted(
        (i for i in range(count) if i not in seen and i not in postponed),
        key=lambda i: (-scores[i], runs[i // block], i),
    )
    shapes = signatures(texts)
    shown = {shapes[i] for i in order}
    repeats: list[int] = []
    for index in rest:
        if shapes[index] in shown:
            repeats.append(index)
        else:
            shown.add(shapes[index])
            order.append(index)
    order.extend(repeats)
    order.extend(sorted(postponed, key=lambda i: spread[i]))
    return order
