"""CSV and TSV: a lossless table form first, rows by budget only past it.

The table form (documented in docs/compressors-tables.md): columns whose cell is the same
in every row are stated once, above the table, as a two-line CSV of their header and
value; a column that only numbers the rows (0, 1, 2, ...) is said in a note; every other
cell is shown verbatim, quotes and all, joined by the file's own delimiter. Nothing else is
rewritten: a cell is never cut or re-quoted, so a value found in the original is found in
the output.

Past the budget, rows named by the question, malformed rows, the first and last rows and
rows holding rare values are kept whole first, then the rest by relevance and spread.
When the key cells of every row fit (the column that names a row: a name, an id), the rows
not kept whole are listed by that cell, one per line after the closing marker, so every row
can still be seen and asked about; otherwise the omitted rows are gaps with exact counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from headroom.ccr.markers import format_marker, format_note, split_lines
from headroom.compressors._table_rows import rare_rows, row_order, typed_cell
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    close_cheap_gaps,
    fill_within_budget,
    pieces_estimator,
    render_kept_lines,
    token_estimator,
)
from headroom.detect import (
    CERTAIN,
    LIKELY,
    POSSIBLE,
    STRONG,
    ContentKind,
    Detection,
    Sample,
    log_evidence,
)
from headroom.query import lines_with, query_terms

__all__ = ["CsvCompressor", "Dialect", "read_table", "sniff"]

_DELIMITERS = (",", "\t", ";")
_MIN_RECORDS = 5
_SAMPLE_RECORDS = 200
_MAX_FORCED_MALFORMED = 16
_KEY_SHARE = 0.6  # the key cells of every row may take at most this share of the budget
_CLOSING_TOKENS = 30
_LETTER = re.compile(r"[A-Za-z]")
_PATH = re.compile(r"\.{0,2}/\S*|[\w.@+-]+/\S*")
_CELL_CACHE: dict[str, re.Pattern[str]] = {}


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    columns: int
    share: float
    """Share of the sampled records that have `columns` fields."""


@dataclass
class _Table:
    records: list[str]
    """Every record (a line, or lines joined when a quoted cell holds a line break)."""
    cells: list[list[str]]
    """Raw cells of each record, quotes and surrounding blanks as in the original."""
    dialect: Dialect

    def good(self, index: int) -> bool:
        return len(self.cells[index]) == self.dialect.columns


class CsvCompressor:
    """CSV / TSV: constant columns stated once, then rows by budget."""

    kind: ContentKind = "csv"
    name = "csv"
    max_confidence = 1.0  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """A consistent number of delimited fields (quotes respected) on every sampled
        row; certain when every row has the header's field count."""
        lines = sample.head.split("\n")
        if len(sample.text) > len(sample.head):
            lines = lines[:-1]  # the last sampled line may be cut
        records = _records([line.rstrip("\r") for line in lines if line.strip()])[:_SAMPLE_RECORDS]
        dialect = sniff(records)
        if dialect is None:
            return None
        if dialect.share == 1.0:
            confidence = CERTAIN
        elif dialect.columns >= 3 and dialect.share >= 0.9:
            confidence = STRONG
        elif dialect.columns >= 3 and dialect.share >= 0.8:
            confidence = LIKELY
        else:
            return None
        if dialect.columns == 2 and log_evidence(sample):
            confidence = POSSIBLE  # `12:00:00,123 INFO ...`: a log with a comma in its stamps
        return Detection("csv", confidence=confidence)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        table = read_table(text)
        if table is None:
            return None
        return _compress(table, text, ctx)


def sniff(records: Sequence[str]) -> Dialect | None:
    """The delimiter under which the records have one field count most consistently (the
    header's), or None when none gives a table: fewer than five records, fewer than two
    fields, an empty header cell, JSON lines, or a path listing (`du`: size, tab, path)."""
    if len(records) < _MIN_RECORDS or records[0].lstrip()[:1] in ("{", "["):
        return None
    best: Dialect | None = None
    for delimiter in _DELIMITERS:
        if delimiter not in records[0]:
            continue
        header = split_cells(records[0], delimiter)
        if len(header) < 2 or any(not cell.strip() for cell in header):
            continue
        share = sum(
            1 for record in records if len(split_cells(record, delimiter)) == len(header)
        ) / len(records)
        candidate = Dialect(delimiter, len(header), share)
        if best is None or (share, len(header)) > (best.share, best.columns):
            best = candidate
    if best is None or best.share < 0.8:
        return None
    if best.columns <= 3 and _path_listing(records, best.delimiter):
        return None
    return best


def read_table(text: str) -> _Table | None:
    """`text` split into records and raw cells, with its dialect; None when it is no table."""
    lines = split_lines(text)
    if "\r" in text:
        lines = [line.rstrip("\r") for line in lines]
    records = _records(lines) if '"' in text else lines
    records = [record for record in records if record.strip()]
    dialect = sniff(records[:_SAMPLE_RECORDS])
    if dialect is None:
        return None
    cells = [split_cells(record, dialect.delimiter) for record in records]
    return _Table(records, cells, dialect)


def split_cells(record: str, delimiter: str) -> list[str]:
    """The raw cells of one record: a cell that starts with a quote (after blanks) runs to
    its closing quote (`""` inside is a quote), so delimiters inside it do not split it."""
    if '"' not in record:
        return record.split(delimiter)
    pattern = _CELL_CACHE.get(delimiter)
    if pattern is None:
        d = re.escape(delimiter)
        # A cell, then the delimiter after it (none after the last cell). Either kind of
        # cell runs up to a delimiter or the end, so the scan never skips a character.
        pattern = re.compile(rf'( *"(?:[^"]|"")*"[^{d}]*|[^{d}]*)(?:({d})|\Z)')
        _CELL_CACHE[delimiter] = pattern
    cells: list[str] = []
    for cell, after in pattern.findall(record):
        cells.append(cell)
        if not after:  # the last cell (an empty match may follow at the end)
            break
    return cells


def _records(lines: Sequence[str]) -> list[str]:
    """Lines joined where a quoted cell holds a line break (an odd count of quotes so far)."""
    records: list[str] = []
    pending: list[str] = []
    quotes = 0
    for line in lines:
        pending.append(line)
        quotes += line.count('"')
        if quotes % 2 == 0:
            records.append("\n".join(pending))
            pending, quotes = [], 0
    if pending:
        records.extend(pending)  # an unclosed quote: the lines stay lines
    return records


def _path_listing(records: Sequence[str], delimiter: str) -> bool:
    """Whether the last field of most records, the first included, is a path: a listing
    (`du -ah`, `wc -l` per file), not a table with a header."""
    last = [split_cells(record, delimiter)[-1].strip() for record in records[:50]]
    paths = sum(1 for cell in last if _PATH.fullmatch(cell))
    return bool(_PATH.fullmatch(last[0])) and paths >= len(last) * 0.8


def _compress(table: _Table, text: str, ctx: CompressContext) -> Compressed | None:
    columns = table.dialect.columns
    delimiter = table.dialect.delimiter
    good = [len(cells) == columns for cells in table.cells]
    rows = [i for i in range(1, len(table.records)) if good[i]]
    if len(rows) < _MIN_RECORDS - 1:
        return None
    # The cells of the well-formed rows, column by column.
    by_column = list(zip(*(table.cells[i] for i in rows), strict=True))
    constant = [c for c, cells in enumerate(by_column) if cells.count(cells[0]) == len(cells)]
    numbering = _numbering_column(table, rows, set(constant))
    hidden = set(constant) | ({numbering[0]} if numbering else set())
    if len(hidden) == columns:
        hidden = set()
        constant, numbering = [], None
    shown = [c for c in range(columns) if c not in hidden]
    preamble = _preamble(table, rows, constant, numbering)
    header = delimiter.join(table.cells[0][c] for c in shown)
    items = list(range(1, len(table.records)))
    texts = _texts(table, items, good, shown)
    lossless = "\n".join([*preamble, header, *texts])
    estimate = _per_length(token_estimator(text, ctx.counter))
    if estimate(lossless) <= ctx.budget_tokens:
        if not hidden or ctx.counter.count(lossless) >= ctx.counter.count(text):
            return None  # within budget: nothing is worth losing
        return Compressed(text=lossless, ref=None, kept=len(items), total=len(items), unit="rows")
    costs = [estimate(t) + 1 for t in texts]
    fixed = sum(estimate(line) + 1 for line in [*preamble, header]) + _CLOSING_TOKENS
    # Whole rows with gaps: runs long enough that the markers cost a tenth of the rows.
    block = -(-MARKER_TOKENS * 10 * len(costs) // max(1, sum(costs)))
    named = set(lines_with([table.records[i] for i in items], ctx.focus))
    forced = named | {k for k, i in enumerate(items) if not table.good(i)}
    if len(forced - named) > _MAX_FORCED_MALFORMED:
        forced = named
    key = _key_column(by_column, shown)
    if key is not None:
        keys = [table.cells[i][key].strip() if good[i] else "" for i in items]
        key_estimate = _per_length(pieces_estimator([k for k in keys if k], ctx.counter))
        key_costs = [key_estimate(k) + 1 for k in keys]
        if fixed + sum(key_costs) <= ctx.budget_tokens * _KEY_SHARE:
            order = _order(table, items, good, by_column, texts, shown, ctx, 1)
            return _with_keys(
                preamble, header, texts, keys, table.cells[0][key].strip(), order, forced,
                costs, key_costs, fixed, ctx,
            )  # fmt: skip
    order = _order(table, items, good, by_column, texts, shown, ctx, block)
    kept = set(forced)
    spent = fixed + sum(costs[k] for k in kept)
    fill_within_budget(order, kept, costs.__getitem__, spent, ctx.budget_tokens, len(texts))
    chosen = close_cheap_gaps(texts, kept, "rows")
    body = render_kept_lines(texts, chosen, "rows")
    closing = format_marker(ctx.ref, len(chosen), len(texts), "rows")
    return Compressed(
        text="\n".join([*preamble, header, body, closing]),
        ref=ctx.ref,
        kept=len(chosen),
        total=len(texts),
        unit="rows",
    )


def _with_keys(
    preamble: list[str],
    header: str,
    texts: list[str],
    keys: list[str],
    key_name: str,
    order: list[int],
    forced: set[int],
    costs: list[int],
    key_costs: list[int],
    fixed: int,
    ctx: CompressContext,
) -> Compressed:
    """Rows whole by `order` while they fit; every other row by its key cell after the
    closing marker."""
    whole: set[int] = set()
    spent = fixed + sum(key_costs)
    for index in [*sorted(forced), *order]:
        if index in whole:
            continue
        extra = costs[index] - key_costs[index]
        if index in forced or spent + extra <= ctx.budget_tokens:
            whole.add(index)
            spent += extra
    named = [keys[i] or texts[i] for i in range(len(texts)) if i not in whole]
    note = format_note(
        ctx.ref,
        f"kept {len(whole)} of {len(texts)} rows whole, the other {len(named)} are listed "
        f"below by column {key_name} only, one per line",
    )
    body = [texts[i] for i in sorted(whole)]
    return Compressed(
        text="\n".join([*preamble, header, *body, note, *named]),
        ref=ctx.ref,
        kept=len(whole),
        total=len(texts),
        unit="rows",
    )


def _numbering_column(table: _Table, rows: list[int], constant: set[int]) -> tuple[int, int] | None:
    """(column, first number) of a column that only numbers the rows, one up each row."""
    if len(rows) < 8:
        return None
    for column in range(table.dialect.columns):
        if column in constant:
            continue
        first = table.cells[rows[0]][column].strip()
        if not first.isdigit():
            continue
        start = int(first)
        if all(table.cells[i][column].strip() == str(start + n) for n, i in enumerate(rows)):
            return column, start
    return None


def _preamble(
    table: _Table, rows: list[int], constant: list[int], numbering: tuple[int, int] | None
) -> list[str]:
    """The lines above the table that say what its hidden columns hold."""
    delimiter = table.dialect.delimiter
    out: list[str] = []
    if constant:
        out.append(
            _note(
                f"{len(constant)} of {table.dialect.columns} columns are the same in all "
                f"{len(rows)} rows, stated once here: header, then value"
            )  # fmt: skip
        )
        out.append(delimiter.join(table.cells[0][c] for c in constant))
        out.append(delimiter.join(table.cells[rows[0]][c] for c in constant))
    if numbering:
        column, start = numbering
        name = table.cells[0][column].strip()
        out.append(_note(f"column {name} numbers the rows from {start} up by 1, left out"))
    if out:
        out.append(_note("the table without those columns"))
    return out


def _note(detail: str) -> str:
    """A marker that says how the table is laid out (no ref: it omits nothing)."""
    clean = " ".join(re.sub(r"[\[\];\n]+", " ", detail).split())
    return f"[headroom: {clean}]"


def _texts(table: _Table, items: list[int], good: list[bool], shown: list[int]) -> list[str]:
    """Each record of `items` as shown: its `shown` cells joined, or as is when malformed."""
    if len(shown) == table.dialect.columns:
        return [table.records[i] for i in items]  # the cells of a record join back to it
    delimiter = table.dialect.delimiter
    if len(shown) == 1:
        (only,) = shown
        return [table.cells[i][only] if good[i] else table.records[i] for i in items]
    pick = itemgetter(*shown)
    return [delimiter.join(pick(table.cells[i])) if good[i] else table.records[i] for i in items]


def _per_length(estimate: Callable[[str], int]) -> Callable[[str], int]:
    """`estimate` (a rate per character, so a function of a piece's length) asked once per
    distinct length."""
    known: dict[int, int] = {}

    def cached(piece: str) -> int:
        size = len(piece)
        tokens = known.get(size)
        if tokens is None:
            tokens = known[size] = estimate(piece)
        return tokens

    return cached


def _order(
    table: _Table,
    items: list[int],
    good: list[bool],
    by_column: list[tuple[str, ...]],
    texts: list[str],
    shown: list[int],
    ctx: CompressContext,
    block: int,
) -> list[int]:
    names = [table.cells[0][c].strip() for c in shown]
    typed_columns = []
    for c in shown:
        cells = by_column[c]
        distinct = set(cells)
        if len(distinct) * 2 > len(cells):
            typed_columns.append(list(map(typed_cell, cells)))
        else:
            known = {cell: typed_cell(cell) for cell in distinct}  # once per value
            typed_columns.append(list(map(known.__getitem__, cells)))
    typed_rows = zip(*typed_columns, strict=True)
    blank = (None,) * len(shown)
    typed = [next(typed_rows) if good[i] else blank for i in items]
    terms = sorted(query_terms(ctx.query))
    return row_order(texts, rare_rows(names, typed), terms, block=block)


def _key_column(by_column: list[tuple[str, ...]], shown: list[int]) -> int | None:
    """The column that names a row: the first shown column of distinct cells with letters."""
    for column in shown:
        cells = Counter(cell.strip() for cell in by_column[column])
        total = len(by_column[column])
        if sum(n for cell, n in cells.items() if _LETTER.search(cell)) < total * 0.8:
            continue
        if len(cells) >= total * 0.9:
            return column
    return None
