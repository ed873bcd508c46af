"""Which rows of a table to keep whole, shared by the CSV and JSON Lines compressors.

Rows named by the question and rows the caller must keep come first, then the first and
last rows, then rows holding rare values (a category seen once, a status word in a column
of versions, a numeric outlier, an error field), then the rest by relevance to the
question, one of each shape before repeats, spread evenly over the table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from headroom.compressors._log_lines import LINE_CLASSES
from headroom.compressors._ranking import (
    anomalous_in_columns,
    anomalous_rows,
    relevance,
    shape_keys,
    spread_order,
)

__all__ = ["SEVERE_RE", "rare_rows", "row_order", "typed_cell", "typed_column", "whole_rows"]

# Severity words as a whole value (a log level, a test action, a status): by shape, so any
# column holding them counts, whatever its name (`level`, `levelname`, `error_severity`).
SEVERE_RE = re.compile(
    r"(?i)(error|err|fatal|panic|critical|crit|alert|emerg(ency)?|severe|fail(ed|ure)?|"
    r"warn(ing)?|exception|abort(ed)?|timeout|denied)"
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_ASCII_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
# Cells joined by line breaks, each empty or a number in ASCII digits, with no blank or quote.
_PLAIN_NUMBERS = re.compile(rf"(?:{_ASCII_NUMBER})?(?:\n(?:{_ASCII_NUMBER})?)*")
_CATEGORY_SHARE = 4  # a column is a category when it has at most rows / 4 distinct values
_DIGIT_SHARE = 0.8  # cells of a column of numbers, versions or ids that hold a digit
_DIGIT = re.compile(r"\d")


def typed_cell(cell: str) -> Any:
    """A CSV cell as a value for the anomaly checks: None, a number, or its text."""
    value = cell.strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1].replace('""', '"')
    if not value:
        return None
    first = value[0]  # a number opens with a minus or a digit: the quick no for words
    if (first == "-" or first.isdecimal()) and _NUMBER.fullmatch(value):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    return value


def typed_column(cells: Sequence[str]) -> list[Any]:
    """`typed_cell` of each cell of a column: in one pass when every cell is empty or a
    plain number (each then is what `typed_cell` reads), else once per distinct cell when
    they repeat."""
    joined = "\n".join(cells)
    if joined.count("\n") == len(cells) - 1 and _PLAIN_NUMBERS.fullmatch(joined):
        if joined.count(".") == len(cells) - cells.count(""):  # a point in each number
            return [float(cell) if cell else None for cell in cells]
        return [
            (int(cell) if cell.lstrip("-").isdigit() else float(cell)) if cell else None
            for cell in cells
        ]
    distinct = set(cells)
    if len(distinct) * 2 > len(cells):
        return list(map(typed_cell, cells))
    known = {cell: typed_cell(cell) for cell in distinct}  # once per value
    return list(map(known.__getitem__, cells))


def rare_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Rows holding rare values, most rare first: a value seen at most once in a hundred
    rows of a category column (and five times less than its most common value), a severity
    word in a category column, a word among numbers (`_words_among_numbers`), an error line
    in a free-text column, and the rows `anomalous_rows` finds (numeric outliers, error
    fields)."""
    count = len(rows)
    width = len(columns)
    score: Counter[int] = Counter()
    by_column: list[Sequence[Any]]
    if all(len(row) == width for row in rows):
        by_column = list(zip(*rows, strict=True)) if rows else [()] * width
        anomalous = anomalous_in_columns(columns, by_column)
    else:
        anomalous = anomalous_rows(columns, rows)
        by_column = [[row[c] if c < len(row) else None for row in rows] for c in range(width)]
    for index in anomalous:
        score[index] += 2
    if count < 8:
        return sorted(score, key=lambda i: (-score[i], i))
    limit = max(1, count // 100)
    for values in by_column:
        types = set(map(type, values))
        plain = types <= _PLAIN
        hashable = values if plain else [_plain(v) for v in values]
        counts = Counter(hashable)
        if len(counts) > max(2, count // _CATEGORY_SHARE):
            if plain and str not in types:
                continue  # numbers and nulls: no error line, no word among them
            for index in _error_texts(values):  # a log line in a cell (`{"log": ...}`)
                score[index] += 2
            counts = _words_among_numbers(counts)  # no category: its odd words may be one
        added = _rarity(counts, limit)
        if not added:
            continue
        for index, value in enumerate(hashable):
            if value in added:
                score[index] += added[value]
    return sorted(score, key=lambda i: (-score[i], i))


_PLAIN = {str, int, float, bool, type(None)}


def _error_texts(values: Sequence[Any]) -> list[int]:
    """The cells of a free-text column that read as an error line by shape (`ERROR`,
    `Traceback`, `ValueError:`, as the log compressor reads lines)."""
    erring: dict[str, bool] = {}  # by value: a column's cells repeat
    found: list[int] = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        error = erring.get(value)
        if error is None:
            error = erring[value] = "error" in LINE_CLASSES.names_in(value)
        if error:
            found.append(index)
    return found


def _rarity(counts: Counter[Any], limit: int) -> dict[Any, int]:
    """What each distinct value of a column adds to its rows' score (equal values add the
    same): a severity word 3, a value seen at most `limit` times and five times less than
    the most common one 1."""
    if len(counts) < 2:
        return {}
    common = counts.most_common(1)[0][1]
    added: dict[Any, int] = {}
    for value, seen in counts.items():
        if isinstance(value, str) and SEVERE_RE.fullmatch(value.strip()):
            added[value] = 3
        elif seen <= limit and seen * 5 <= common:
            added[value] = 1
    return added


def _words_among_numbers(counts: Counter[Any]) -> Counter[Any]:
    """In a column of numbers, versions or ids (a digit in most cells), the cells without
    one (`all-failed`, `not-served` among `v1.4.0`s), counted, with the digit cells as one
    value standing for them all: a status word where a value was expected is rare by shape.
    An empty Counter for any other column."""
    total = sum(counts.values())
    least = _DIGIT_SHARE * total
    digits = total - counts.get(None, 0)  # at most: each word found takes its count off
    words: Counter[Any] = Counter()
    for value, seen in counts.items():
        if isinstance(value, str) and not _DIGIT.search(value):
            words[value] = seen
            digits -= seen
            if digits < least:
                return Counter()  # too many words already (a column of text: the quick no)
    if not words:
        return Counter()
    words[_NUMBERS] = digits
    return words


_NUMBERS = object()  # the digit cells of a column, counted as one value


def _plain(value: Any) -> Any:
    """`value` if it is a plain hashable value, else its text."""
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


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
    block = max(1, block)
    taken = seen | postponed
    # The runs of `block` rows in spread order, the rows of a run in theirs.
    rest = [
        index
        for run in spread_order(-(-count // block))
        for index in range(run * block, min(run * block + block, count))
        if index not in taken
    ]
    if terms:  # the most relevant first (a stable sort: the spread order among equals)
        rest.sort(key=relevance(texts, terms).__getitem__, reverse=True)
    shapes = shape_keys(texts)
    shown = {shapes[i] for i in order}
    repeats: list[int] = []
    for index in rest:
        if shapes[index] in shown:
            repeats.append(index)
        else:
            shown.add(shapes[index])
            order.append(index)
    order.extend(repeats)
    if postponed:
        spread = {index: rank for rank, index in enumerate(spread_order(count))}
        order.extend(sorted(postponed, key=lambda i: spread[i]))
    return order


def whole_rows(
    order: Iterable[int],
    forced: set[int],
    extra_of: Callable[[int], int],
    spent: int,
    budget: int,
) -> set[int]:
    """The rows shown whole: the forced ones, then those of `order` while the extra each
    costs over its key cell (`extra_of`) fits in `budget`, `spent` being paid already."""
    whole: set[int] = set()
    for index in [*sorted(forced), *order]:
        if index in whole:
            continue
        extra = extra_of(index)
        if index in forced or spent + extra <= budget:
            whole.add(index)
            spent += extra
    return whole
