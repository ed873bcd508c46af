"""The generic line compressor: holds on any text, and is the baseline of every kind.

It serves every payload no detector claims (kind "lines": YAML, man pages, apt logs, build
output, tool output of unknown kinds) and any compressor may hand it a section through
`ctx.registry.get("lines")`. It knows no format, only shapes of lines:

* Lossless first: a payload within its budget is left alone; lines are dropped only past it.
* Exact repeats (a run of identical lines) show their first line and one marker.
* Runs of one template (numbers, hex, quoted values, paths and URLs blinded) show a sample
  that grows as the square root of the run, lines carrying rare values first.
* Lines with an error's shape are kept (severity words anywhere, `Caused by`, `During
  handling`, non-zero exit statuses, a line breaking a run of one template): the first
  three and the last of each template, so a storm of one error keeps its shape and count.
* The head and the tail, and what the question names: lines holding a quoted phrase, and
  lines holding a query word that few lines hold.
* The rest of the budget goes by rarity (tokens few lines hold) to a bounded number of new
  runs, then to context around what is kept: gaps are few and large, each one a short
  marker with its exact count, the ref stated once on the closing line.

Kept lines are verbatim and in order; a line over 2,000 characters may be cut (and says
so) when the payload is over its budget. Deterministic, linear in the payload.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from headroom.ccr.markers import format_gap, format_marker, split_lines
from headroom.compressors._line_shapes import (
    digit_blind,
    error_lines,
    headings,
    indentation,
    live_lines,
    openings,
    outliers,
    rare_token_counts,
    setext_levels,
    settings,
    strong_errors,
    templates,
)
from headroom.compressors._long_lines import CLIP_OVER, clip_head, clip_limit, clip_to_phrase
from headroom.compressors._ranking import naming_rare_terms, spread_order
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    close_cheap_gaps,
    runs_added,
)
from headroom.engine.detect import ContentKind, Detection, Sample
from headroom.engine.languages import names_other_source
from headroom.engine.query import lines_with

__all__ = ["LineCompressor"]

_HEAD = 5  # lines always kept at the start ...
_TAIL = 5  # ... and at the end
_ERROR_REPEATS = 3  # first occurrences of one error template kept, with the last
_ERROR_SHARE = 0.8  # errors beyond the first and last of each template fill at most this
_RARE_LINES = 2  # a token held by at most this many lines is rare ...
_RARE_SHARE = 1 / 500  # ... or by at most this share of the lines
_RARE_COUNTED = 3  # a line ranks by up to this many rare tokens
_MARKER_SHARE = 0.03  # new runs opened by the fill: their markers stay under this share
_CLOSING_TOKENS = 24  # the closing line with counts and the ref
_BRIDGE = 3  # gaps of at most this many lines between must-keep lines are shown


@dataclass(frozen=True)
class _Payload:
    """One payload's lines and what is known about each."""

    lines: list[str]
    costs: list[int]
    template: list[str]
    repeat: list[bool]
    """Identical to the line before it (and not blank)."""
    errors: set[int]
    strong: set[int]
    opening: list[int]
    """The line each line belongs under, -1 for none (see `openings`)."""
    landmarks: set[int]
    """A document's headings (see `headings`) and settings (see `settings`): they rank
    with the outliers."""


class LineCompressor:
    """The generic line compressor: repeats, templates, rarity, errors by shape, the
    question; the fallback for text of no known kind."""

    kind: ContentKind = "lines"
    name = "lines"
    max_confidence = 0.7  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Source code of a language with no grammar here, by its file name (a Perl module,
        a shell script): its lines stay verbatim, no table form rewrites them. Anything
        else of no kind comes here as the router's fallback, undetected."""
        if names_other_source(sample.filename):
            return Detection("lines", confidence=0.7)
        return None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        if not isinstance(text, str) or not text.strip():
            return None
        tokens = ctx.counter.count(text)
        if tokens <= ctx.budget_tokens:
            return None  # lossless first: within budget nothing is worth losing
        lines = split_lines(text)
        focused = set(lines_with(lines, ctx.focus))
        clipped = _clip_long_lines(lines, focused, clip_limit(lines, text, ctx), ctx.focus.phrases)
        payload = _read(clipped, _rate(tokens, text))
        must = _must_keep(
            payload, focused, naming_rare_terms(payload.lines, ctx.focus.terms), ctx.budget_tokens
        )
        kept = _fill(payload, must, ctx.budget_tokens - _CLOSING_TOKENS)
        chosen = close_cheap_gaps(clipped, kept)
        if len(chosen) == len(lines) and clipped == lines:
            return None
        closing = format_marker(ctx.ref, len(chosen), len(lines), "lines")
        out = f"{_render(clipped, chosen, payload.repeat)}\n{closing}"
        if ctx.counter.count(out) >= tokens:
            return None  # the markers would cost what the dropped lines saved
        return Compressed(text=out, ref=ctx.ref, kept=len(chosen), total=len(lines))


def _rate(tokens: int, text: str) -> Callable[[str], int]:
    """Tokens of a line at the payload's own rate (the payload is counted once)."""
    per_char = tokens / max(1, len(text))
    return lambda line: max(1, round(len(line) * per_char)) + 1  # + its line break


def _clip_long_lines(
    lines: list[str], focused: set[int], limit: int, phrases: Sequence[str]
) -> list[str]:
    """Lines over `CLIP_OVER` characters cut at a space near `limit` (what the budget
    leaves each, see `clip_limit`), each saying how much was cut; a line the question
    quotes is cut only to the part that shows the quoted phrase (see `clip_to_phrase`)."""
    if max(map(len, lines)) <= max(CLIP_OVER, limit):
        return lines
    out = list(lines)
    for i, line in enumerate(lines):
        if len(line) <= max(CLIP_OVER, limit):
            continue
        if i in focused:
            out[i] = clip_to_phrase(line, phrases) or line
            continue
        out[i] = clip_head(line, limit)
    return out


def _read(lines: list[str], cost: Callable[[str], int]) -> _Payload:
    keys = digit_blind("\n".join(lines)).split("\n")
    errors = error_lines(lines)
    repeat = [False] + [
        lines[i] == lines[i - 1] and bool(lines[i].strip()) for i in range(1, len(lines))
    ]
    template = templates(keys)
    setext = setext_levels(lines)
    return _Payload(
        lines=lines,
        costs=[cost(line) for line in lines],
        template=template,
        repeat=repeat,
        errors={i for i in errors if not repeat[i]},
        strong=strong_errors(lines, errors),
        opening=openings(lines, setext),
        landmarks=headings(lines, setext) | settings(lines),
    )


def _enclosing(payload: _Payload, index: int, kept: set[int]) -> list[int]:
    """`index` and the openings it belongs under that are not kept yet, innermost first."""
    chain = [index]
    up = payload.opening[index]
    while up >= 0 and up not in kept:
        chain.append(up)
        up = payload.opening[up]
    return chain


def _take(payload: _Payload, chain: list[int], kept: set[int]) -> tuple[int, int]:
    """Keep the lines of `chain`; the tokens that costs (markers added or saved included)
    and the gaps it opens."""
    cost = opened = 0
    count = len(payload.lines)
    for i in chain:
        added = runs_added(kept, i, count)
        kept.add(i)
        cost += payload.costs[i] + MARKER_TOKENS * added
        opened += added
    return cost, opened


def _must_keep(payload: _Payload, focused: set[int], asked: set[int], budget: int) -> set[int]:
    """Head, tail, what the question names, the live lines of a file mostly of comments
    (within half the budget), and the errors: each error template's first three and last
    lines, with the lines indented under them. When these overflow the
    budget: the first and last of each template, strong errors before weak ones."""
    count = len(payload.lines)
    ends = set(range(min(_HEAD, count))) | set(range(max(0, count - _TAIL), count))
    base = {i for i in ends if not payload.repeat[i]} | focused | asked
    live = live_lines(payload.lines)  # the settings in force among commented defaults
    base |= live if _cost(payload, live) <= budget // 2 else set()
    for repeats in (_ERROR_REPEATS, 1):
        errors = _error_sample(payload, repeats)
        must = _with_openings(payload, base | errors | _details(payload, errors))
        if _cost(payload, must) <= budget:
            return must
    # Still too much: each template's first and last, strong errors first, within a share.
    must = base | _error_sample(payload, 1, only=payload.strong)
    room = int(budget * _ERROR_SHARE)
    spent = _cost(payload, must)
    for i in sorted(payload.errors - payload.strong):
        if i not in must and spent + payload.costs[i] <= room:
            must.add(i)
            spent += payload.costs[i]
    return must


def _with_openings(payload: _Payload, lines: set[int]) -> set[int]:
    """`lines` and every opening they belong under."""
    out = set(lines)
    for i in lines:
        out.update(_enclosing(payload, i, out))
    return out


def _error_sample(payload: _Payload, repeats: int, only: set[int] | None = None) -> set[int]:
    """The first `repeats` and the last line of each error template, and every outlier."""
    chosen: set[int] = set()
    seen: Counter[str] = Counter()
    last: dict[str, int] = {}
    for i in sorted(payload.errors if only is None else only):
        template = payload.template[i]
        seen[template] += 1
        last[template] = i
        if seen[template] <= repeats:
            chosen.add(i)
    return chosen | set(last.values())


def _details(payload: _Payload, errors: set[int]) -> set[int]:
    """The lines indented deeper than an error line right under it (its traceback, the
    detail of a diagnostic), up to the next line at its own depth, at most 30."""
    found: set[int] = set()
    for i in errors:
        depth = indentation(payload.lines[i])
        for j in range(i + 1, min(len(payload.lines), i + 31)):
            line = payload.lines[j]
            if not line.strip() or indentation(line) <= depth:
                break
            found.add(j)
    return found


def _cost(payload: _Payload, kept: set[int]) -> int:
    return sum(payload.costs[i] for i in kept) + MARKER_TOKENS * _gaps(
        sorted(kept), len(payload.lines)
    )


def _gaps(ordered: Sequence[int], count: int) -> int:
    edges = zip([-1, *ordered], [*ordered, count], strict=True)
    return sum(1 for a, b in edges if b - a > 1)


def _fill(payload: _Payload, must: set[int], budget: int) -> set[int]:
    """`must`, then rare and telling lines as new runs while their markers stay a small
    share of the budget, then context around what is kept until the budget is spent."""
    kept = set(must)
    spent = _bridge(payload, kept, _cost(payload, kept), budget)
    opened = 0
    allowed = max(2, int(budget * _MARKER_SHARE / MARKER_TOKENS))
    for i in _ranked(payload):
        if i in kept:
            continue
        chain = _enclosing(payload, i, kept)  # the line with what it belongs under
        cost, added = _take(payload, chain, kept)
        if spent + cost > budget or (added > 0 and opened + added > allowed):
            kept.difference_update(chain)
            continue
        spent += cost
        opened += max(0, added)
    _grow(payload, kept, spent, budget)
    return kept


def _bridge(payload: _Payload, kept: set[int], spent: int, budget: int) -> int:
    """Close the gaps of at most `_BRIDGE` lines between kept lines, cheapest first, while
    they fit: a marker saved and context shown for a few lines' tokens."""
    ordered = sorted(kept)
    gaps = [
        range(a + 1, b)
        for a, b in zip(ordered, ordered[1:], strict=False)
        if 1 < b - a <= _BRIDGE + 1
    ]
    for gap in sorted(gaps, key=lambda g: (sum(payload.costs[i] for i in g), g.start)):
        cost = sum(payload.costs[i] for i in gap) - MARKER_TOKENS
        if spent + cost <= budget:
            kept.update(gap)
            spent += cost
    return spent


def _ranked(payload: _Payload) -> list[int]:
    """Candidates for new runs, best first: outliers and lines with rare tokens, the first
    line of each template, then a sample of each template's run that grows as the square
    root of its size, spread over the payload. Exact repeats are never candidates."""
    count = len(payload.lines)
    counts = Counter(payload.template)
    rare = rare_token_counts(payload.lines, max(_RARE_LINES, int(count * _RARE_SHARE)))
    odd = outliers(payload.template, counts)
    first: dict[str, int] = {}
    for i, template in enumerate(payload.template):
        first.setdefault(template, i)
    firsts = set(first.values())
    spread = spread_order(count)
    rank = {index: position for position, index in enumerate(spread)}
    shown: Counter[str] = Counter()
    scored: list[tuple[float, int, int]] = []
    for i in spread:
        template = payload.template[i]
        if payload.repeat[i] or not payload.lines[i].strip():
            continue
        score = 2.0 * (i in odd or i in payload.landmarks) + min(rare[i], _RARE_COUNTED)
        score += (i in firsts) / counts[template]
        if not score:
            shown[template] += 1
            if shown[template] > math.isqrt(counts[template]):
                continue  # a run of one template shows a sample of it, not the whole budget
        scored.append((-score, rank[i], i))
    scored.sort()
    return [i for _, _, i in scored]


def _grow(payload: _Payload, kept: set[int], spent: int, budget: int) -> None:
    """Spend what is left on the lines next to kept ones, nearest first (after before),
    never opening a new gap and never showing an exact repeat."""
    count = len(payload.lines)
    distance = _distances(kept, count)
    repeat = payload.repeat
    order = sorted(
        (i for i in range(count) if not repeat[i] and i not in kept), key=distance.__getitem__
    )
    opening = payload.opening
    for i in order:
        if budget - spent < 2:
            break  # no line costs less than 2 tokens (itself and its line break)
        if opening[i] >= 0 and opening[i] not in kept:
            continue  # shown without what it belongs under, it would read as another's
        added = runs_added(kept, i, count)
        cost = payload.costs[i] + MARKER_TOKENS * added
        if added > 0 or spent + cost > budget:
            continue
        kept.add(i)
        spent += cost


def _distances(kept: set[int], count: int) -> list[float]:
    """Each line's distance to the nearest kept line (a line after one a little nearer)."""
    far = float(count + 1)
    after = [far] * count
    last = -math.inf
    for i in range(count):
        if i in kept:
            last = i
        after[i] = i - last
    before = [far] * count
    following = math.inf
    for i in range(count - 1, -1, -1):
        if i in kept:
            following = i
        before[i] = following - i
    return [min(a - 0.5, b) for a, b in zip(after, before, strict=True)]


def _render(lines: list[str], chosen: list[int], repeat: list[bool]) -> str:
    """The chosen lines in order, each gap one marker with its count; a gap of nothing but
    copies of the line shown before it says so (`[headroom: 37 more identical lines]`)."""
    out: list[str] = []
    previous = -1
    for index in [*chosen, len(lines)]:
        gap = range(previous + 1, index)
        if gap:
            identical = previous >= 0 and all(repeat[i] for i in gap)
            out.append(format_gap(len(gap), "more identical lines" if identical else "lines"))
        if index < len(lines):
            out.append(lines[index])
        previous = index
    return "\n".join(out)
