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
Comment lines before the header (`# Data source: ...`, VCF's `##` lines) stay as they are,
above the table; a last one that splits like the rows is the header (`#CHROM<TAB>POS`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from operator import itemgetter

from headroom.ccr.markers import format_marker, format_note, split_lines
from headroom.compressors._csv_read import (
    MIN_RECORDS,
    SAMPLE_RECORDS,
    Dialect,
    Table,
    first_records,
    heads_no_table,
    read_table,
    sniff,
)
from headroom.compressors._table_rows import rare_rows, row_order, typed_column, whole_rows
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    close_cheap_gaps,
    fill_within_budget,
    per_length,
    pieces_estimator,
    render_kept_lines,
    token_estimator,
)
from headroom.engine.detect import (
    CERTAIN,
    LIKELY,
    POSSIBLE,
    STRONG,
    ContentKind,
    Detection,
    Sample,
    log_evidence,
)
from headroom.engine.query import lines_with, query_terms
from headroom.tokens import TokenCounter

__all__ = ["CsvCompressor", "Dialect", "read_table", "sniff"]

_MAX_FORCED_MALFORMED = 16
_KEY_SHARE = 0.6  # the key cells of every row may take at most this share of the budget
_CLOSING_TOKENS = 30
_RATE_SAMPLE_ROWS = 400  # rows, spread out, counted for the rate of the rows as shown
_MAX_COMMENT_LINES = 20  # `#` lines before the header: a comment preamble, not rows
_MAX_TITLE_LINES = 2  # lines of no table before the header (`Query results:`, an echo)
_LETTER = re.compile(r"[A-Za-z]")


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
        lines = lines[_lead_lines(lines) :]
        if heads_no_table(next((line for line in lines if line.strip()), "")):
            return None  # the quick no, before the sample's lines are joined into records
        # Blank lines are dropped after the records are joined: one inside a quoted cell
        # (a license text) belongs to its record.
        cut = len(sample.text) > len(sample.head)
        if "\r" in sample.head:
            lines = [line.rstrip("\r") for line in lines]
        records = first_records(lines, SAMPLE_RECORDS, cut=cut)
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
        lines = split_lines(text)
        comments = _lead_lines(lines)
        body = "\n".join(lines[comments:]) if comments else text
        table = read_table(body)
        if table is None:
            return None
        result = _compress(table, body, ctx)
        if result is None or not comments:
            return result
        # The lines before the table (`# Data source: ...`, `Query results:`) stay as they are.
        return replace(result, text="\n".join([*lines[:comments], result.text]))


def _lead_lines(lines: Sequence[str]) -> int:
    """How many lines come before a table: its comment lines (see `_comment_lines`), and
    at most `_MAX_TITLE_LINES` lines that can begin no table (no quote, no delimiter: a
    title, a command's echo) before one that can, with the blank lines after them (and
    the comment lines after those)."""
    start = _comment_lines(lines)
    for _ in range(_MAX_TITLE_LINES):
        at = next((i for i in range(start, len(lines)) if lines[i].strip()), len(lines))
        after = next((i for i in range(at + 1, len(lines)) if lines[i].strip()), len(lines))
        if after == len(lines) or not heads_no_table(lines[at]):
            break
        start = after + _comment_lines(lines[after:])
    return start


def _comment_lines(lines: Sequence[str]) -> int:
    """How many lines before a table are comments (`# Data source: ...`), at most a few;
    a last one that splits like the row after it is the header (VCF's `#CHROM<TAB>POS`)."""
    count = 0
    while count < min(len(lines), _MAX_COMMENT_LINES) and lines[count].startswith("#"):
        count += 1
    if not count or count >= _MAX_COMMENT_LINES or count == len(lines):
        return 0
    header, row = lines[count - 1], lines[count]
    if any(d in row and header.count(d) == row.count(d) for d in ("\t", ",", ";")):
        count -= 1
    return count


def _compress(table: Table, text: str, ctx: CompressContext) -> Compressed | None:
    columns = table.dialect.columns
    delimiter = table.dialect.delimiter
    good = [len(cells) == columns for cells in table.cells]
    rows = [i for i in range(1, len(table.records)) if good[i]]
    if len(rows) < MIN_RECORDS - 1:
        return None
    # The cells of the well-formed rows, column by column.
    by_column = list(zip(*(table.cells[i] for i in rows), strict=True))
    constant = [c for c, cells in enumerate(by_column) if cells.count(cells[0]) == len(cells)]
    numbering = _numbering_column(table, rows, set(constant))
    if numbering and ctx.focus.specific and any(map(ctx.focus.hits, by_column[numbering[0]])):
        numbering = None  # the question names a row by its number: the numbers stay
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
    estimate = per_length(_rows_estimator(texts, text, ctx.counter))
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
        key_estimate = per_length(pieces_estimator([k for k in keys if k], ctx.counter))
        key_costs = [key_estimate(k) + 1 for k in keys]
        if fixed + sum(key_costs) <= ctx.budget_tokens * _KEY_SHARE:
            if numbering:
                # Rows shown whole with no gap between them: their numbers say where they
                # stood, so the numbering column stays.
                shown = sorted([*shown, numbering[0]])
                preamble = _preamble(table, rows, constant, None)
                header = delimiter.join(table.cells[0][c] for c in shown)
                texts = _texts(table, items, good, shown)
                costs = [estimate(t) + 1 for t in texts]
                fixed = sum(estimate(line) + 1 for line in [*preamble, header]) + _CLOSING_TOKENS
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


def _rows_estimator(texts: list[str], text: str, counter: TokenCounter) -> Callable[[str], int]:
    """Tokens of a piece at the rate of the rows as they are shown (constant columns out):
    a spread sample of them counted once. At the payload's own rate, which its constant
    cells (`amd64`, `install ok installed`) make cheaper, a selection went 1.23x past its
    budget."""
    if not texts:
        return token_estimator(text, counter)
    step = max(1, len(texts) // _RATE_SAMPLE_ROWS)
    return pieces_estimator(texts[::step], counter)


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
    whole = whole_rows(
        order, forced, lambda i: costs[i] - key_costs[i], fixed + sum(key_costs), ctx.budget_tokens
    )
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


def _numbering_column(table: Table, rows: list[int], constant: set[int]) -> tuple[int, int] | None:
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
    table: Table, rows: list[int], constant: list[int], numbering: tuple[int, int] | None
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


def _texts(table: Table, items: list[int], good: list[bool], shown: list[int]) -> list[str]:
    """Each record of `items` as shown: its `shown` cells joined, or as is when malformed."""
    if len(shown) == table.dialect.columns:
        return [table.records[i] for i in items]  # the cells of a record join back to it
    delimiter = table.dialect.delimiter
    if len(shown) == 1:
        (only,) = shown
        return [table.cells[i][only] if good[i] else table.records[i] for i in items]
    pick = itemgetter(*shown)
    return [delimiter.join(pick(table.cells[i])) if good[i] else table.records[i] for i in items]


def _order(
    table: Table,
    items: list[int],
    good: list[bool],
    by_column: list[tuple[str, ...]],
    texts: list[str],
    shown: list[int],
    ctx: CompressContext,
    block: int,
) -> list[int]:
    names = [table.cells[0][c].strip() for c in shown]
    typed_rows = zip(*(typed_column(by_column[c]) for c in shown), strict=True)
    blank = (None,) * len(shown)
    typed = [next(typed_rows) if good[i] else blank for i in items]
    terms = sorted(query_terms(ctx.query))
    return row_order(texts, rare_rows(names, typed), terms, block=block)


def _key_column(by_column: list[tuple[str, ...]], shown: list[int]) -> int | None:
    """The column that names a row: the first shown column of distinct cells with letters."""
    for column in shown:
        cells = Counter(map(str.strip, by_column[column]))
        total = len(by_column[column])
        if sum(n for cell, n in cells.items() if _LETTER.search(cell)) < total * 0.8:
            continue
        if len(cells) >= total * 0.9:
            return column
    return None
