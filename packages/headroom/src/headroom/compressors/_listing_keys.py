"""A listing too long for even one key cell per row: some rows whole, the key cells of as
many others as fit, in runs, each gap among them marked with its exact count of rows.

A key cell (a path, a package name) costs about half its row, so past that budget twice as
many rows can still be named as whole rows would show; the rows with rare cells (and those
the question names) stay whole first, within a share of the budget.
"""

from __future__ import annotations

from collections.abc import Sequence

from headroom.ccr.markers import format_gap, format_note
from headroom.compressors.base import MARKER_TOKENS, Compressed, fill_within_budget

__all__ = ["KEYS_WORTH_IT", "keys_in_runs"]

KEYS_WORTH_IT = 0.6  # key cells must cost at most this share of their rows to be listed
_WHOLE_SHARE = 0.25  # of the budget the rows with rare cells may take whole


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
