"""Command listings and tables: `ls -la`, `dpkg -l`, `pip list`, `ps`, `df`, `kubectl get`.

A listing is rows of aligned columns; the last column runs to the end of the line (a file
name, a description, a command). Over budget, the rows with rare cells (and those the
question names) stay whole, and every other row keeps its key cell (the column that names
the row: the file, the package, the pod), verbatim, one per line after a marker, so any
entry can still be seen and asked about. Lines that are not rows (a header, `total 3212`)
are kept. When even the key cells do not fit, whole rows are chosen and the gaps marked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.ccr.markers import format_note, split_lines
from headroom.compressors._ranking import spread_order
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    fill_within_budget,
    kept_lines_result,
    pieces_estimator,
    token_estimator,
)
from headroom.detect import ContentKind, Detection, Sample, listing_columns
from headroom.query import lines_with

__all__ = ["ListingCompressor", "path_columns"]

_FIELD = re.compile(r"\S+")
_LETTER = re.compile(r"[A-Za-z]")
# A path: a slash in it, or a file name with an extension; `dir:` heads of `ls -R` too.
_PATH = re.compile(r"[^\s:]*/[^\s]*|[\w.@+-]+\.[A-Za-z0-9]{1,8}|\.?/?[\w./@+-]+:")
_PATH_SHARE = 0.8  # share of the lines that must end in a path
_MIN_PATH_ROWS = 8
_MAX_PATH_FIELDS = 10  # fields before the path (`find -printf`, `tar tvf`, `du`)


def path_columns(lines: Sequence[str]) -> int | None:
    """The number of columns when `lines` are a path listing, else None: most lines end in
    a path, after at most ten short fields (`dpkg -L`, `git ls-files`, `find -printf`,
    `du -ah`, `tar tvf`, `pip show -f`, `ls -R`). The columns are those of the most common
    row shape; the last one, the path, runs to the end of the line."""
    rows = [line for line in lines[:400] if line.strip()]
    if len(rows) < _MIN_PATH_ROWS:
        return None
    counts: Counter[int] = Counter()
    paths = 0
    for row in rows:
        fields = row.split()
        if len(fields) > _MAX_PATH_FIELDS + 1 or not _PATH.fullmatch(fields[-1]):
            continue
        paths += 1
        counts[len(fields)] += 1
    if paths < len(rows) * _PATH_SHARE:
        return None
    return counts.most_common(1)[0][0]


@dataclass(frozen=True)
class _Row:
    line: int
    cells: tuple[str, ...]


class ListingCompressor:
    """Column listings: rare rows whole, every other row by its key cell."""

    kind: ContentKind = "listing"
    name = "listing"

    def detect(self, sample: Sample) -> Detection | None:
        """Rows of padded, aligned columns, or rows that end in a path (see `path_columns`)."""
        if listing_columns(sample.lines) is None and path_columns(sample.lines) is None:
            return None
        return Detection("listing", confidence=0.6)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        lines = split_lines(text)
        if ctx.counter.count(text) <= ctx.budget_tokens:
            return None  # within budget: nothing is worth losing
        columns = listing_columns(lines) or path_columns(lines)
        if columns is None:
            return None
        rows = _rows(lines, columns)
        if len(rows) < 8:
            return None
        key = _key_column(rows, columns)
        estimate = token_estimator(text, ctx.counter)
        # Key cells are denser than padded rows: their own rate, from one count of the column.
        key_estimate = pieces_estimator([row.cells[key] for row in rows], ctx.counter)
        costs = {row.line: estimate(lines[row.line]) + 1 for row in rows}
        key_costs = {row.line: key_estimate(row.cells[key]) + 1 for row in rows}
        row_lines = {row.line for row in rows}
        fixed = sum(estimate(lines[i]) + 1 for i in range(len(lines)) if i not in row_lines)
        forced = set(lines_with(lines, ctx.focus)) & row_lines | {rows[0].line}
        order = _row_order(rows, key)
        if fixed + sum(key_costs.values()) + MARKER_TOKENS > ctx.budget_tokens:
            # Gaps cost a marker each: rows in runs long enough that markers are a tenth.
            block = -(-MARKER_TOKENS * 10 * len(costs) // max(1, sum(costs.values())))
            order = _row_order(rows, key, block)
            return _whole_rows_only(lines, rows, order, forced, costs, fixed, ctx)
        spent = fixed + sum(key_costs.values()) + MARKER_TOKENS
        whole: set[int] = set()
        for line in [*sorted(forced), *order]:
            if line in whole:
                continue
            extra = costs[line] - key_costs[line]
            if line in forced or spent + extra <= ctx.budget_tokens:
                whole.add(line)
                spent += extra
        if len(whole) == len(rows):
            return None
        body = [line for i, line in enumerate(lines) if i not in row_lines or i in whole]
        named = [row.cells[key] for row in rows if row.line not in whole]
        note = format_note(
            ctx.ref,
            f"kept {len(whole)} of {len(rows)} rows whole, the other {len(named)} are listed "
            f"below by column {key + 1} only, one per line",
        )
        return Compressed(
            text="\n".join([*body, note, *named]),
            ref=ctx.ref,
            kept=len(whole),
            total=len(rows),
            unit="rows",
        )


def _rows(lines: Sequence[str], columns: int) -> list[_Row]:
    """Lines with at least `columns` fields, split into that many cells (the last one runs
    to the end of the line)."""
    rows: list[_Row] = []
    for index, line in enumerate(lines):
        fields = list(_FIELD.finditer(line))
        if len(fields) < columns:
            continue
        head = tuple(f.group() for f in fields[: columns - 1])
        rows.append(_Row(index, (*head, line[fields[columns - 1].start() :].rstrip())))
    return rows


def _key_column(rows: Sequence[_Row], columns: int) -> int:
    """The column that names a row: of the columns with words in them, the most distinct;
    among near-ties, the shortest."""
    best: tuple[float, float, int] | None = None
    for column in range(columns):
        cells = [row.cells[column] for row in rows]
        if sum(1 for c in cells if _LETTER.search(c)) < len(cells) * 0.8:
            continue
        distinct = len(set(cells)) / len(cells)
        length = sum(len(c) for c in cells) / len(cells)
        candidate = (round(distinct, 1), -length, -column)
        if best is None or candidate > best:
            best = candidate
    return -best[2] if best is not None else columns - 1


def _row_order(rows: Sequence[_Row], key: int, block: int = 1) -> list[int]:
    """Row lines, the ones with rare cells (outside the key) first, then an even spread by
    runs of `block` rows. A cell is rare when at most 2% of the rows (or 2) share it: a
    symlink among directories, the one big file, the odd owner or date."""
    counts = [Counter(row.cells[c] for row in rows) for c in range(len(rows[0].cells))]
    rare = max(2, len(rows) // 50)
    rarity = {
        row.line: sum(1 for c, cell in enumerate(row.cells) if c != key and counts[c][cell] <= rare)
        for row in rows
    }
    runs = spread_order(-(-len(rows) // block))
    spread = {
        rows[i].line: rank * block + i % block
        for rank, b in enumerate(runs)
        for i in range(b * block, min(len(rows), (b + 1) * block))
    }
    return sorted(rarity, key=lambda line: (-rarity[line], spread[line]))


def _whole_rows_only(
    lines: Sequence[str],
    rows: Sequence[_Row],
    order: Sequence[int],
    forced: set[int],
    costs: dict[int, int],
    fixed: int,
    ctx: CompressContext,
) -> Compressed | None:
    row_lines = {row.line for row in rows}
    kept = set(range(len(lines))) - row_lines | forced
    spent = fixed + sum(costs[i] for i in forced)
    fill_within_budget(order, kept, costs.__getitem__, spent, ctx.budget_tokens, len(lines))
    return kept_lines_result(lines, kept, ctx.ref)
