"""Command listings and tables: `ls -la`, `dpkg -l`, `pip list`, `ps`, `df`, `kubectl get`.

A listing is rows of aligned columns; the last column runs to the end of the line (a file
name, a description, a command). Over budget, the rows with rare cells (and those the
question names) stay whole, and every other row keeps its key cell (the column that names
the row: the file, the package, the pod), verbatim, one per line after a marker, so any
entry can still be seen and asked about. Lines that are not rows (a header, `total 3212`)
are kept. When even the key cells do not fit, the key cells of as many rows as fit are
listed in runs, each gap counted (see `_listing_keys`); in sections (`ls -R`), or when a key
cell costs about its row, whole rows are chosen and the gaps marked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import compress, repeat
from operator import contains, itemgetter

from headroom.ccr.markers import format_detail, format_note, split_lines
from headroom.compressors._listing_columns import (
    blanks_in_cells,
    constant_columns,
    is_padded,
    note_detail,
    ragged,
    rows_without_columns,
    short_columns,
)
from headroom.compressors._listing_keys import KEYS_WORTH_IT, key_column, keys_in_runs
from headroom.compressors._listing_order import rare_cell_counts, run_block, spread_ranks
from headroom.compressors._table_rows import whole_rows
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    fill_within_budget,
    kept_lines_result,
    per_length,
    pieces_estimator,
    token_estimator,
)
from headroom.engine.detect import ContentKind, Detection, Sample, listing_columns
from headroom.engine.query import lines_with

__all__ = ["ListingCompressor", "not_a_listing", "path_columns"]

_SHORT_SHARE = 0.8  # of the budget the rows listed in short may take, their short cells with them
# A path: a slash in it, or a file name with an extension; `dir:` heads of `ls -R` too.
_PATH = re.compile(r"[^\s:]*/[^\s]*|[\w.@+-]+\.[A-Za-z0-9]{1,8}|\.?/?[\w./@+-]+:")
_PATH_SHARE = 0.8  # share of the lines that must end in a path
_MIN_PATH_ROWS = 8
_MAX_PATH_FIELDS = 10  # fields before the path (`find -printf`, `tar tvf`, `du`)
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]{2,8}:?")  # an offset or a group of bytes of a dump
_DUMP_SHARE = 0.6  # cells of a row that are hex groups, in a dump (`xxd`, `hexdump -C`, `od`)
_RULE_CHARACTERS = " \t-=+|:"  # all a rule line holds
_TREE_BRANCH = re.compile(r"[ \t\u00a0│|]*(?:├──|└──|\|--|`--) ")
_RULED = " | "  # a table ruled by bars (psql, `-X importtime`, Markdown): not split on blanks


def not_a_listing(lines: Sequence[str]) -> bool:
    """Rows that line up without being records of named cells: a hex dump, whose cells are
    offsets and byte groups, a table ruled by bars, whose cells hold blanks, or a `tree`,
    whose glyphs say each name's depth (all lose what they say when their cells are
    rewritten, so their lines are kept as they are)."""
    return _not_rows_of_cells(_head_rows(lines))


def path_columns(lines: Sequence[str]) -> int | None:
    """The number of columns when `lines` are a path listing, else None: most lines end in
    a path, after at most ten short fields (`dpkg -L`, `git ls-files`, `find -printf`,
    `du -ah`, `tar tvf`, `pip show -f`, `ls -R`). The columns are those of the most common
    row shape; the last one, the path, runs to the end of the line."""
    return _path_columns(_head_rows(lines))


def _head_rows(lines: Sequence[str]) -> tuple[str, ...]:
    """The non-blank lines of the first 400, which say what a payload is: asked of the
    sample to detect a listing, then of the payload to compress it (the same rows when it is
    short, so each answer below is worked out once)."""
    return tuple(filter(str.strip, lines[:400]))


@lru_cache(maxsize=4)
def _not_rows_of_cells(rows: tuple[str, ...]) -> bool:
    if not rows:
        return False
    if sum(map(contains, rows, repeat(_RULED))) >= len(rows) / 2:
        return True
    if len(rows) - list(map(_TREE_BRANCH.match, rows)).count(None) >= len(rows) / 2:
        return True  # `tree`: the glyphs before each name are its depth, not a cell
    if not _HEX_GROUP.fullmatch(rows[-1].split(maxsplit=1)[0]):
        return False  # the quick no: every row of a dump starts with its offset
    dumped = 0
    for row in rows:
        cells = row.split()
        dumped += sum(1 for cell in cells if _HEX_GROUP.fullmatch(cell)) >= _DUMP_SHARE * len(cells)
    return dumped >= len(rows) / 2


@lru_cache(maxsize=4)
def _path_columns(rows: tuple[str, ...]) -> int | None:
    if len(rows) < _MIN_PATH_ROWS:
        return None
    # The quick no: too few rows end in a path, whatever their fields (each read from its end).
    last_words = map(itemgetter(-1), map(str.rsplit, rows, repeat(None), repeat(1)))
    ending_in_paths = list(compress(rows, map(_PATH.fullmatch, last_words)))
    if len(ending_in_paths) < len(rows) * _PATH_SHARE:
        return None
    # Split once past the fields a path row may have: a longer row shows one too many.
    most = _MAX_PATH_FIELDS + 1
    sizes = map(len, map(str.split, ending_in_paths, repeat(None), repeat(most)))
    counts = Counter(size for size in sizes if size <= most)
    if sum(counts.values()) < len(rows) * _PATH_SHARE:
        return None
    return counts.most_common(1)[0][0]


@dataclass(frozen=True)
class _Rows:
    """The lines that are rows, and their cells column by column (the last cell of a row
    runs to the end of its line)."""

    lines: list[int]
    columns: list[tuple[str, ...]]


class ListingCompressor:
    """Column listings: rare rows whole, every other row by its key cell."""

    kind: ContentKind = "listing"
    name = "listing"
    max_confidence = 0.6  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Rows of padded, aligned columns, or rows that end in a path (see `path_columns`)."""
        if listing_columns(sample.lines) is None and path_columns(sample.lines) is None:
            return None
        if not_a_listing(sample.lines):
            return None
        return Detection("listing", confidence=0.6)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        lines = split_lines(text)
        columns = listing_columns(lines) or path_columns(lines)
        if columns is None or not_a_listing(lines):
            return None
        rows = _rows(lines, columns)
        if len(rows.lines) < 8:
            return None
        key = key_column(rows.columns)
        dropped = constant_columns(rows.columns, key)
        header: int | None = None
        if not dropped:  # a header row (`Name Version ...`) is no row of values
            dropped = constant_columns([column[1:] for column in rows.columns], key)
            header = rows.lines[0] if dropped else None
        narrow = is_padded(lines, rows.lines, columns)
        if blanks_in_cells(lines, rows.lines):
            return None  # cells hold blanks: they cannot be told apart (the lines stay)
        tokens = ctx.counter.count(text)
        if (dropped or narrow) and not ragged(lines, rows.lines, columns):
            # (a ragged column's blanks say something: no column is left out or narrowed)
            shape = _Compaction(columns, key, dropped, header, narrow)
            compacted = _compacted(text, lines, rows, shape, tokens, ctx)
            if compacted is not None:
                return compacted
            # Nothing to gain, or the rows did not split the same way again: as they are.
        if tokens <= ctx.budget_tokens:
            return None  # within budget: nothing is worth losing
        return _lossy(text, lines, rows, key, ctx)


@dataclass(frozen=True)
class _Compaction:
    """The lossless form of a listing: which columns are constant (left out, stated once),
    whether the first row is a header, whether the padding is narrowed."""

    columns: int
    key: int
    dropped: list[int]
    header: int | None
    narrow: bool


def _compacted(
    original: str,
    lines: list[str],
    rows: _Rows,
    shape: _Compaction,
    tokens: int,
    ctx: CompressContext,
) -> Compressed | None:
    """Lossless first: the constant columns stated once, the rows without them (a header
    row keeps its cells) and the padding narrowed; past the budget, the rows so reduced go
    through the lossy selection. None when that form saves nothing."""
    left_out = set(shape.dropped)
    row_lines = set(rows.lines)
    reduced = list(lines)
    rows_reduced = rows_without_columns(
        lines, rows.lines, rows.columns, left_out, header=shape.header, narrow=shape.narrow
    )
    for index, row in zip(rows.lines, rows_reduced, strict=True):
        reduced[index] = row
    text = "\n".join(reduced)
    values = rows.columns if shape.header is None else [column[1:] for column in rows.columns]
    detail = note_detail(shape.dropped, values, len(row_lines - {shape.header}), shape.narrow)
    reduced_tokens = _reduced_tokens(original, text, tokens)
    if reduced_tokens + MARKER_TOKENS * 3 <= ctx.budget_tokens:
        note = format_note(ctx.ref, detail)
        if reduced_tokens + MARKER_TOKENS * 3 >= tokens:
            return None  # the note would cost about what the form saves
        total = len(rows.lines)
        return Compressed(text=f"{note}\n{text}", ref=ctx.ref, kept=total, total=total, unit="rows")
    narrower = _rows(reduced, shape.columns - len(shape.dropped))
    if narrower.lines != rows.lines:
        return None  # cells did not split the same way again: leave the listing alone
    key = shape.key - sum(1 for d in shape.dropped if d < shape.key)
    numbers = [column + 1 for column in range(shape.columns) if column not in left_out]
    lossy = _lossy(text, reduced, narrower, key, ctx, numbers)
    if lossy is None:
        return None
    return replace(lossy, text=f"{format_detail(detail)}\n{lossy.text}")


# Padding: a run of two or more blanks (spaces or tabs) after a non-blank character. With
# the tabs made spaces, the search skips to each pair of spaces at once.
_PADDING = re.compile(r"  (?<=\S  ) *")


def _paddings(text: str) -> int:
    return len(_PADDING.findall(text.replace("\t", " ")))


def _reduced_tokens(original: str, reduced: str, tokens: int) -> int:
    """About how many tokens the reduced listing costs, without a tokenizer pass: a run of
    blanks narrowed saves about one token, a cell left out its characters at the listing's
    rate (the output is counted exactly once, by the router)."""
    narrowed = _paddings(original) - _paddings(reduced)

    def inked(text: str) -> int:
        return len(text) - text.count(" ") - text.count("\t")

    rate = tokens / max(1, inked(original))
    return max(0, tokens - narrowed - int(rate * (inked(original) - inked(reduced))))


def _lossy(
    text: str,
    lines: list[str],
    rows: _Rows,
    key: int,
    ctx: CompressContext,
    numbers: Sequence[int] | None = None,
) -> Compressed | None:
    """Rare and named rows whole, every other row by its key cell (`numbers`: each
    column's number in the original listing, when columns were left out of `rows`); or,
    when even the key cells do not fit, or the rows stand in sections (`ls -R`'s
    directories: a key cell listed apart from its section would lose it), whole rows in
    runs with the gaps marked."""
    keys = rows.columns[key]
    estimate = per_length(token_estimator(text, ctx.counter))
    # Key cells are denser than padded rows: their own rate, from one count of the column.
    key_estimate = per_length(pieces_estimator(keys, ctx.counter))
    row_texts = list(map(lines.__getitem__, rows.lines))
    costs = dict(zip(rows.lines, _line_costs(row_texts, estimate), strict=True))
    key_costs = dict(zip(rows.lines, _line_costs(keys, key_estimate), strict=True))
    row_lines = set(rows.lines)
    fixed = sum(_line_costs([ln for i, ln in enumerate(lines) if i not in row_lines], estimate))
    forced = set(lines_with(lines, ctx.focus)) & row_lines | {rows.lines[0]}
    rarity = rare_cell_counts(rows.columns, key)
    # Some line between the second row and the last is no row (the rows are in order).
    sectioned = rows.lines[-1] - rows.lines[1] != len(rows.lines) - 2
    if sectioned or fixed + sum(key_costs.values()) + MARKER_TOKENS > ctx.budget_tokens:
        by_key = [key_costs[line] for line in rows.lines]
        if not sectioned and sum(by_key) <= KEYS_WORTH_IT * sum(costs.values()):
            ranks = spread_ranks(len(by_key), run_block(by_key))
            listed = keys_in_runs(
                lines,
                rows.lines,
                keys,
                whole_order=_row_order(rows, rarity)[: sum(1 for rare in rarity if rare)],
                key_order=sorted(range(len(by_key)), key=ranks.__getitem__),
                forced=forced,
                costs=costs,
                key_costs=by_key,
                fixed=fixed,
                budget=ctx.budget_tokens,
                ref=ctx.ref,
                column=(numbers[key] if numbers is not None else key + 1),
            )
            if listed is not None:
                return listed
        # Gaps cost a marker each: rows in runs long enough that markers are a tenth.
        order = _row_order(rows, rarity, run_block(list(costs.values())))
        return _whole_rows_only(lines, rows, order, forced, costs, fixed, ctx)
    order = _row_order(rows, rarity)
    # The other rows by their key cell, with the short cells beside it (a package's version
    # and architecture, not its description) when those fit too.
    shown = short_columns(rows.columns, key)
    short = [" ".join(cells) for cells in zip(*(rows.columns[c] for c in shown), strict=True)]
    short_costs = dict(zip(rows.lines, _line_costs(short, key_estimate), strict=True))
    if (
        len(shown) > 1
        and fixed + sum(short_costs.values()) + MARKER_TOKENS * 2
        <= ctx.budget_tokens * _SHORT_SHARE
    ):
        keys, key_costs = tuple(short), short_costs
    else:
        shown = [key]
    spent = fixed + sum(key_costs.values()) + MARKER_TOKENS
    whole = whole_rows(
        order, forced, lambda line: costs[line] - key_costs[line], spent, ctx.budget_tokens
    )
    if len(whole) == len(rows.lines):
        return None
    body = [line for i, line in enumerate(lines) if i not in row_lines or i in whole]
    named = [cell for line, cell in zip(rows.lines, keys, strict=True) if line not in whole]
    number = numbers if numbers is not None else range(1, len(rows.columns) + 1)
    columns = ", ".join(str(number[c]) for c in shown)
    note = format_note(
        ctx.ref,
        f"kept {len(whole)} of {len(rows.lines)} rows whole, the other {len(named)} are "
        f"listed below by column{'s' if len(shown) > 1 else ''} {columns} only, one per line",
    )
    return Compressed(
        text="\n".join([*body, note, *named]),
        ref=ctx.ref,
        kept=len(whole),
        total=len(rows.lines),
        unit="rows",
    )


def _line_costs(pieces: Sequence[str], estimate: Callable[[str], int]) -> list[int]:
    """Each piece's tokens (`estimate`, a `per_length` one: worked out once per length) and
    its line break."""
    return [estimate(piece) + 1 for piece in pieces]


def _rows(lines: Sequence[str], columns: int) -> _Rows:
    """Lines with at least `columns` fields, split into that many cells (the last one runs
    to the end of the line); a rule under a header (`---------  ----------`) is no row."""
    # The white space of `str.split` is that of `\S` and of `str.rstrip`: the last field
    # keeps the rest of the line, its leading and (stripped first) trailing blanks dropped.
    fields = [line.rstrip().split(None, columns - 1) for line in lines]
    indices = [
        index
        for index, cells in enumerate(fields)
        if len(cells) >= columns and lines[index].strip(_RULE_CHARACTERS)
    ]
    if not indices:
        return _Rows(indices, [() for _ in range(columns)])
    return _Rows(indices, list(zip(*(fields[index] for index in indices), strict=True)))


def _row_order(rows: _Rows, rarity: list[int], block: int = 1) -> list[int]:
    """Row lines, the ones with rare cells (outside the key) first, then an even spread by
    runs of `block` rows."""
    spread = spread_ranks(len(rows.lines), block)
    # By rarity, then by spread: two stable sorts on C keys, no tuple a row.
    ranked = sorted(range(len(rows.lines)), key=spread.__getitem__)
    ranked.sort(key=[-rare for rare in rarity].__getitem__)
    return list(map(rows.lines.__getitem__, ranked))


def _whole_rows_only(
    lines: Sequence[str],
    rows: _Rows,
    order: Sequence[int],
    forced: set[int],
    costs: dict[int, int],
    fixed: int,
    ctx: CompressContext,
) -> Compressed | None:
    row_lines = set(rows.lines)
    kept = set(range(len(lines))) - row_lines | forced
    spent = fixed + sum(costs[i] for i in forced)
    fill_within_budget(order, kept, costs.__getitem__, spent, ctx.budget_tokens, len(lines))
    return kept_lines_result(lines, kept, ctx.ref)
