"""The order in which a listing's rows are wanted: those with rare cells first (the odd
owner, the one symlink, the largest sizes), then an even spread over the listing, in runs
long enough that the gaps between them cost little."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, compress, islice

from headroom.compressors._listing_columns import extremes
from headroom.compressors._ranking import spread_order
from headroom.compressors.base import MARKER_TOKENS

__all__ = ["rare_cell_counts", "run_block", "spread_ranks"]

_EXTREME_WEIGHT = 2


def rare_cell_counts(columns: Sequence[Sequence[str]], key: int) -> list[int]:
    """How many rare cells (outside the key) each row has. A cell is rare when at most 2% of
    the rows (or 2) share it: a symlink among directories, the one big file, the odd owner
    or date."""
    rare = max(2, len(columns[key]) // 50)
    everywhere = 0  # columns whose every cell is rare
    rare_rows: list[Iterable[int]] = []  # of each other column, the rows of its rare cells
    for column, cells in enumerate(columns):
        if column == key:
            continue
        counts = Counter(cells)
        rare_cells = {cell for cell, n in counts.items() if n <= rare}
        if len(rare_cells) == len(counts):
            everywhere += 1
        elif rare_cells:
            rare_rows.append(compress(range(len(cells)), map(rare_cells.__contains__, cells)))
    out = [everywhere] * len(columns[key])
    for row, count in Counter(chain.from_iterable(rare_rows)).items():
        out[row] += count
    for column, cells in enumerate(columns):
        if column != key:
            for row in extremes(cells):
                out[row] += _EXTREME_WEIGHT
    return out


def spread_ranks(count: int, block: int) -> list[int]:
    """Each of `count` positions' rank in an even spread by runs of `block` positions."""
    runs = -(-count // block)
    run_ranks = [0] * runs
    for rank, run in enumerate(spread_order(runs)):
        run_ranks[run] = rank
    if block == 1:
        return run_ranks
    # Each run's positions in a row, the last run cut short at `count`.
    ranks = chain.from_iterable(range(rank * block, (rank + 1) * block) for rank in run_ranks)
    return list(islice(ranks, count))


def run_block(costs: Sequence[int]) -> int:
    """Rows per run for gaps to cost about a tenth of what the runs shown cost."""
    return -(-MARKER_TOKENS * 10 * len(costs) // max(1, sum(costs)))
