"""Repeated lines across tool outputs: what each line shows, which lines an output shows
verbatim, and the runs of a later output that an earlier one already shows.

The content of a line is what it shows of a file, with the tool's framing taken off: the
line numbers of `cat -n` and editor views (`    75→...`, `75: ...`), grep's `path:12:` and
`path-12-` prefixes, a diff's context space. Framing is recognised per output (most of its
lines must carry it), so a plain file's `12: foo` line keeps its text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from headroom.ccr.markers import ANY_MARKER_RE, parse_pointer

__all__ = [
    "Run",
    "RunWorth",
    "ShownIndex",
    "line_contents",
    "own_runs",
    "repeats_hold",
    "shown_positions",
]

_FRAMINGS = (
    re.compile(r" *\d+\t"),  # cat -n
    re.compile(r" *\d+→"),  # editor views (Claude Code's Read)
    re.compile(r" *\d+: "),  # `75: ...`
    re.compile(r" *\d+ \| "),  # `75 | ...`
    re.compile(r"[^\s:][^:\n]*?[:-]\d+[:-]"),  # grep -n over files: path:12:match, path-12-context
    re.compile(r"\d+[:-]"),  # grep -n over one file
)
_FRAMED_SHARE = 0.8
_DIFF_HEAD = re.compile(r"^(?:diff --git |@@ -\d)", re.M)
_GAP = re.compile(r"\[headroom: (\d+) lines?\]")
_MARKER_TEXT = "[headroom: "  # what every marker holds: lines without it are no marker
_CANDIDATES = 64  # starts tried per line: the most recent ones (blank lines recur everywhere)
_OWN_CANDIDATES = 4  # the same within one output, where a repeat most often copies the last


def line_contents(lines: Sequence[str]) -> list[str | None]:
    """What each line shows of a file (see the module docstring); None for a line that
    shows none (a diff's headers, added and removed lines)."""
    if len(lines) > 1 and _DIFF_HEAD.search("\n".join(lines[:400])):
        return [line[1:].rstrip() if line.startswith(" ") else None for line in lines]
    filled = [line for line in lines if line.strip()]
    for framing in _FRAMINGS:
        framed = sum(1 for line in filled if framing.match(line))
        if filled and framed >= _FRAMED_SHARE * len(filled):
            return [_unframed(framing, line) for line in lines]
    return [line.rstrip() for line in lines]


def _unframed(framing: re.Pattern[str], line: str) -> str:
    match = framing.match(line)
    return (line[match.end() :] if match else line).rstrip()


def shown_positions(
    original: Sequence[str], output: Sequence[str], contents: Sequence[str | None] = ()
) -> list[int | None]:
    """For each output line, the index of the original line it shows verbatim (whole, or
    its content without framing when `contents` are given: a table form that states a
    line-number column once), or None (a marker, a re-rendered or neutralised line). Kept
    lines are in order; a gap marker or a pointer moves past the lines it stands for."""
    if list(original) == list(output):
        return list(range(len(output)))
    where: dict[str, list[int]] | None = None  # built when a kept line is not the next one
    positions: list[int | None] = []
    cursor = 0
    for line in output:
        marker = ANY_MARKER_RE.search(line) if _MARKER_TEXT in line else None
        if marker is not None:
            cursor += _lines_behind(marker["detail"])
            positions.append(None)
            continue
        if cursor < len(original) and original[cursor] == line:
            position: int | None = cursor  # the common case: the next line, kept
        else:
            if where is None:
                where = _line_indices(original, contents)
            starts = where.get(line, [])
            at = bisect_left(starts, cursor)
            position = starts[at] if at < len(starts) else None
        positions.append(position)
        if position is not None:
            cursor = position + 1
    return positions


def _line_indices(original: Sequence[str], contents: Sequence[str | None]) -> dict[str, list[int]]:
    """The indices of the original lines that show each text (as they read, or their
    content when it differs), in order."""
    where: dict[str, list[int]] = {}
    for index, line in enumerate(original):
        where.setdefault(line, []).append(index)
    for index, content in enumerate(contents):
        if content and content != original[index]:
            where.setdefault(content, []).append(index)
    for found in where.values():
        found.sort()
    return where


def _lines_behind(detail: str) -> int:
    """Original lines a marker stands for, when it says (a gap, a pointer)."""
    gap = _GAP.fullmatch(f"[headroom: {detail}]")
    if gap:
        return int(gap.group(1))
    pointer = parse_pointer(detail)
    return pointer.lines if pointer else 0


@dataclass(frozen=True)
class Run:
    """Output lines `start`..`start + length - 1` of a later output show what lines
    `line`..`line + length - 1` (from 0) of earlier output `source` show."""

    start: int
    length: int
    source: int
    line: int


@dataclass
class ShownIndex:
    """The contents earlier outputs show verbatim, by content, in conversation order."""

    shown: list[list[str | None]] = field(default_factory=list)
    """Per earlier output, per original line: its content if shown verbatim, else None."""
    where: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No earlier output shows anything."""
        return not self.where

    def add(self, contents: Sequence[str | None], visible: Sequence[int]) -> int:
        """Record an output whose original lines at `visible` are shown; its number."""
        number = len(self.shown)
        keys: list[str | None] = [None] * len(contents)
        for index in sorted(set(visible)):
            keys[index] = contents[index]
        self.shown.append(keys)
        for index, key in enumerate(keys):
            if key is not None:
                self.where.setdefault(key, []).append((number, index))
        return number

    def runs(self, keys: Sequence[str | None], worth: Callable[[Run], bool]) -> list[Run]:
        """Runs of `keys` (contents of a later output's lines, None for lines that show
        none) that an earlier output shows as consecutive lines and that are `worth` a
        pointer, left to right: the longest at each start, the most recent output on a tie."""
        found: list[Run] = []
        if self.empty:
            return found
        start = 0
        while start < len(keys):
            best = self._longest(keys, start)
            if best is None or not worth(best):
                start += 1
                continue
            found.append(best)
            start += best.length
        return found

    def _longest(self, keys: Sequence[str | None], start: int) -> Run | None:
        key = keys[start]
        if key is None:
            return None
        best: Run | None = None
        for source, line in reversed(self.where.get(key, [])[-_CANDIDATES:]):
            shown = self.shown[source]
            length = 1
            while (
                start + length < len(keys)
                and line + length < len(shown)
                and keys[start + length] is not None
                and shown[line + length] == keys[start + length]
            ):
                length += 1
            if best is None or length > best.length:
                best = Run(start, length, source, line)
        return best


@dataclass(frozen=True)
class RunWorth:
    """Whether a run of an output's lines is worth a pointer: its lines hold more than
    `floor` characters (the quick no: fewer than the tokens it must cost) and cost at least
    `floor` tokens."""

    lines: Sequence[str]
    ends: Sequence[int]
    """ends[i]: the characters of the lines before line i, newlines counted."""
    floor: int
    tokens: Callable[[str], int]

    def holds_enough(self, start: int, end: int) -> bool:
        """Whether lines `start`..`end - 1` hold more characters than the floor."""
        return self.ends[end] - self.ends[start] > self.floor

    def __call__(self, run: Run) -> bool:
        end = run.start + run.length
        if not self.holds_enough(run.start, end):
            return False
        return self.tokens("\n".join(self.lines[run.start : end])) >= self.floor


def own_runs(
    keys: Sequence[str | None],
    positions: Sequence[int | None],
    worth: RunWorth,
    taken: Sequence[Run],
    source: int,
) -> list[Run]:
    """Runs of `keys` (an output's lines) that repeat consecutive lines shown earlier in the
    same output (its output `source`), left to right, the longest at each start among the
    most recent showings: what a repeated block of one payload (the same YAML stanza, the
    same traceback) may point at. Lines of `taken` runs are neither repeats nor what a
    repeat points at, and a repeat points only at lines it leaves shown."""
    heads = list(keys)  # what each line shows as the first of a repeat (None: nothing)
    for run in taken:
        heads[run.start : run.start + run.length] = [None] * run.length
    links = _links(heads, positions)
    earlier: dict[str, list[int]] = {}  # the lines before the start a repeat may point at
    found: list[Run] = []
    resume = 0  # the line after the last run found
    holds_enough = worth.holds_enough
    for start, key in enumerate(heads):
        if key is None or start < resume:
            continue
        shown = earlier.get(key)
        if shown is None:
            earlier[key] = [start]
            continue
        best_line = best_length = 0
        for line in reversed(shown[-_OWN_CANDIDATES:]):
            length = 1  # the showing ends before the repeat starts
            while links[start + length] == links[line + length] and line + length < start:
                length += 1
            if length > best_length:
                best_line, best_length = line, length
        if holds_enough(start, start + best_length):  # asked before making a Run: most hold few
            at = positions[best_line]
            run = Run(start, best_length, source, at if at is not None else 0)
            if worth(run):
                found.append(run)
                resume = start + best_length
                links[start:resume] = range(start, resume)  # no repeat points into it
                continue
        shown.append(start)
    return found


def _links(heads: Sequence[str | None], positions: Sequence[int | None]) -> list[str | int]:
    """What each line shows as a later line of a repeat: its content when it continues the
    line before (both shown, in a row in the original); else its own number, which no
    other line's equals. One number more, past the end, continues nothing."""
    links: list[str | int] = [
        head if head is not None and before is not None and at == before + 1 else index
        for index, (head, before, at) in enumerate(
            zip(heads, [None, *positions], positions, strict=False)
        )
    ]
    links.append(-1)
    return links


def repeats_hold(lines: Sequence[str | None], chars: int) -> bool:
    """Whether the lines that, with the two lines before them, repeat three lines found
    earlier hold `chars` characters or more: what repeated blocks of three lines or more
    hold (a stray `}` or blank line recurring says nothing). Counting stops there."""
    seen: set[tuple[str | None, str | None, str | None]] = set()
    total = 0
    for window in zip(lines, lines[1:], lines[2:], strict=False):
        if window[2] is None:
            continue
        if window in seen:
            total += len(window[2]) + 1
            if total >= chars:
                return True
        else:
            seen.add(window)
    return total >= chars
