"""Lines ranked by the values they carry that few other lines do: an IP, a block id or a
user that turns up once says more than the thousandth heartbeat. Values whose shape
(digits as 9) is a clock, on most lines and different on nearly every one (timestamps,
sequence numbers), are not rare for being unique."""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain

from headroom.compressors._ranking import spread_order

__all__ = ["by_rare_values"]

_RARE_VALUE_LINES = 2  # a value found in at most this many lines is rare
_RARE_VALUES_COUNTED = 3  # a line ranks by up to this many rare values
_CLOCK_UNIQUE_SHARE = 0.9  # values of one shape this unique across lines are a clock
_ASCII_DIGITS_TO_9 = str.maketrans("0123456789", "9" * 10)
# Variable parts of a line worth telling apart: ids, addresses, paths, numbers with context
# (tried only where a run of such characters starts, so long words stay linear).
_VALUE = re.compile(r"(?<![A-Za-z0-9_./:$-])[A-Za-z_./:$-]*[0-9][A-Za-z0-9_./:$-]*")


def by_rare_values(lines: list[str]) -> list[int]:
    """Every line, those carrying values seen in few lines first (an IP, a block id, a user
    that turns up once says more than the thousandth heartbeat), then spread evenly."""
    values = [set(_VALUE.findall(line)) for line in lines]
    seen: Counter[str] = Counter(chain.from_iterable(values))
    shapes = _shapes(list(seen))
    clocks = _clock_shapes(values, seen, shapes)
    rare_values = {v for v, n in seen.items() if n <= _RARE_VALUE_LINES and shapes[v] not in clocks}
    rare = [len(found & rare_values) for found in values]
    spread = spread_order(len(lines))
    rank = {index: position for position, index in enumerate(spread)}
    return sorted(range(len(lines)), key=lambda i: (-min(rare[i], _RARE_VALUES_COUNTED), rank[i]))


def _shapes(values: list[str]) -> dict[str, str]:
    """Each value with every digit as 9, in one translation of them all (values are ASCII
    runs without line breaks)."""
    shaped = "\n".join(values).translate(_ASCII_DIGITS_TO_9).split("\n")
    return dict(zip(values, shaped, strict=True))


def _clock_shapes(values: list[set[str]], seen: Counter[str], shapes: dict[str, str]) -> set[str]:
    """Shapes (digits as 9) of values on most lines and different on nearly every one
    (timestamps, sequence numbers): being unique says nothing about such a line."""
    shape_of = shapes.__getitem__
    lines_with_shape: Counter[str] = Counter(
        chain.from_iterable(set(map(shape_of, found)) for found in values)
    )
    distinct: Counter[str] = Counter(shapes.values())
    unique: Counter[str] = Counter(shapes[v] for v, n in seen.items() if n == 1)
    half = len(values) / 2
    return {
        shape
        for shape, count in lines_with_shape.items()
        if count >= half and unique[shape] >= _CLOCK_UNIQUE_SHARE * distinct[shape]
    }
