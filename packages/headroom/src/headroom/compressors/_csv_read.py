"""Reading CSV / TSV as it is written: records (quoted line breaks joined), raw cells
(quotes and blanks kept, so a value is never changed), and the dialect that fits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.ccr.markers import split_lines

__all__ = [
    "MIN_RECORDS",
    "SAMPLE_RECORDS",
    "Dialect",
    "Table",
    "heads_no_table",
    "read_table",
    "records_of",
    "sniff",
    "split_cells",
]

_DELIMITERS = (",", "\t", ";")
MIN_RECORDS = 5
_MIN_SHARE = 0.8  # of the records with the header's field count: a table
_SENTENCE_WORDS = 3  # words of a cell that reads as text
_SPACED_SHARE = 0.9  # commas followed by a space, of all commas, in text
_WORDED_SHARE = 0.5  # records holding a cell of text
SAMPLE_RECORDS = 200
_PATH = re.compile(r"\.{0,2}/\S*|[\w.@+-]+/\S*")
_CELL_CACHE: dict[str, re.Pattern[str]] = {}
_BRACKET = re.compile(r"[(\[{]")
# A cell that opens with a quote, after spaces only, as `split_cells` reads one (a tab
# before the quote leaves the cell unquoted, its delimiters splitting it).
_QUOTED_CELL = re.compile(r' *"(?:[^"]|"")*"')
_QUOTED_AFTER: dict[str, re.Pattern[str]] = {}  # by delimiter: it, then a quoted cell


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    columns: int
    share: float
    """Share of the sampled records that have `columns` fields."""


@dataclass
class Table:
    records: list[str]
    """Every record (a line, or lines joined when a quoted cell holds a line break)."""
    cells: list[list[str]]
    """Raw cells of each record, quotes and surrounding blanks as in the original."""
    dialect: Dialect

    def good(self, index: int) -> bool:
        return len(self.cells[index]) == self.dialect.columns


def sniff(records: Sequence[str]) -> Dialect | None:
    """The delimiter under which the records have one field count most consistently (the
    header's), or None when none gives a table: fewer than five records, fewer than two
    fields, an empty header cell, JSON lines, a path listing (`du`: size, tab, path), or a
    delimiter inside brackets (code, `file(line,col)` locations)."""
    return _sniff(records)[0]


def _sniff(records: Sequence[str]) -> tuple[Dialect | None, list[list[str]]]:
    """`sniff`, with the cells of each record under its dialect's delimiter (read once)."""
    if len(records) < MIN_RECORDS or records[0].lstrip()[:1] in ("{", "["):
        return None, []
    best: Dialect | None = None
    best_cells: list[list[str]] = []
    for delimiter in _DELIMITERS:
        if delimiter not in records[0]:
            continue
        header = split_cells(records[0], delimiter)
        if len(header) < 2 or any(not cell.strip() for cell in header):
            continue
        if not _may_share(records, delimiter, len(header) - 1):
            continue  # the quick no: too few records hold enough delimiters
        cells = [split_cells(record, delimiter) for record in records]
        share = sum(1 for row in cells if len(row) == len(header)) / len(records)
        candidate = Dialect(delimiter, len(header), share)
        if best is None or (share, len(header)) > (best.share, best.columns):
            best, best_cells = candidate, cells
    if best is None or best.share < _MIN_SHARE:
        return None, []
    if best.columns <= 3 and _path_listing(best_cells):
        return None, []
    if best.delimiter == "," and _commas_of_sentences(records, best_cells):
        return None, []
    if _inside_brackets(records, best.delimiter, best_cells):
        return None, []
    return best, best_cells


def _may_share(records: Sequence[str], delimiter: str, least: int) -> bool:
    """Whether enough records (the share a dialect needs) hold at least `least` delimiters:
    a record of fewer has fewer cells than the header (a quoted delimiter separates none),
    so without them no dialect of that delimiter can be the table's."""
    holding = sum(1 for record in records if record.count(delimiter) >= least)
    return holding / len(records) >= _MIN_SHARE  # as a share is read: at most it


def _inside_brackets(
    records: Sequence[str], delimiter: str, cells: Sequence[Sequence[str]]
) -> bool:
    """Whether the delimiter stands inside brackets on most records (`_opens_past_delimiter`:
    tsc's `m0.ts(1,41): error`, a statement's `{ return a * 0; }`), so it separates an
    expression's parts, not columns. A record's cells (`cells`, under `delimiter`) are read
    only when a bracket stands outside its quoted cells (most tables': a quick no)."""
    inside = sum(
        1
        for record, row in zip(records, cells, strict=True)
        if _bracket_outside_quotes(record, delimiter) and _opens_past_delimiter(row)
    )
    return inside * 2 > len(records)


def _bracket_outside_quotes(record: str, delimiter: str) -> bool:
    """Whether a bracket stands in `record` outside the cells that open with a quote (after
    blanks): such a cell runs to its closing quote."""
    if not _BRACKET.search(record):
        return False
    if '"' not in record:
        return True
    # The quoted cells, the first one, then each after a delimiter: a search for the
    # delimiter is quicker than trying every position for a cell start.
    first = _QUOTED_CELL.match(record)
    rest = record[first.end() :] if first else record
    after = _QUOTED_AFTER.get(delimiter)
    if after is None:
        after = _QUOTED_AFTER[delimiter] = re.compile(re.escape(delimiter) + _QUOTED_CELL.pattern)
    return _BRACKET.search(after.sub("", rest)) is not None


def _opens_past_delimiter(cells: Sequence[str]) -> bool:
    """Whether an unquoted cell of a record (its `cells`) opens a bracket that a later cell
    closes."""
    depth = 0
    for cell in cells[:-1]:
        if not cell.lstrip().startswith('"'):
            depth += sum(map(cell.count, "([{")) - sum(map(cell.count, ")]}"))
        if depth > 0:
            return True
    return False


def _commas_of_sentences(records: Sequence[str], cells: Sequence[Sequence[str]]) -> bool:
    """Whether the commas are those of text: nearly every one followed by a space and
    most records holding a cell of three words or more (eslint's `file: line 16, col 1,
    Error - Unexpected var, use let ...`), where a table's cells are values. `cells`: those
    of each record split at its commas."""
    if sum(r.count(", ") for r in records) < _SPACED_SHARE * sum(r.count(",") for r in records):
        return False  # most commas run straight into the next cell: a table's (a quick no)
    commas = spaced = worded = 0
    for row in cells:
        commas += len(row) - 1
        spaced += sum(1 for cell in row[1:] if cell[:1] == " ")
        worded += any(
            len(cell.split()) >= _SENTENCE_WORDS and not cell.lstrip().startswith('"')
            for cell in row
        )  # a quoted cell is a table's value, whatever it holds
    return spaced >= _SPACED_SHARE * commas and worded >= _WORDED_SHARE * len(records)


def read_table(text: str) -> Table | None:
    """`text` split into records and raw cells, with its dialect; None when it is no table."""
    lines = split_lines(text)
    if "\r" in text:
        lines = [line.rstrip("\r") for line in lines]
    records = records_of(lines) if '"' in text else lines
    records = [record for record in records if record.strip()]
    dialect, cells = _sniff(records[:SAMPLE_RECORDS])
    if dialect is None:
        return None
    cells.extend(split_cells(record, dialect.delimiter) for record in records[SAMPLE_RECORDS:])
    return Table(records, cells, dialect)


def split_cells(record: str, delimiter: str) -> list[str]:
    """The raw cells of one record: a cell that starts with a quote (after blanks) runs to
    its closing quote (`""` inside is a quote), so delimiters inside it do not split it."""
    pieces = record.split(delimiter)
    if '"' not in record:
        return pieces
    # The pieces between delimiters are cells, but where a quoted cell holds a delimiter.
    opening = [i for i, piece in enumerate(pieces) if '"' in piece and not _whole_cell(piece)]
    if not opening:
        return pieces
    pattern = _CELL_CACHE.get(delimiter)
    if pattern is None:
        d = re.escape(delimiter)
        # A cell: it runs up to a delimiter or the end.
        pattern = _CELL_CACHE[delimiter] = re.compile(rf' *"(?:[^"]|"")*"[^{d}]*|[^{d}]*')
    cells: list[str] = []
    taken = 0  # pieces read into cells
    start = 0  # where the piece after them starts in `record`
    for index in opening:
        if index < taken:
            continue  # inside the cell read before
        cells.extend(pieces[taken:index])
        start += sum(map(len, pieces[taken:index])) + index - taken
        found = pattern.match(record, start)
        assert found is not None  # it matches anywhere: a cell may be empty
        cell = found.group()
        cells.append(cell)
        taken = index + 1 + cell.count(delimiter)
        start += len(cell) + 1
    cells.extend(pieces[taken:])
    return cells


def _whole_cell(piece: str) -> bool:
    """Whether a piece of a record between two delimiters is a cell as `split_cells` reads
    it: one that does not open with a quote, or one with an even number of quotes (the
    quote that closes the opening one is among them: quotes pair up from the left, `""`
    a quote inside, and a quote left alone, found before the piece ends, closes)."""
    return not piece.lstrip(" ").startswith('"') or piece.count('"') % 2 == 0


def heads_no_table(line: str) -> bool:
    """Whether `line`, the first line with text, cannot begin a table: it holds no quote
    (so it is a record of its own) and no delimiter (so `sniff` finds none in the header)."""
    return '"' not in line and not any(delimiter in line for delimiter in _DELIMITERS)


def records_of(lines: Sequence[str], *, cut: bool = False) -> list[str]:
    """Lines joined where a quoted cell holds a line break (an odd count of quotes so far).
    With `cut` (a sample's lines, cut at its end), lines left in an unclosed quote are a
    record the cut split: they are left out."""
    # A line of an odd count of quotes opens a quoted line break, the next such closes it.
    odd = [i for i, line in enumerate(lines) if line.count('"') % 2]
    return _joined(lines, odd, cut)


def first_records(lines: Sequence[str], count: int, *, cut: bool = False) -> list[str]:
    """The first `count` records of `records_of(lines, cut=cut)` that hold text: the lines
    are read only as far as those records reach (a sample's first records, not its all)."""
    odd: list[int] = []
    records = 0  # with text, closed, before the line read
    for index, line in enumerate(lines):
        if line.count('"') % 2:
            odd.append(index)
            if len(odd) % 2:
                continue  # a quoted line break opens: the record closes further on
        elif len(odd) % 2 or not line.strip():
            continue  # inside a quoted line break, or a blank line
        records += 1
        if records == count:
            return [r for r in _joined(lines[: index + 1], odd, cut) if r.strip()]
    return [r for r in _joined(lines, odd, cut) if r.strip()][:count]


def _joined(lines: Sequence[str], odd: list[int], cut: bool) -> list[str]:
    """`records_of` of `lines` whose lines of an odd count of quotes are `odd`."""
    records: list[str] = []
    taken = 0  # lines read into records
    for opening, closing in zip(odd[::2], odd[1::2], strict=False):  # an odd one: unclosed
        records.extend(lines[taken:opening])
        records.append("\n".join(lines[opening : closing + 1]))
        taken = closing + 1
    unclosed = odd[-1] if len(odd) % 2 else len(lines)
    records.extend(lines[taken:unclosed])
    if not cut:
        records.extend(lines[unclosed:])  # an unclosed quote: the lines stay lines
    return records


def _path_listing(cells: Sequence[Sequence[str]]) -> bool:
    """Whether the last field of most records (their `cells`), the first included, is a
    path: a listing (`du -ah`, `wc -l` per file), not a table with a header."""
    last = [row[-1].strip() for row in cells[:50]]
    paths = sum(1 for cell in last if _PATH.fullmatch(cell))
    return bool(_PATH.fullmatch(last[0])) and paths >= len(last) * 0.8
