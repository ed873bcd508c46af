"""Long documents and man pages: the outline, the sections the question points to, samples
of the rest.

A long, sectioned document (markdown with headings, a man page as `man -P cat` renders it,
plain or with backspace overstrike) is read as sections. Always kept: every heading (`#`
lines, setext titles, a man page's column-0 section headers such as `NAME`, `SYNOPSIS`,
`OPTIONS`), the first and last line, lines holding a quoted phrase or a rare word of the
question, and option lines (`-v, --verbose`) and definition-list terms, outermost first,
while they and the gaps they open cost at most a quarter of the budget (the rest of them
come first in the fill). Then, within the budget: the sections whose heading or body the
question's words point to, whole and best first; then the opening lines of every other
section; then the rest of their bodies, spread over the document. Kept lines are verbatim
(overstrike included); each gap is one `[headroom: N lines]` marker and a closing line
states the counts and the ref. A fenced code block that is kept in part keeps its fences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from headroom.ccr.markers import split_lines
from headroom.compressors._line_shapes import indentation
from headroom.compressors._ranking import rare_terms, relevance, spread_order
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    fill_within_budget,
    gap_runs,
    kept_lines_result,
)
from headroom.engine.detect import ContentKind, Detection, Sample
from headroom.engine.query import lines_with, query_terms

__all__ = ["DocsCompressor", "headings_of"]

_OVERSTRIKE = re.compile(r".\x08")
_MARKDOWN_HEADING = re.compile(r"#{1,6} \S")
_SETEXT = re.compile(r"(=+|-+)\s*$")
_FENCE = re.compile(r"\s*(```+|~~~+)")
_MAN_HEADING = re.compile(r"[A-Z][A-Z0-9 ,/()&'-]{1,60}$")
_MAN_SUBHEADING = re.compile(r" {2,4}[A-Z][\w ,/()&'-]{1,60}$")
_TERM_CHARS = 60  # a definition list's term is a short line ...
_TERM_INDENT = 14  # ... indented at most this much (a man page's body is at 7)
_OPTION = re.compile(r"\s{0,14}(?:-{1,2}[\w?#@][\w-]*|\+\w)(?:[ =,\[]|$)")
# Numbers, identifiers (camelCase, snake_case, dotted), hex, code spans, URLs, paths. The
# branches that start a word share one `\b`, and the lookahead passes over the characters no
# branch starts with at once (Python's `re` would try each branch at each one): the same
# matches as the branches alone, in half the time.
_INFORMATIVE = re.compile(
    r"(?=[`\w/-])(?:\b(?:\d[\d.,:_-]*\b|[A-Za-z][a-z]*[A-Z_][A-Za-z0-9_]*\b|\w+\.\w+(?:\.\w+)*\b"
    r"|[0-9a-f]{7,40}\b)|`[^`]+`|https?://\S+|/\w+(?:/\w+)+|--?\w[\w-]+)"
)
_MAN_TITLE = re.compile(r"(\S+)\(\w+\)\s.*\S\(\w+\)$")
_MIN_LINES = 150  # shorter documents are prose for Kompress
_MIN_HEADINGS = 4
_BODY_INDENT_SHARE = 0.5  # man page lines indented under their headers
_OPENING_LINES = 1  # body lines of each section kept before the rest
_TERMS_SHARE = 0.25  # of the budget, at most, for the option and term lines (and their gaps)


def plain(line: str) -> str:
    """`line` without backspace overstrike (for reading it; kept lines keep theirs)."""
    return _OVERSTRIKE.sub("", line) if "\x08" in line else line


def headings_of(lines: Sequence[str]) -> list[int]:
    """Indices of the heading lines: markdown headings (outside fences) and setext titles,
    or, in a man page (most lines indented), the lines that start at column 0."""
    bare = [plain(line) for line in lines]
    content = [line for line in bare if line.strip()]
    indented = sum(1 for line in content if line[:1] in (" ", "\t"))
    if content and indented >= len(content) * _BODY_INDENT_SHARE:
        return [
            i
            for i, line in enumerate(bare)
            if line.strip() and (_MAN_HEADING.match(line) or _MAN_SUBHEADING.match(line))
        ]
    return _markdown_headings(bare)


def _man_page(lines: Sequence[str], headings: list[int]) -> bool:
    """A rendered man page: its `TITLE(1) ... TITLE(1)` header line, or a `NAME` section."""
    return _titled(lines) or any(plain(lines[i]).strip() == "NAME" for i in headings)


def _titled(lines: Sequence[str]) -> bool:
    """Whether the first line with text is a man page's `TITLE(1) ... TITLE(1)` header."""
    first = next((plain(line).strip() for line in lines if line.strip()), "")
    return bool(_MAN_TITLE.match(first))


def _markdown_headings(lines: Sequence[str]) -> list[int]:
    found: list[int] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        opening = _FENCE.match(line)
        if opening:
            fence = None if fence is not None else opening.group(1)
            continue
        if fence is not None:
            continue
        if _MARKDOWN_HEADING.match(line):
            found.append(i)
        elif i and _SETEXT.match(line) and lines[i - 1].strip() and len(line.strip()) >= 3:
            found.extend((i - 1, i))
    return found


class DocsCompressor:
    """Long docs and man pages: the outline plus the sections the question points to."""

    kind: ContentKind = "docs"
    name = "docs"
    max_confidence = 0.55  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """A long man page (150 lines or more): its title line or a `NAME` section, and
        column-0 section headers on at least four lines of the sample. Long markdown stays
        Kompress's (see docs/compressors-config-docs.md); `compress` handles it too."""
        if sample.text.count("\n", 0, 200_000) < _MIN_LINES:
            return None
        lines = sample.head.split("\n")[:1200]
        if "NAME" not in plain(sample.head) and not _titled(lines):
            return None  # the quick no: neither a `NAME` line nor a title line can be there
        headings = headings_of(lines)
        if len(headings) < _MIN_HEADINGS or not _man_page(lines, headings):
            return None
        return Detection("docs", confidence=0.55)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        tokens = ctx.counter.count(text)
        if tokens <= ctx.budget_tokens:
            return None  # within budget: nothing is worth losing
        lines = split_lines(text)
        headings = headings_of(lines)
        if len(headings) < 2:
            return None
        per_char = tokens / max(1, len(text))
        costs = [max(1, round(len(line) * per_char)) + 1 for line in lines]
        defined = _definition_terms(lines)
        terms = sorted(set(defined).union(_options(lines)).difference(headings))
        shown, deferred = _outline_terms(lines, terms, costs, ctx.budget_tokens)
        kept = _must(lines, headings, shown, ctx)
        # The gaps between the lines kept whatever the budget are paid for too (each option
        # kept alone opens one), with the closing line.
        spent = sum(costs[i] for i in kept) + MARKER_TOKENS * (gap_runs(kept, len(lines)) + 1)
        order = [*deferred, *_order(lines, headings, defined, ctx)]
        fill_within_budget(order, kept, costs.__getitem__, spent, ctx.budget_tokens, len(lines))
        return kept_lines_result(lines, _fenced(lines, kept), ctx.ref)


def _options(lines: Sequence[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if _OPTION.match(plain(line))]


def _outline_terms(
    lines: Sequence[str], terms: list[int], costs: list[int], budget: int
) -> tuple[list[int], list[int]]:
    """The option and definition-list term lines kept whatever the budget, and the rest of
    them in order. Terms are taken by indentation, outermost first, while they and the gap
    each opens cost at most `_TERMS_SHARE` of the budget (`man bash`'s 700 terms, each
    alone between two gaps, would take more than it: markers and no descriptions)."""
    by_depth: dict[int, list[int]] = {}
    for index in terms:
        by_depth.setdefault(indentation(plain(lines[index])), []).append(index)
    shown: list[int] = []
    deferred: list[int] = []
    room = _TERMS_SHARE * budget
    for depth in sorted(by_depth):
        cost = sum(costs[i] + MARKER_TOKENS for i in by_depth[depth])
        if deferred or cost > room:
            deferred.extend(by_depth[depth])
        else:
            shown.extend(by_depth[depth])
            room -= cost
    return shown, sorted(deferred)


def _must(
    lines: Sequence[str], headings: list[int], terms: list[int], ctx: CompressContext
) -> set[int]:
    content = [i for i, line in enumerate(lines) if line.strip()]
    must = set(headings) | ({content[0], content[-1]} if content else set())
    must.update(terms)  # options and a definition list's terms, as far as they fit
    must.update(lines_with(lines, ctx.focus))
    rare = rare_terms(query_terms(ctx.query), lines, max(2, len(lines) // 100))
    if rare:
        lowered = (line.lower() for line in lines)
        must.update(i for i, line in enumerate(lowered) if any(t in line for t in rare))
    return must


def _order(
    lines: Sequence[str], headings: list[int], defined: list[int], ctx: CompressContext
) -> list[int]:
    """Lines in the order they are wanted: the pointed-to sections whole (best first), the
    opening lines of every section, then the rest spread over the document."""
    bounds = [0, *headings, len(lines)] if headings[0] > 0 else [*headings, len(lines)]
    sections = [range(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    terms = sorted(query_terms(ctx.query))
    bodies = ["\n".join(plain(lines[i]) for i in section) for section in sections]
    scores = relevance(bodies, terms)
    for k, section in enumerate(sections):  # a heading the question names counts thrice
        heading = plain(lines[section[0]]).lower()
        scores[k] += 2 * sum(1 for term in terms if term in heading)
    pointed = sorted((k for k in range(len(sections)) if scores[k] > 0), key=lambda k: -scores[k])
    order: list[int] = [i for k in pointed for i in sections[k]]
    # Each term's (an option's, a setting's) first line of description, with it.
    order.extend(i + 1 for i in defined if i + 1 < len(lines))
    rest: list[int] = []
    for section in sections:
        body = [i for i in section if lines[i].strip()]
        order.extend(body[: _OPENING_LINES + 1])
        rest.extend(body[_OPENING_LINES + 1 :])
    spread = {index: rank for rank, index in enumerate(spread_order(len(rest)))}
    density = [_density(plain(lines[i])) for i in rest]
    order.extend(rest[k] for k in sorted(spread, key=lambda k: (-density[k], spread[k])))
    # Blank lines last, yet in the order: a kept run widening over a paragraph break
    # passes through them rather than stopping there with budget left.
    order.extend(i for i, line in enumerate(lines) if not line.strip())
    return order


def _definition_terms(lines: Sequence[str]) -> list[int]:
    """The terms of a definition list (`ExecSearchPath=`, `StrictHostKeyChecking`, a
    dashed option): a short line that is no sentence, with the line right under it
    indented deeper (its description)."""
    found = []
    for i in range(len(lines) - 1):
        line, below = plain(lines[i]), plain(lines[i + 1])
        term = line.strip()
        if not term or len(term) > _TERM_CHARS or term.endswith((".", ",", ";", ":")):
            continue
        depth = indentation(line)
        if depth <= _TERM_INDENT and below.strip() and indentation(below) > depth:
            found.append(i)
    return found


def _density(line: str) -> float:
    """Informative spans (code, numbers, identifiers, paths, URLs) per word, in tenths."""
    return round(10 * len(_INFORMATIVE.findall(line)) / max(1, line.count(" ") + 1))


def _fenced(lines: Sequence[str], kept: set[int]) -> set[int]:
    """`kept` plus both fences of every fenced block it keeps a line of."""
    out = set(kept)
    opened: int | None = None
    for i, line in enumerate(lines):
        if not _FENCE.match(line):
            continue
        if opened is None:
            opened = i
            continue
        if any(j in kept for j in range(opened, i + 1)):
            out.update((opened, i))
        opened = None
    return out
