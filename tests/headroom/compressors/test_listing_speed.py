"""The listing compressor's fast paths, each held to the plain reading it stands in for, on
rows built from the pieces that decide it (blanks of every kind, paths, tree glyphs, bars)."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.compressors._listing_columns import _narrowed, rows_without_columns
from headroom.compressors.listing import (
    _MAX_PATH_FIELDS,
    _MIN_PATH_ROWS,
    _PATH,
    _PATH_SHARE,
    _RULED,
    _TREE_BRANCH,
    _head_rows,
    _not_rows_of_cells,
    _path_columns,
    _rows,
)

PIECES = ["a", "Z", "٣", "é", "/", ".", ":", "x.py", "a/b", "dir:", "-", "|", "0a"]
BLANKS = [" ", "  ", "\t", "\u00a0", "\u3000", "\x0b", "\r", " | ", "├── ", "`-- "]


def joined(pieces: list[str], most: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=most).map("".join)


LINES = st.lists(joined(PIECES + BLANKS, 14), max_size=14)
FIELD = st.sampled_from(["a", "-rw-r--r--", "4.0K", "٣", "é"])
LAST = st.sampled_from(["a/b", "x.py", "dir:", "a", "٣", "a b/c"])
ROW = st.tuples(
    st.lists(FIELD, max_size=3) | st.lists(FIELD, min_size=9, max_size=11),
    LAST,
    st.sampled_from(BLANKS),
).map(lambda row: row[2].join([*row[0], row[1]]))
PATH_ROWS = st.lists(st.one_of(ROW, joined(PIECES + BLANKS, 6)), min_size=8, max_size=16)


def _path_columns_read_plainly(rows: tuple[str, ...]) -> int | None:
    if len(rows) < _MIN_PATH_ROWS:
        return None
    shapes = map(str.split, rows)
    counts = Counter(
        len(fields)
        for fields in shapes
        if len(fields) <= _MAX_PATH_FIELDS + 1 and _PATH.fullmatch(fields[-1])
    )
    if sum(counts.values()) < len(rows) * _PATH_SHARE:
        return None
    return counts.most_common(1)[0][0]


@settings(max_examples=600, deadline=None)
@given(st.one_of(LINES, PATH_ROWS))
def test_path_columns_read_each_row_to_its_end(lines: list[str]) -> None:
    rows = _head_rows(lines)
    assert rows == tuple(line for line in lines[:400] if line.strip())
    assert _path_columns.__wrapped__(rows) == _path_columns_read_plainly(rows)


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_ruled_and_tree_rows_are_counted_row_by_row(lines: list[str]) -> None:
    rows = _head_rows(lines)
    if not rows:
        return
    ruled = sum(1 for row in rows if _RULED in row) >= len(rows) / 2
    tree = sum(1 for row in rows if _TREE_BRANCH.match(row)) >= len(rows) / 2
    if ruled or tree:
        assert _not_rows_of_cells.__wrapped__(rows)


@settings(max_examples=400, deadline=None)
@given(LINES, st.integers(2, 4), st.sets(st.integers(0, 2)), st.booleans())
def test_narrowed_rows_are_their_cells_one_space_apart(
    lines: list[str], columns: int, dropped: set[int], with_header: bool
) -> None:
    rows = _rows(lines, columns)
    if not rows.lines:
        return
    dropped = {column for column in dropped if column < columns - 1}
    header = rows.lines[0] if with_header else None
    found = rows_without_columns(
        lines, rows.lines, rows.columns, dropped, header=header, narrow=True
    )
    for position, index in enumerate(rows.lines):
        cells = [column[position] for column in rows.columns]
        if index != header:
            cells = [cell for column, cell in enumerate(cells) if column not in dropped]
        assert found[position] == _narrowed(lines[index], cells)
