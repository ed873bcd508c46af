"""Runs of sibling XML elements on one line: compact XML (a pytest junit report, a
generated build file) puts hundreds of `<testcase .../>` on a single line, where a
line-based selection can only keep or drop all of them.

A run is three or more consecutive elements of one tag, each self-closing or holding only
text, with nothing but blanks between them. Collapsed, the line keeps its start through the
run's first elements (as many as the budget leaves room for) and its end from the run's
last element on, and one XML comment in between counts the elements left out: the line
still parses and, like every cut, the original is retrievable. Only one run per line is
collapsed (the longest), so the line is a verbatim start, one marker and a verbatim end;
and only a run whose end does not read as a comment (`end_reads_as_comment`: a junit
failure message's `&#10;`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.ccr.markers import end_reads_as_comment, format_gap
from headroom.compressors.base import CompressContext

__all__ = ["ElementRun", "collapse_runs", "longest_run"]

# An element with no child elements: `<tag .../>` or `<tag ...>text</tag>`.
_ELEMENT = re.compile(r"<(?P<tag>[\w:.-]+)\b[^<>]*?(?:/>|>[^<>]*</(?P=tag)\s*>)")
_MIN_RUN = 3
_LONG_XML_LINE = 300  # characters: a line this long may hold a run of elements worth collapsing


@dataclass(frozen=True)
class ElementRun:
    """A run's elements after its first and before its last: where each of them ends in
    the line (`ends`, the first element's end first), and where the last element starts."""

    ends: tuple[int, ...]
    last_start: int

    @property
    def inner(self) -> int:
        """Characters between the first element's end and the last element's start."""
        return self.last_start - self.ends[0]

    def collapsed(self, line: str, room: int = 0) -> str:
        """`line` with the run's elements after the first ones that fit in `room`
        characters, and before its last one, left out and counted in one XML comment."""
        keep = 1
        while keep < len(self.ends) and self.ends[keep] - self.ends[0] <= room:
            keep += 1
        if keep == len(self.ends):
            return line
        marker = format_gap(len(self.ends) - keep, "elements")
        return f"{line[: self.ends[keep - 1]]}<!-- {marker} -->{line[self.last_start :]}"


def longest_run(line: str) -> ElementRun | None:
    """The longest run of sibling elements in `line` (by characters) whose end reads as no
    comment, or None when no run holds three elements or more."""
    best: ElementRun | None = None
    run: list[re.Match[str]] = []
    for found in [*_ELEMENT.finditer(line), None]:
        if (
            found is not None
            and run
            and found["tag"] == run[-1]["tag"]
            and not line[run[-1].end() : found.start()].strip()
        ):
            run.append(found)
            continue
        if len(run) >= _MIN_RUN and not end_reads_as_comment(line, run[-1].start()):
            candidate = ElementRun(tuple(m.end() for m in run[:-1]), run[-1].start())
            if best is None or candidate.inner > best.inner:
                best = candidate
        run = [found] if found is not None else []
    return best


def collapse_runs(
    lines: list[str], ctx: CompressContext, per_char: float, marker_tokens: int
) -> list[str]:
    """`lines` with the longest run of sibling elements of each long line collapsed (see
    `longest_run`) to the elements the budget leaves room for, shared by the runs in
    proportion to their length; where the question quotes nothing in the line and the cut
    saves more than its marker costs. `lines` itself when no line changes."""
    runs: dict[int, ElementRun] = {}
    for index, line in enumerate(lines):
        if len(line) < _LONG_XML_LINE or ctx.focus.hits(line):
            continue
        run = longest_run(line)
        if run is not None and run.inner * per_char >= 2 * marker_tokens:
            runs[index] = run
    if not runs:
        return lines
    inner = sum(run.inner for run in runs.values())
    fixed = sum(len(line) + 1 for line in lines) - inner
    room = max(0.0, ctx.budget_tokens / max(per_char, 1e-9) - fixed)
    shown = list(lines)
    for index, run in runs.items():
        shown[index] = run.collapsed(lines[index], int(room * run.inner / inner))
    return lines if shown == lines else shown
