"""The lossless form of a listing: columns that hold the same cell in every row
(`root root` owners, one permission string, one date) are stated once in a note and left
out of the rows, and the padding that lines the columns up is narrowed to one space; every
other cell of every row is kept verbatim (the last one, which runs to the end of the line,
with its own spacing).

This is a documented table form (like JSON tables): a row of the output is its original
line without the constant cells and the alignment, so every name, path and value can still
be found whole. Past the budget, what columns say of rows: a size column's extremes (the
one big file) and the short cells a row listed in short keeps beside its key.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import compress, islice
from operator import ne
from typing import cast

__all__ = [
    "blanks_in_cells",
    "constant_columns",
    "extremes",
    "is_padded",
    "note_detail",
    "rows_without_columns",
    "short_columns",
]

_SIZE = re.compile(r"(\d+(?:\.\d+)?)([kKMGTPE]?)(?:i?B)?")  # a count, or a size with its unit
_UNITS = ("", "K", "M", "G", "T", "P", "E")
_NUMERIC_SHARE = 0.9  # cells of a column that are numbers, in a column of sizes or counts
_LARGEST = 3  # rows of a numeric column's largest values, ranked with the rare ones
_VARIED = 0.2  # distinct cells of a column before the key that a row in short keeps
_SHORT_CELL = 24  # characters a short column's cells have on average, at most

_MIN_ROWS = 8
_MIN_CELL_CHARS = 2  # a constant column of one-character cells is not worth a note
_ALIGN_SAMPLE = 400  # rows looked at for blanks inside cells
_RULE_LOOKAHEAD = 5  # lines looked at for the rule under a header
_RULE_LINE = re.compile(r"\s*-{2,}(?:\s+-{2,})+\s*")
_DASHES = re.compile(r"-+")


def constant_columns(columns: Sequence[Sequence[str]], key: int) -> list[int]:
    """The columns (not the key column, not the last one, which runs to the end of the
    line) whose cell is the same in every row."""
    if not columns or len(columns[0]) < _MIN_ROWS:
        return []
    last = len(columns) - 1
    return [
        index
        for index, cells in enumerate(columns)
        if index not in (key, last)
        and len(cells[0]) >= _MIN_CELL_CHARS
        and cells.count(cells[0]) == len(cells)
    ]


_CELL = re.compile(r"\S+")
_RAGGED_SAMPLE = 50  # rows looked at for a ragged column
_LINED_UP = 0.9  # rows whose cell of a column starts (or ends) where most do


def _cell_spans(line: str, columns: int) -> list[tuple[int, int]] | None:
    """Where each of the first `columns` cells of `line` starts and ends (the last one's end
    is that of its first word), or None when it has fewer."""
    if columns < 1:
        return None
    spans = [found.span() for found in islice(_CELL.finditer(line), columns)]
    return spans if len(spans) == columns else None


def blanks_in_cells(lines: Sequence[str], row_lines: Sequence[int]) -> bool:
    """Whether the rule under a listing's header (`---  ------------`, as `sqlite3 -column`
    draws it) shows cells holding blanks (`Dave Lee` under `name`): blanks then do not
    separate the cells, and neither narrowing them nor leaving a column out is lossless."""
    rule = next((line for line in lines[:_RULE_LOOKAHEAD] if _RULE_LINE.fullmatch(line)), None)
    if rule is None:
        return False
    spans = [found.span() for found in _DASHES.finditer(rule)][:-1]  # the last runs on
    for index in row_lines[:_ALIGN_SAMPLE]:
        line = lines[index]
        if any(" " in line[start:end].strip() for start, end in spans):
            return True
    return False


def is_padded(lines: Sequence[str], row_lines: Sequence[int], columns: int) -> bool:
    """Whether cells of the rows are lined up by runs of blanks rather than one blank."""
    if not any("  " in lines[index] for index in row_lines):
        return False  # single blanks or tabs only: a quick no
    for index in row_lines:
        spans = _cell_spans(lines[index], columns)
        if spans is None:
            continue
        if any(spans[i + 1][0] - spans[i][1] > 1 for i in range(columns - 1)):
            return True
    return False


def ragged(lines: Sequence[str], row_lines: Sequence[int], columns: int) -> bool:
    """Whether a column is lined up neither at its start nor at its end, nor has as many
    blanks before it, in nearly every row: its blanks say something (`ps auxf`'s `\\_`,
    deeper for each level of the tree), so the cells are no columns to narrow or leave out."""
    sampled = [_cell_spans(lines[index], columns) for index in row_lines[:_RAGGED_SAMPLE]]
    rows = [spans for spans in sampled if spans is not None]
    if not rows:
        return False
    lined_up = _LINED_UP * len(rows)
    by_column = list(zip(*rows, strict=True))
    return any(
        _most_alike(by_column[column - 1], by_column[column]) < lined_up
        for column in range(1, columns)
    )


def _most_alike(before: Sequence[tuple[int, int]], cells: Sequence[tuple[int, int]]) -> int:
    """How many of a column's cells (their spans) start where most do, end where most do,
    or have as many blanks after the cell before them as most do: the most of the three."""
    starts = Counter(start for start, _ in cells)
    ends = Counter(end for _, end in cells)
    gaps = Counter(start - end for (_, end), (start, _) in zip(before, cells, strict=True))
    return max(max(starts.values()), max(ends.values()), max(gaps.values()))


def rows_without_columns(
    lines: Sequence[str],
    row_lines: Sequence[int],
    columns: Sequence[Sequence[str]],
    dropped: set[int],
    *,
    header: int | None,
    narrow: bool,
) -> list[str]:
    """Each row line of a listing without the cells of `dropped` (the header row keeps
    every cell): see `without_columns`. `columns`: the rows' cells column by column, as
    `str.split` cut them, the last cell without the blanks that end its line."""
    if not narrow:
        count = len(columns)
        return [
            without_columns(lines[i], count, set() if i == header else dropped) for i in row_lines
        ]
    # Narrowed, a row is its kept cells one space apart: built from the cells at hand.
    last = len(columns) - 1
    kept = [columns[c] for c in range(last) if c not in dropped] + [columns[last]]
    out = list(map(" ".join, zip(*kept, strict=True)))
    # A row that starts or ends with blanks keeps them (most rows have none).
    texts = list(map(lines.__getitem__, row_lines))
    for position in _with_blanks_at_ends(texts):
        out[position] = _narrowed(texts[position], [cells[position] for cells in kept])
    if header is not None and header in row_lines:
        position = row_lines.index(header)
        out[position] = _narrowed(lines[header], [cells[position] for cells in columns])
    return out


def _with_blanks_at_ends(texts: Sequence[str]) -> list[int]:
    """The positions of the texts that start or end with blanks."""
    unequal = map(ne, map(len, texts), map(len, map(str.strip, texts)))
    return list(compress(range(len(texts)), unequal))


def _narrowed(line: str, cells: Sequence[str]) -> str:
    """`line` as `cells` one space apart, with the blanks it starts and ends with."""
    return line[: len(line) - len(line.lstrip())] + " ".join(cells) + line[len(line.rstrip()) :]


def without_columns(line: str, columns: int, dropped: set[int]) -> str:
    """`line` (a row of `columns` cells) without the cells of `dropped`. Each kept cell
    keeps the blanks that follow it, so the rest stays aligned as it was; the last cell is
    kept as it is."""
    spans = _cell_spans(line, columns)
    if spans is None:
        return line  # fewer cells than a row has: not a row
    pieces = [line[: spans[0][0]]]
    last = columns - 1
    for index, (start, _) in enumerate(spans):
        if index in dropped:
            continue
        if index == last:
            pieces.append(line[start:])
        else:
            pieces.append(line[start : spans[index + 1][0]])
    return "".join(pieces)


def note_detail(
    dropped: Sequence[int], columns: Sequence[Sequence[str]], rows: int, narrow: bool = False
) -> str:
    """What the note says: which columns are left out and the cell each holds, and that
    the padding between cells is narrowed."""
    narrowed = "cells one space apart"
    if not dropped:
        return f"in all {rows} rows {narrowed}"
    stated = ", ".join(f"column {index + 1} is {columns[index][0]}" for index in dropped)
    left_out = f"in all {rows} rows {stated}, left out of the rows below"
    return f"{left_out}, {narrowed}" if narrow else left_out


def short_columns(columns: Sequence[Sequence[str]], key: int) -> list[int]:
    """The key column and the columns of short single-word cells (a version, an
    architecture, a size), in order: what a row listed in short keeps. Before the key only
    those whose cells vary (a size, not a status or the permissions)."""
    out = []
    for column, cells in enumerate(columns):
        if column == key:
            out.append(column)
            continue
        if column < key and len(set(cells)) < _VARIED * len(cells):
            continue
        if sum(map(len, cells)) <= _SHORT_CELL * len(cells) and not any(" " in c for c in cells):
            out.append(column)
    return out


def extremes(cells: Sequence[str]) -> list[int]:
    """In a column of sizes or counts (`4.0K`, `2.9M`, `126868`), the rows of its largest
    values and of its smallest: the one big file, where no count of cells tells it apart
    (every size differs, so every cell is rare)."""
    others_allowed = len(cells) - _NUMERIC_SHARE * len(cells)
    head = cells[: int(others_allowed) + 1]
    if list(map(_SIZE.fullmatch, head)).count(None) > others_allowed:
        return []  # too few of them are sizes or counts: known from the first cells
    # Each distinct cell read once: counts, days and sizes repeat down a column.
    value_of = {cell: _magnitude(cell) for cell in set(cells)}
    values = list(map(value_of.__getitem__, cells))
    others = values.count(None)
    if others > others_allowed:
        return []
    rows: Sequence[int] = range(len(values))
    numbers = cast("list[float]", values)  # when every cell is one
    if others:
        rows = [row for row, value in enumerate(values) if value is not None]
        numbers = [value for value in values if value is not None]
    if len(set(numbers)) < 3:
        return []
    # Ranked by value, then by row (a stable sort of rows in order).
    ranked = sorted(range(len(rows)), key=numbers.__getitem__)
    return [rows[i] for i in ranked[-_LARGEST:]] + [rows[ranked[0]]]


def _magnitude(cell: str) -> float | None:
    found = _SIZE.fullmatch(cell)
    if found is None:
        return None
    return float(found.group(1)) * 1024.0 ** _UNITS.index(found.group(2).upper())
