"""Records: the blank-line separated blocks of a payload that mostly open with one field
(`Package: ...` stanzas, apt's `Start-Date: ...` entries, `[section]`s). A line shown
from such a block keeps the block's first line, which says whose line it is."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["block_starts", "record_heads", "record_openings"]

_MIN_RECORDS = 3  # blocks opening with one field that make a payload's records
# A record's first field: a name and what ends it (`Package:`, `[section]`'s `[`, `id=`).
_LEADING_FIELD = re.compile(r"[^\W\d][\w.-]*[:=]|\[")


def block_starts(lines: Sequence[str]) -> list[int]:
    """The first line of each block of non-blank lines."""
    starts: list[int] = []
    previous_blank = True
    for i, line in enumerate(lines):
        if not line.strip():
            previous_blank = True
        elif previous_blank:
            starts.append(i)
            previous_blank = False
    return starts


def record_openings(lines: Sequence[str], starts: list[int], opening: list[int]) -> None:
    """In records, each unindented line of a block whose `opening` is not set yet (-1)
    belongs under the block's first line (`starts` as `block_starts` finds them)."""
    field = {i: _LEADING_FIELD.match(lines[i]) for i in starts}
    openers = Counter(found.group() for found in field.values() if found)
    if not openers:
        return
    record, blocks = openers.most_common(1)[0]
    if blocks < _MIN_RECORDS or blocks * 2 < len(starts):
        return
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        found = field[start]
        if found is None or found.group() != record:
            continue
        for i in range(start + 1, end):
            if opening[i] < 0 and lines[i].strip():
                opening[i] = start


def record_heads(lines: Sequence[str]) -> list[int]:
    """Each line's record's first line (-1 outside records, and for the first line)."""
    heads = [-1] * len(lines)
    record_openings(lines, block_starts(lines), heads)
    return heads
