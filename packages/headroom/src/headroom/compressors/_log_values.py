"""Lines ranked by the values they carry that few other lines do: an IP, a block id or a
user that turns up once says more than the thousandth heartbeat. Values whose shape
(digits as 9) is a clock, on most lines and different on nearly every one (timestamps,
sequence numbers), are not rare for being unique."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import chain

from headroom.compressors._ranking import spread_order

__all__ = ["by_rare_values", "clock_shapes"]

_RARE_VALUE_LINES = 2  # a value found in at most this many lines is rare
_RARE_VALUES_COUNTED = 3  # a line ranks by up to this many rare values
_CLOCK_UNIQUE_SHARE = 0.9  # values of one shape this unique across lines are a clock
_CLOCK_LINE_SHARE = 0.5  # ... when that shape is on at least this share of a log's lines
_ASCII_DIGITS_TO_9 = str.maketrans("0123456789", "9" * 10)
# Variable parts of a line worth telling apart: ids, addresses, paths, numbers with context
# (tried only where a run of such characters starts, so long words stay linear).
_VALUE = re.compile(r"(?<![A-Za-z0-9_./:$-])[A-Za-z_./:$-]*[0-9][A-Za-z0-9_./:$-]*")


def by_rare_values(lines: list[str]) -> list[int]:
    """Every line, those carrying values seen in few lines first (an IP, a block id, a user
    that turns up once says more than the thousandth heartbeat), then spread evenly."""
    values = [set(_VALUE.findall(line)) for line in lines]
    seen: Counter[str] = Counter(chain.from_iterable(values))
    clocks, shapes = clock_shapes(values, seen, list(seen), _CLOCK_LINE_SHARE)
    rare_values = {v for v, n in seen.items() if n <= _RARE_VALUE_LINES and shapes[v] not in clocks}
    rare = [len(found & rare_values) for found in values]
    spread = spread_order(len(lines))
    rank = {index: position for position, index in enumerate(spread)}
    return sorted(range(len(lines)), key=lambda i: (-min(rare[i], _RARE_VALUES_COUNTED), rank[i]))


def clock_shapes(
    per_line: Sequence[set[str]], seen: Counter[str], shaped: list[str], share: float
) -> tuple[set[str], dict[str, str]]:
    """The shapes (digits as 9) of the `shaped` values (those of `seen`, the count of lines
    holding each, that have digits) found on at least `share` of the lines and different on
    nearly every one (timestamps, sequence numbers): being unique says nothing about such a
    line. Also each shaped value's shape (one translation of them all: values are runs
    without line breaks)."""
    if not shaped:
        return set(), {}
    shape = dict(
        zip(shaped, "\n".join(shaped).translate(_ASCII_DIGITS_TO_9).split("\n"), strict=True)
    )
    lines_with: Counter[str] = Counter(
        chain.from_iterable({shape[v] for v in found if v in shape} for found in per_line)
    )
    distinct: Counter[str] = Counter(shape.values())
    unique: Counter[str] = Counter(shape[v] for v in shaped if seen[v] == 1)
    least = share * len(per_line)
    clocks = {
        s
        for s, n in lines_with.items()
        if n >= least and unique[s] >= _CLOCK_UNIQUE_SHARE * distinct[s]
    }
    return clocks, shape
