"""A listing's key cells: the column that names its rows (`key_column`), and, for a listing
too long for even one key cell per row, some rows whole and the key cells of as many others
as fit, in runs, each gap among them marked with its exact count of rows (`keys_in_runs`).

A key cell (a path, a package name) costs about half its row, so past that budget twice as
many rows can still be named as whole rows would show; the rows with rare cells (and those
the question names) stay whole first, within a share of the budget.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from itertools import compress

from headroom.ccr.markers import format_gap, format_note
from headroom.compressors.base import MARKER_TOKENS, Compressed, fill_within_budget

__all__ = ["KEYS_WORTH_IT", "key_column", "keys_in_runs"]

KEYS_WORTH_IT = 0.6  # key cells must cost at most this share of their rows to be listed
_WHOLE_SHARE = 0.25  # of the budget the rows with rare cells may take whole
_LETTER = re.compile(r"[A-Za-z]")
_NO_LETTERS = str.maketrans("", "", string.ascii_letters)
_HASH_CHARS = 16
_HASH = re.compile(rf"[0-9a-fA-F]{{{_HASH_CHARS},}}")  # a checksum names no row: its neighbour does
# The ASCII bytes to delete from a column's cells (one a line) to count what each holds.
_ALL_BUT_LETTERS = bytes(b for b in range(128) if chr(b) not in string.ascii_letters + "\n")
_ALL_BUT_DIGITS = bytes(b for b in range(128) if chr(b) not in string.digits + "\n")
_HEX_DIGITS = string.hexdigits.encode()
_KEY_DISTINCT = 0.5  # share of distinct cells a column naming the rows has at least


def keys_in_runs(
    lines: Sequence[str],
    row_lines: Sequence[int],
    keys: Sequence[str],
    *,
    whole_order: Sequence[int],
    key_order: Sequence[int],
    forced: set[int],
    costs: dict[int, int],
    key_costs: Sequence[int],
    fixed: int,
    budget: int,
    ref: str,
    column: int,
) -> Compressed | None:
    """`whole_order`: row lines, the rarest first (only those with a rare cell); `key_order`:
    row positions (indices into `row_lines`) in the order their key cells are wanted;
    `key_costs` by position. None when every row would be named anyway."""
    spent = fixed + MARKER_TOKENS * 2 + sum(costs[line] for line in forced)
    whole = set(forced)
    for line in whole_order:
        if line not in whole and spent + costs[line] <= budget * _WHOLE_SHARE:
            whole.add(line)
            spent += costs[line]
    # The rows not whole, in their order: the key list's own positions, where each run of
    # rows left out is one marker (a row shown whole above breaks no run).
    others = [p for p, line in enumerate(row_lines) if line not in whole]
    slot = {p: j for j, p in enumerate(others)}
    chosen: set[int] = set()
    fill_within_budget(
        [slot[p] for p in key_order if p in slot],
        chosen,
        lambda j: key_costs[others[j]],
        spent,
        budget,
        len(others),
    )
    if len(chosen) == len(others):
        return None  # every row named: the caller's form of all key cells says it better
    named = {others[j] for j in chosen}
    row_set = set(row_lines)
    body = [line for i, line in enumerate(lines) if i not in row_set or i in whole]
    note = format_note(
        ref,
        f"kept {len(whole)} of {len(row_lines)} rows whole, {len(named)} of the other "
        f"{len(row_lines) - len(whole)} are listed below by column {column} only, one per "
        f"line, the rows left out between them counted",
    )
    return Compressed(
        text="\n".join([*body, note, *_runs(row_lines, keys, whole, named)]),
        ref=ref,
        kept=len(whole),
        total=len(row_lines),
        unit="rows",
    )


def _runs(
    row_lines: Sequence[int], keys: Sequence[str], whole: set[int], named: set[int]
) -> list[str]:
    """The named key cells (by row position) in row order, each run of rows left out
    (neither whole nor named) replaced by a gap marker with its count."""
    out: list[str] = []
    gap = 0
    for position, line in enumerate(row_lines):
        if line in whole:
            continue
        if position not in named:
            gap += 1
            continue
        if gap:
            out.append(format_gap(gap, "rows"))
            gap = 0
        out.append(keys[position])
    if gap:
        out.append(format_gap(gap, "rows"))
    return out


def key_column(columns: Sequence[Sequence[str]]) -> int:
    """The column that names a row: of the columns with words in them (not hashes) whose
    cells mostly differ, the most distinct; among near-ties, the shortest. Else the most
    distinct column of any cells."""
    best: tuple[float, float, int] | None = None
    kinds = [len(set(cells)) for cells in columns]
    for column, cells in enumerate(columns):
        distinct = kinds[column] / len(cells)
        if distinct < _KEY_DISTINCT:
            continue  # a state or a protocol shared by most rows names none of them
        length = sum(map(len, cells)) / len(cells)
        candidate = (round(distinct, 1), -length, -column)
        if best is not None and candidate <= best:
            continue  # it could not win: its words need no reading
        counts = Counter(cells)
        lettered, words = _letters_and_words(list(counts))
        least = len(cells) * 0.8
        if sum(compress(counts.values(), lettered)) < least:
            continue
        if sum(compress(counts.values(), words)) < least:
            continue
        best = candidate
    if best is not None:
        return -best[2]
    # No column of words names the rows (sockets, addresses): the most distinct one does.
    return max(range(len(kinds)), key=lambda column: (kinds[column], column))


def _letters_and_words(cells: Sequence[str]) -> tuple[list[bool], list[bool]]:
    """Whether each cell holds a letter, and whether it is a word (see `_is_word`). ASCII
    cells are counted all at once, one a line, each count a bytes pass in C."""
    joined = "\n".join(cells)
    if not joined.isascii() or joined.count("\n") != len(cells) - 1:
        return [_LETTER.search(cell) is not None for cell in cells], list(map(_is_word, cells))
    raw = joined.encode()
    letters = _count_per_line(raw, _ALL_BUT_LETTERS)
    digits = _count_per_line(raw, _ALL_BUT_DIGITS)
    not_hex = _count_per_line(raw, _HEX_DIGITS)  # a checksum has none
    words = [
        has > digit and (other > 0 or len(cell) < _HASH_CHARS)
        for has, digit, other, cell in zip(letters, digits, not_hex, cells, strict=True)
    ]
    return [has > 0 for has in letters], words


def _count_per_line(raw: bytes, deleted: bytes) -> list[int]:
    """How many bytes of each line of `raw` are left once those of `deleted` are."""
    return list(map(len, raw.translate(None, deleted).split(b"\n")))


def _is_word(cell: str) -> bool:
    """A cell that can name a row: more letters than digits in it (`libssl3:amd64`, a path),
    not a checksum nor a version (`1.2.3-1+deb12u1` holds letters too)."""
    if _LETTER.search(cell) is None or _HASH.fullmatch(cell):
        return False
    # `str.isdigit`'s digits beyond ASCII count too.
    digits = sum(c.isdigit() for c in cell)
    return len(cell) - len(cell.translate(_NO_LETTERS)) > digits
