"""Long string literals on one line (a generated module's serialized descriptor, an
embedded blob): past the budget their middle goes, inside the literal, so the line still
parses. The line keeps its verbatim start, a marker counting what was cut, and its verbatim
end, as the integrity rule allows."""

from __future__ import annotations

from typing import Any

from headroom.ccr.markers import format_gap

__all__ = ["LONG_LINE", "long_string_cuts"]

LONG_LINE = 2000  # bytes: a line this long is looked at for a string literal to cut
_HEAD = 240  # bytes of the literal kept before the marker ...
_TAIL = 60  # ... and after it
_ESCAPE_REACH = 10  # an escape sequence is at most this long (`\U0001F600`)
_STRING_TYPES = frozenset(
    {
        "string",
        "string_literal",
        "raw_string_literal",
        "interpreted_string_literal",
        "template_string",
    }
)
# A part that is code, not text: cutting across it would break the line.
_INTERPOLATION_TYPES = frozenset(
    {"interpolation", "template_substitution", "format_expression", "escape_interpolation"}
)

Cut = tuple[int, int, bytes]  # (start byte, end byte, replacement)


def long_string_cuts(
    root: Any, lines: list[bytes], starts: list[int], keep: set[int] | None = None
) -> list[Cut]:
    """The cut of each string literal that runs over most of a long line: its middle
    replaced by a marker (`[headroom: 17000 characters of this line cut]`), never inside an
    escape sequence nor across an interpolation. Lines in `keep` (the question's) stay."""
    cuts: list[Cut] = []
    for row, line in enumerate(lines):
        if len(line) < LONG_LINE or (keep is not None and row in keep):
            continue
        middle = starts[row] + len(line) // 2
        node = root.descendant_for_byte_range(middle, middle)
        while node is not None and node.type not in _STRING_TYPES:
            node = node.parent
        if node is None or node.start_point[0] != row or node.end_point[0] != row:
            continue
        if any(child.type in _INTERPOLATION_TYPES for child in node.children):
            continue
        cut = _middle_cut(line, node.start_byte - starts[row], node.end_byte - starts[row])
        if cut is not None:
            begin, end = cut
            marker = format_gap(end - begin, "characters of this line cut").encode()
            cuts.append((starts[row] + begin, starts[row] + end, marker))
    return cuts


def _middle_cut(line: bytes, start: int, end: int) -> tuple[int, int] | None:
    """Bytes `begin`..`end` of `line` to cut out of the literal at `start`..`end`: after
    its first `_HEAD` bytes and before its last `_TAIL`, both moved off any escape."""
    begin = _off_escape(line, start + _HEAD, start)
    finish = _off_escape(line, end - _TAIL, begin)
    # The kept end must hold no `#` or `//`: after a marker it would read as a comment.
    comment = max(line.rfind(b"#", finish), line.rfind(b"//", finish) + 1)
    if comment >= end:
        return None  # a comment after the literal: the line stays whole
    if comment >= finish:
        finish = comment + 1  # right after a `#` or `/`: no escape is split there
    if finish - begin < LONG_LINE // 2:
        return None  # too little to cut to be worth a marker
    return begin, finish


def _off_escape(line: bytes, position: int, floor: int) -> int:
    """`position`, moved back to the start of an escape sequence it would split (and of a
    run of backslashes), so the bytes before it end no escape half-way."""
    backslash = line.rfind(b"\\", max(floor, position - _ESCAPE_REACH), position)
    if backslash >= 0:
        position = backslash
    while position > floor and line[position - 1 : position] == b"\\":
        position -= 1
    return position
