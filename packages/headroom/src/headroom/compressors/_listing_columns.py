"""The lossless form of a listing: columns that hold the same cell in every row
(`root root` owners, one permission string, one date) are stated once in a note and left
out of the rows, and the padding that lines the columns up is narrowed to one space; every
other cell of every row is kept verbatim (the last one, which runs to the end of the line,
with its own spacing).

This is a documented table form (like JSON tables): a row of the output is its original
line without the constant cells and the alignment, so every name, path and value can still
be found whole.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["constant_columns", "is_padded", "note_detail", "without_columns"]

_MIN_ROWS = 8
_MIN_CELL_CHARS = 2  # a constant column of one-character cells is not worth a note


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


def _cell_starts(line: str, columns: int) -> list[int] | None:
    """Where each of the `columns` cells of `line` starts, or None when it has fewer."""
    starts: list[int] = []
    position = 0
    for _ in range(columns):
        while position < len(line) and line[position].isspace():
            position += 1
        if position >= len(line):
            return None
        starts.append(position)
        while position < len(line) and not line[position].isspace():
            position += 1
    return starts


def is_padded(lines: Sequence[str], row_lines: Sequence[int], columns: int) -> bool:
    """Whether cells of the rows are lined up by runs of blanks rather than one blank."""
    for index in row_lines:
        line = lines[index]
        starts = _cell_starts(line, columns)
        if starts is None:
            continue
        for start, following in zip(starts, starts[1:], strict=False):
            if following - _cell_end(line, start) > 1:
                return True
    return False


def _cell_end(line: str, start: int) -> int:
    end = start
    while end < len(line) and not line[end].isspace():
        end += 1
    return end


def without_columns(line: str, columns: int, dropped: set[int], narrow: bool = False) -> str:
    """`line` (a row of `columns` cells) without the cells of `dropped`. Each kept cell
    keeps the blanks that follow it, so the rest stays aligned as it was, or with `narrow`
    is followed by one space; the last cell is kept as it is either way."""
    starts = _cell_starts(line, columns)
    if starts is None:
        return line  # fewer cells than a row has: not a row
    pieces = [line[: starts[0]]]
    for index, start in enumerate(starts):
        if index in dropped:
            continue
        if index + 1 == len(starts):
            pieces.append(line[start:])
        elif narrow:
            pieces.append(line[start : _cell_end(line, start)] + " ")
        else:
            pieces.append(line[start : starts[index + 1]])
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
