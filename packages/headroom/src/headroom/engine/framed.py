"""Line-numbered views of a file: `cat -n` (`     1<TAB>code`) and editor views such as
Claude Code's Read (`     1→code`).

The numbers say where each line is; the content is the file. A view is compressed as its
content is (code by its syntax, a log by its templates, ...), and every line kept goes out
with its number again, so output lines are lines of the view and the numbers of the kept
lines show where the gaps are. A few lines after the view (a reminder, a truncation note)
stay as they are. When the content's output holds a line that is no line of the file (a
table form, a rewritten line), the view goes back to the router whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.ccr.markers import ANY_MARKER_RE, split_lines
from headroom.engine.repeats import shown_positions

__all__ = ["FramedView", "framed_view", "reframed", "unframed_phrase"]

# `cat -n` and `nl` (a tab), editor views (`→`, Claude Code's Read), `N:` (SWE-agent's view)
_FRAME = re.compile(r" *(\d+)(→|\t|:)")
_FRAMES = re.compile(r"(?m)^\s*\d+(?:→|\t|:)")  # a frame at the start of any line of a phrase
_MIN_LINES = 20  # a shorter view is left to the router whole
_MAX_LEAD_LINES = 4  # lines before the view (`[File: app.py (523 lines total)]`), kept
_MAX_TAIL_LINES = 64  # lines with text after the view that leave it the payload's body
_HEAD_CHARS = 4096  # read first: a payload whose head is no view is not split whole
# What may stand before a marker on a line of its own: a comment's opening, after the
# placeholder that keeps an elided body parsing (`...  # [headroom: 8 lines]`).
_MARKER_LEAD = re.compile(r"\s*(?:\.\.\.|pass)?\s*(?:#|//|/\*|<!--|--|;)?\s*")


@dataclass(frozen=True)
class FramedView:
    """A view's framed lines as their prefixes (`     12→`) and contents, and the lines
    before and after it."""

    lead: list[str]
    prefixes: list[str]
    contents: list[str]
    tail: list[str]

    @property
    def content(self) -> str:
        return "\n".join(self.contents)


def framed_view(text: str) -> FramedView | None:
    """`text` as a line-numbered view: after at most `_MAX_LEAD_LINES` lines, every line
    framed alike with the number after the one before it, then at most `_MAX_TAIL_LINES`
    lines with text; None when it is no such view."""
    head = split_lines(text[:_HEAD_CHARS])
    start = next(
        (i for i, line in enumerate(head[: _MAX_LEAD_LINES + 1]) if _FRAME.match(line)), None
    )
    if start is None:
        return None  # the quick no: no framed line among the first
    whole = len(text) <= _HEAD_CHARS
    if not whole and len(_prefixes(head[start:-1])) < min(_MIN_LINES, len(head) - start - 1):
        return None  # the head's lines are not a view (its last may be cut): no more read
    lines = head if whole else split_lines(text)
    prefixes = _prefixes(lines[start:])
    tail = lines[start + len(prefixes) :]
    if len(prefixes) < _MIN_LINES or sum(1 for line in tail if line.strip()) > _MAX_TAIL_LINES:
        return None
    framed = lines[start : start + len(prefixes)]
    contents = [line[len(prefix) :] for line, prefix in zip(framed, prefixes, strict=True)]
    return FramedView(lines[:start], prefixes, contents, tail)


def _prefixes(lines: list[str]) -> list[str]:
    """The frames of `lines` from the first, while each is framed alike (the same mark)
    with the number after the one before."""
    prefixes: list[str] = []
    number, mark = -1, ""
    for line in lines:
        found = _FRAME.match(line)
        if found is None:
            break
        if number >= 0 and (int(found.group(1)) != number + 1 or found.group(2) != mark):
            break
        number, mark = int(found.group(1)), found.group(2)
        prefixes.append(line[: found.end()])
    return prefixes


def unframed_phrase(phrase: str) -> str:
    """A phrase quoted from a view as its content reads: the numbers that start its lines
    taken off (`   12→def handler(` names `def handler(` of the file)."""
    return _FRAMES.sub("", phrase)


def reframed(view: FramedView, output: str) -> str | None:
    """The content's compressed `output` as lines of the view: each kept line with its
    number again, each gap marker as it is, between the lines before and after the view;
    None when a line of
    `output` is neither a line of the content (kept where the markers before it say) nor a
    marker."""
    out_lines = output.split("\n")
    positions = shown_positions(view.contents, out_lines)
    framed: list[str] = []
    cursor = 0  # the content line the next kept line must be, as the markers counted
    for line, position in zip(out_lines, positions, strict=True):
        marker = ANY_MARKER_RE.search(line)
        if marker is None:
            if position is None or position < cursor:
                return None  # a line that is no line of the content: it cannot be framed
            framed.append(view.prefixes[position] + view.contents[position])
            cursor = position + 1
            continue
        before = line[: marker.start()]
        if not _MARKER_LEAD.fullmatch(before):
            # The start of a line cut by the marker: it goes out with that line's number.
            start = next(
                (
                    i
                    for i in range(cursor, len(view.contents))
                    if view.contents[i].startswith(before)
                ),
                None,
            )
            if start is None:
                return None
            framed.append(view.prefixes[start] + line)
            cursor = start
            continue
        framed.append(line)
    return "\n".join([*view.lead, *framed, *view.tail])
