"""The lossless form of a listing: columns that hold the same cell in every row
(`root root` owners, one permission string, one date) are stated once in a note and left
out of the rows, every other cell of every row kept verbatim with its padding.

This is a documented table form (like JSON tables): a row of the output is its original
line without the constant cells, so every name, path and value can still be found whole.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["constant_columns", "note_detail", "without_columns"]

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


def without_columns(line: str, columns: int, dropped: set[int]) -> str:
    """`line` (a row of `columns` cells) without the cells of `dropped`: each kept cell
    keeps the blanks that follow it, so the rest stays aligned as it was."""
    starts: list[int] = []
    position = 0
    for _ in range(columns):
        while position < len(line) and line[position].isspace():
            position += 1
        if position >= len(line):
            return line  # fewer cells than a row has: not a row
        starts.append(position)
        while position < len(line) and not line[position].isspace():
            position += 1
    pieces = [line[: starts[0]]]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(line)
        if index not in dropped:
            pieces.append(line[start:end])
    return "".join(pieces)


def note_detail(dropped: Sequence[int], columns: Sequence[Sequence[str]], rows: int) -> str:
    """What the note says: which columns are left out and the cell each holds."""
    stated = ", ".join(f"column {index + 1} is {columns[index][0]}" for index in dropped)
    return f"in all {rows} rows {stated}, left out of the rows below"
