"""Kompress: prose compression.

The model-free default keeps whole lines, verbatim and in order, never words inside them
(a model quotes what it sees; an exact line cannot mislead). Only a line longer than 400
characters (a paragraph on one line) is split into sentences. Headings (when they are an
outline: at most a fifth of the lines; `#` on every other line is comments), the first
and last line, and lines holding a quoted phrase or a rare word of the question are always
kept; the token budget is then filled by relevance to the query, information density (numbers,
identifiers, code spans, names), what the text warns of (lines with an error's shape: a
warning, a failure, `cannot`), paragraph starts and position, and what is left widens the
kept runs a line at a time in turn, so it is shared out over the whole document rather than
spent on its start. Each run of dropped lines becomes one CCR marker line.

With `kompress_model_path` set (the `[ml]` extra), a local token-classification model
(LLMLingua-2 style keep / drop labels, see `_token_scorer`) decides word by word instead,
within a time budget; when the model is missing or would be too slow, the default runs.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import NamedTuple

from headroom._version import install_hint
from headroom.ccr.markers import end_reads_as_comment, format_gap, format_marker, split_lines
from headroom.compressors._line_shapes import UNDERLINE_CHARS
from headroom.compressors._long_lines import CLIP_OVER, clip_head, clip_limit
from headroom.compressors._prose_scores import unit_scores
from headroom.compressors._ranking import rare_terms
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    fill_within_budget,
    token_estimator,
)
from headroom.engine.detect import ContentKind, Detection, Sample, markdown_evidence
from headroom.engine.query import query_terms

__all__ = ["TextCompressor", "compress_prose"]

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])(\s+)(?=[\"'(\[`*A-Z0-9])")
_OUTLINE_SHARE = 0.2  # headings are a document's outline: at most this share of its lines
_HEADING = re.compile(r"^\s*(#{1,6} |[=\-~^]{3,}\s*$|[A-Z][A-Z0-9 ,:'-]{3,}$)")
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_LONG_FENCE_LINES = 30
_LONG_LINE = 400
_FENCE_LANGUAGES = {
    "python": "python",
    "py": "python",
    "js": "javascript",
    "javascript": "javascript",
    "mjs": "javascript",
    "ts": "typescript",
    "typescript": "typescript",
    "tsx": "tsx",
    "go": "go",
    "golang": "go",
    "rust": "rust",
    "rs": "rust",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
    "c++": "cpp",
    "cc": "cpp",
}


class _Unit(NamedTuple):  # a tuple: made once per line, so made cheaply
    """A line, a fenced block, or one sentence of a long line."""

    line: int
    text: str
    first_in_paragraph: bool
    rewritten: bool = False


_SENTENCE_LINE = re.compile(r"[A-Za-z][A-Za-z'’,;:()-]*(?: +[\w'’,;:()\"-]+){3,}")
_PROSE_SHARE = 0.5  # lines that read as words in a row, for text with no markdown
_ONE_OPENING_SHARE = 0.5  # lines opening with one word: records, not prose
_MIN_RECORD_LINES = 10
_OPENING_WORD = re.compile(r"[\w-]+[:=]?")
# How a record opens: a keyword in capitals (`INSERT`), a field name (`Package:`, `key=`).
_FIELD_OPENING = re.compile(r"[A-Z][A-Z0-9_]+|[\w-]+[:=]")


def prose_evidence(lines: Sequence[str]) -> bool:
    """Most lines are runs of at least four words (prose, a licence, release notes), and
    they do not mostly open with one keyword or field name: lines that do (`INSERT INTO ...`
    of a SQL dump, `Package: ...` of records) are records, which the line compressor reads
    by template."""
    if not lines:
        return False
    starts = [_first_word(line) for line in lines if _SENTENCE_LINE.match(line.strip())]
    if len(starts) < len(lines) * _PROSE_SHARE:
        return False
    if len(starts) >= _MIN_RECORD_LINES:
        word, most = Counter(starts).most_common(1)[0]
        return most < len(starts) * _ONE_OPENING_SHARE or not _FIELD_OPENING.fullmatch(word)
    return True


def _first_word(line: str) -> str:
    """The line's first word, with the `:` or `=` that makes it a field name."""
    found = _OPENING_WORD.match(line.lstrip())
    return found.group() if found else ""


class TextCompressor:
    """Kompress: sentence-level prose compression (or a local token model) within a budget."""

    kind: ContentKind = "text"
    name = "kompress"
    max_confidence = 0.5  # its most confident answer (the router skips it past that)
    fallback_for: tuple[ContentKind, ...] = ("log", "search", "diff")

    def detect(self, sample: Sample) -> Detection | None:
        """Markdown structure on a fair share of lines; else prose: most lines sentences."""
        if markdown_evidence(sample):
            return Detection("text", confidence=0.5)
        return Detection("text", confidence=0.35) if prose_evidence(sample.lines) else None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        model_path = ctx.kompress.model_path
        if model_path:
            result = _compress_with_model(text, ctx, model_path)
            if result is not None:
                return result
        return compress_prose(text, ctx)


def _compress_with_model(text: str, ctx: CompressContext, model_path: str) -> Compressed | None:
    try:
        from headroom.compressors._token_scorer import compress_words
    except ImportError:
        logger.warning("headroom: kompress_model_path needs the ml extra: %s", install_hint("ml"))
        return None
    return compress_words(text, ctx, model_path, ctx.kompress.time_budget_ms / 1000)


def compress_prose(text: str, ctx: CompressContext) -> Compressed | None:
    """The model-free path: whole lines (sentences only inside lines over `_LONG_LINE`
    characters) kept verbatim and in order, within the budget."""
    estimate = token_estimator(text, ctx.counter)
    units = _clip_unbroken(
        [_compress_code_section(u, ctx, estimate) for u in _split(text)], text, ctx
    )
    sections_changed = any(u.rewritten for u in units)
    if not sections_changed and ctx.counter.count(text) <= ctx.budget_tokens:
        return None  # within budget: nothing is worth losing
    content = [i for i, u in enumerate(units) if u.text.strip()]
    if len(content) < 4 and not sections_changed:
        return None
    texts = [units[i].text for i in content]
    terms = query_terms(ctx.query)
    rare = rare_terms(terms, texts, max(2, len(texts) // 100))
    headings = _outline(
        [units[i] for i in content],
        int(_OUTLINE_SHARE * len(texts)),
        lambda group: sum(estimate(texts[i]) + 1 for i in group) <= ctx.budget_tokens // 2,
    )
    must = {
        i
        for i in range(len(texts))
        if i in headings or _must_keep(texts[i], i, len(texts), rare) or ctx.focus.hits(texts[i])
    }
    scores = unit_scores(texts, [units[u].first_in_paragraph for u in content], terms)
    costs = [estimate(t) + 1 for t in texts]
    kept = set(must)
    spent = sum(costs[i] for i in kept) + MARKER_TOKENS * (len(content) - len(kept) > 0)
    order = sorted(range(len(content)), key=lambda i: (-scores[i], i))
    fill_within_budget(order, kept, costs.__getitem__, spent, ctx.budget_tokens, len(content))
    if len(kept) == len(content) and not sections_changed:
        return None
    body, shown, total = _render(units, {content[i] for i in kept})
    summary = format_marker(ctx.ref, shown, total, "lines")
    return Compressed(text=f"{body}\n{summary}", ref=ctx.ref, kept=shown, total=total, unit="lines")


def _outline(units: list[_Unit], room: int, affordable: Callable[[set[int]], bool]) -> set[int]:
    """The positions of `units` that are headings, with a setext heading's text over its
    underline (`1.23.0` over `======`): the levels from the top down while they number at
    most `room` (a changelog's `### Fixed` under each release goes, its releases stay) and
    stay `affordable`; none when even the top level is more (`#` on every other line:
    comments or data)."""
    levels: dict[int, int] = {}
    underlines: set[int] = set()  # a setext heading counts once, for its text
    for position, unit in enumerate(units):
        found = _HEADING.match(unit.text)
        if found is None:
            continue
        marks = found.group(1).strip()
        if marks[:1] in UNDERLINE_CHARS:
            level = UNDERLINE_CHARS.index(marks[0]) + 1
            above = position - 1
            if above >= 0 and units[above].line == unit.line - 1 and units[above].text.strip():
                levels[above] = level  # the heading's text, over its underline
                underlines.add(position)
        else:
            level = len(marks) if marks.startswith("#") else 1
        levels[position] = level
    chosen: set[int] = set()
    for level in sorted(set(levels.values())):
        more = {position for position, at in levels.items() if at == level}
        if len(chosen - underlines) + len(more - underlines) > room:
            break
        if chosen and not affordable(chosen | more):
            break  # the top level stays whatever it costs; deeper ones as the budget allows
        chosen |= more
    return chosen


def _clip_unbroken(units: list[_Unit], text: str, ctx: CompressContext) -> list[_Unit]:
    """A line holding a piece of more than `CLIP_OVER` characters that no sentence break
    splits (minified CSS, a data blob) keeps its head and says how much of it was cut, as
    the line compressor cuts one, rather than being dropped whole for what it costs."""
    unbroken = {
        u.line for u in units if len(u.text) > CLIP_OVER and not u.text.startswith(("```", "~~~"))
    }
    if not unbroken or ctx.counter.count(text) <= ctx.budget_tokens:
        return units
    lines = split_lines(text)
    limit = clip_limit(lines, text, ctx)
    out: list[_Unit] = []
    for unit in units:
        if unit.line not in unbroken:
            out.append(unit)
        elif not out or out[-1].line != unit.line:  # the line once, its head
            line = lines[unit.line].rstrip("\r")
            out.append(_Unit(unit.line, clip_head(line, limit), True, rewritten=True))
    return out


def _compress_code_section(
    unit: _Unit, ctx: CompressContext, estimate: Callable[[str], int]
) -> _Unit:
    """A long fenced code block of a known language is compressed by the compressor the
    router has for code (a plugin's, if one replaced the built-in)."""
    if unit.text.count("\n") < _LONG_FENCE_LINES - 1:
        return unit  # one line, or a block too short to compress
    lines = unit.text.split("\n")
    opening = _FENCE.match(lines[0])
    if not opening or len(lines) < _LONG_FENCE_LINES or lines[-1].strip() != opening.group(1):
        return unit
    language = _FENCE_LANGUAGES.get(lines[0].strip()[len(opening.group(1)) :].strip().lower())
    code_compressor = ctx.registry.get("code")
    if language is None or code_compressor is None:
        return unit
    code = "\n".join(lines[1:-1])
    section_ctx = replace(
        ctx,
        language=language,
        budget_tokens=max(100, estimate(code) // 3),
    )
    result = code_compressor.compress(code, section_ctx)
    if result is None:
        return unit
    return unit._replace(text="\n".join([lines[0], result.text, lines[-1]]), rewritten=True)


def _split(text: str) -> list[_Unit]:
    """One unit per line; a fenced code block is one unit; a line over `_LONG_LINE`
    characters is split into its sentences (units of the same line)."""
    units: list[_Unit] = []
    fence: str | None = None
    block: list[str] = []
    previous_blank = True
    for line_number, raw in enumerate(split_lines(text)):
        line = raw.rstrip("\r")
        if fence is not None:
            block.append(line)
            if line.strip() == fence:
                units.append(_Unit(line_number, "\n".join(block), True))
                block.clear()
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            block.append(line)
            continue
        if len(line) > _LONG_LINE:
            pieces = _sentences(line)
            for index, piece in enumerate(pieces):
                units.append(_Unit(line_number, piece, previous_blank and index == 0))
        else:
            units.append(_Unit(line_number, line, previous_blank))
        previous_blank = not line.strip()
    if block:  # an unclosed fence: its lines stay lines
        units.extend(_Unit(len(units) + i, line, False) for i, line in enumerate(block))
    return units


def _must_keep(text: str, index: int, total: int, terms: Sequence[str]) -> bool:
    """The first and last lines, and lines holding a rare word of the question."""
    if index in (0, total - 1):
        return True
    if not terms:
        return False
    lowered = text.lower()
    return any(term in lowered for term in terms)


def _render(units: list[_Unit], kept: set[int]) -> tuple[str, int, int]:
    """Kept units in order, pieces of one long line on one line; each run of dropped lines
    (blank ones included) becomes one gap marker, each run of dropped pieces of a kept line
    an inline one. A blank line stays only between two kept lines. Returns the text, the
    original lines it shows and the original lines there are."""
    groups: list[list[int]] = []
    for index, unit in enumerate(units):
        if groups and units[groups[-1][0]].line == unit.line:
            groups[-1].append(index)
        else:
            groups.append([index])
    out: list[str] = []
    shown = total = pending = 0
    blanks: list[str] = []  # the omitted lines so far, while every one of them is blank
    for position, group in enumerate(groups):
        size = units[group[0]].text.count("\n") + 1  # a fenced block is one unit of lines
        total += size
        if not units[group[0]].text.strip():
            following = groups[position + 1] if position + 1 < len(groups) else []
            if not pending and out and any(i in kept for i in following):
                out.append(units[group[0]].text)
                shown += 1
            else:
                if pending == len(blanks):
                    blanks.append(units[group[0]].text)
                pending += 1
            continue
        if not any(i in kept for i in group):
            pending += size
            continue
        if pending and out and pending == len(blanks):
            out.extend(blanks)  # blank lines between kept ones cost less than a marker
            shown += pending
        elif pending:
            out.append(format_gap(pending, "lines"))
        pending = 0
        blanks = []
        out.append(_kept_pieces(units, group, kept))
        shown += size
    if pending:
        out.append(format_gap(pending, "lines"))
    return "\n".join(out), shown, total


def _sentences(line: str) -> list[str]:
    """The sentences of `line`, each with the blanks that follow it: joined, they are the
    line as it was."""
    parts = _SENTENCE_END.split(line)  # sentence, blanks, sentence, ..., sentence
    pieces: list[str] = []
    for start in range(0, len(parts), 2):
        piece = "".join(parts[start : start + 2])
        if piece.strip() or not pieces:
            pieces.append(piece)
        else:
            pieces[-1] += piece
    return pieces


def _kept_pieces(units: list[_Unit], group: list[int], kept: set[int]) -> str:
    """The kept pieces of one line: its first pieces, one inline gap marker for the
    dropped ones, its last pieces, each verbatim. Where that shape cannot hold what was
    kept (a piece kept between dropped ones), or the end would read as a comment (`//`,
    `#`: a URL), the line is kept whole."""
    texts = [units[index].text for index in group]
    flags = [index in kept for index in group]
    if all(flags):
        return "".join(texts)
    first = flags.index(False)
    last = len(flags) - 1 - flags[::-1].index(False)
    end = "".join(texts[last + 1 :]).strip()
    if any(flags[first:last]) or end_reads_as_comment(end):
        return "".join(texts)
    start = "".join(texts[:first]).rstrip()
    gap = format_gap(last - first + 1, "sentences")
    return " ".join(part for part in (start, gap, end) if part)
