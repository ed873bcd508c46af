"""Long lines cut only as the budget needs: shared by the log and the generic line
compressors. A line of more than `CLIP_OVER` characters keeps a head (cut at a space), and
a marker says how much of it was cut; the integrity rule allows the start of an original
line before a marker, and the end of one after it. A line the question quotes is cut only
to the part that shows the quoted phrase."""

from __future__ import annotations

from collections.abc import Sequence

from headroom.ccr.markers import end_reads_as_comment, format_gap
from headroom.compressors.base import CompressContext

__all__ = ["CLIP_OVER", "CLIP_TO", "clip_head", "clip_limit", "clip_to_phrase", "head_at_space"]

CLIP_OVER = 2000  # characters: longer kept lines are cut (and marked) ...
CLIP_TO = 1000  # ... to about this many at least
_WORTH = 0.8  # a cut around a quoted phrase must leave out more than a fifth of the line


def clip_limit(lines: Sequence[str], text: str, ctx: CompressContext) -> int:
    """How many characters a line of more than `CLIP_OVER` keeps: what the budget leaves
    each of them once the other lines are paid for, and at least `CLIP_TO` (cut only as
    much as the budget needs)."""
    long = [len(line) for line in lines if len(line) > CLIP_OVER]
    per_char = ctx.counter.count(text) / max(1, len(text))
    short = sum(len(line) + 1 for line in lines if len(line) <= CLIP_OVER)
    room = ctx.budget_tokens / max(per_char, 1e-9) - short
    return max(CLIP_TO, int(room / max(1, len(long))))


def head_at_space(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, cut at a space in the second half of that
    (never inside a token), or at `limit` when there is none."""
    cut = text.rfind(" ", limit // 2, limit)
    return text[: cut if cut > 0 else limit]


def clip_head(line: str, limit: int) -> str:
    """`line` cut at a space near `limit` (see `head_at_space`), saying what was cut."""
    return _cut_after(line, len(head_at_space(line, limit)))


def _cut_after(line: str, end: int) -> str:
    """The first `end` characters of `line`, and a marker counting the rest."""
    return f"{line[:end]} {format_gap(len(line) - end, 'more characters of this line cut')}"


def clip_to_phrase(line: str, phrases: Sequence[str]) -> str | None:
    """A long line the question quotes, cut to the part that shows the quoted phrase: its
    start through the phrase, or the phrase through its end (when that end reads as no
    comment), whichever is shorter, with a marker saying what was cut. None when neither
    leaves out enough to be worth it (the line then stays whole)."""
    spots = [(line.find(phrase), phrase) for phrase in phrases if phrase and phrase in line]
    if not spots:
        return None
    start, phrase = min(spots)
    end = start + len(phrase)
    options = [(end, _cut_after(line, end))]
    if start and not end_reads_as_comment(line, start):
        cut = format_gap(start, "characters of this line cut")
        options.append((len(line) - start, f"{cut} {line[start:]}"))
    shown, clipped = min(options)
    return clipped if shown < _WORTH * len(line) else None
