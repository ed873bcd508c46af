"""CodeCompressor: AST-aware source compression with tree-sitter.

Every declaration and signature stays. What may go, least valuable first as the budget
requires, are spans of whole lines, each shown as one gap marker with its exact count (a
comment of the language, or a line inside the comment or docstring it shortens): the
interior of long collection literals of data (a generated table: its first rows stay as
the budget allows, and its last); function and method bodies; the rest of a comment block
or a docstring after its first line; the imports of a run after its first; last, the
interior of a long run of one-line `#define`s, prototypes or typedefs (a generated
header's tables). Every kept line is an original line, whole. A span that
holds a phrase the question quotes, or the body of a function it names, is kept; so is a
span cheaper than its marker. The payload's ref is stated once, on a closing comment. The
output is parsed again and must have no new syntax errors, else the payload passes through.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from headroom.ccr.markers import format_gap, format_note
from headroom.compressors._code_parses import numbers_its_lines, parse_from, parses_mostly
from headroom.compressors._code_spans import Span, indent, row_starts, spans_of
from headroom.compressors._code_strings import LONG_LINE, long_string_cuts
from headroom.compressors._grammars import Edit, edited, parser_for
from headroom.compressors.base import MARKER_TOKENS, CompressContext, Compressed
from headroom.engine.detect import ContentKind, Detection, Sample
from headroom.engine.languages import language_of
from headroom.engine.query import query_terms

__all__ = ["CodeCompressor"]

_REFERENCE_BLOCK_CHARS = 65_536
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_CONTENT = re.compile(rb"[A-Za-z0-9]")
_TRIPLE_QUOTED = re.compile(rb"[rRbBuU]{0,2}(\"\"\"|\'\'\')")
_WRAPPER_SHARE = 0.5
"""A function whose body holds more than this share of the file's lines wraps the module
(an IIFE, a UMD factory): its inner functions are elided one by one instead."""
_MARKER_COST = MARKER_TOKENS + 2
"""Tokens of one gap marker line, with its comment sign and indentation."""
_MIN_GAP_TOKENS = 2 * _MARKER_COST
"""A span is elided only if it costs this much: the gap saves its marker again."""
_SMALL_GAP_TOKENS = 5 * _MARKER_COST
"""A span cheaper than this is kept first while the budget allows: its gap would spend
too much of what it saves on its marker (marker text stays a small share of the output)."""
_VALUE = {"doc": 2, "defines": 1_000_000, "data": 0}
"""The value of a span that is no body (a body's is how often its function is named):
a docstring's rest documents an API, as a function named twice is worth keeping; a run of
`#define`s, prototypes or typedefs is outline, the last to go; a literal's data (a generated table) the first."""
_OUTLINE_CHARGE = 0.75
"""The outline (declarations, signatures, first lines) is kept whatever the budget, so it
is not wholly a choice the budget makes: it is charged at this share, and spans keep
some room when a file is mostly declarations."""
"""A span is elided only if it costs at least this: the gap saves its marker again."""


_GUESSED = 0.45  # the confidence of code guessed from line hints (and a parse)
_NAMED_CHECK_CHARS = 4096  # of the sample, parsed to check a file name (a blame shows at once)


class CodeCompressor:
    """Source code in Python, JavaScript, TypeScript, Go, Rust, Java, C and C++."""

    kind: ContentKind = "code"
    name = "code"
    max_confidence = 0.85  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Code by its file name when at least half of it parses as that language, or by
        line hints when it also parses as that language for most of its length
        (diagnostics that quote source lines are not code)."""
        language, named = language_of(sample)
        if language is None:
            return None
        if named:
            # A file's name, unless its lines are no code of that language: `git blame`,
            # a numbered listing, a tool's report about the file.
            head = sample.head[:_NAMED_CHECK_CHARS]
            if numbers_its_lines(head.splitlines()):
                return None
            tree = parses_mostly(head, language, named=True)
            if tree is None:
                return None
            return Detection("code", language, confidence=0.85, parsed=tree)
        if sample.to_beat >= _GUESSED:
            return None
        tree = parses_mostly(sample.head, language)
        if tree is None:
            return None
        return Detection("code", language, confidence=_GUESSED, parsed=tree)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        language = ctx.language
        parser = parser_for(language) if language else None
        if parser is None or language is None:
            return None
        try:
            source = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        tokens = ctx.counter.count(text)
        if tokens <= ctx.budget_tokens:
            return None  # nothing needs to go
        tree = parse_from(parser, language, source, ctx.parsed)
        lines = source.split(b"\n")
        spans, bodies = spans_of(tree.root_node, lines, language)
        starts = row_starts(lines)
        rate = tokens / max(1, len(source))
        # Past the budget, long string literals lose their middle first (a generated
        # module's serialized descriptor), inside the literal, so the line still parses.
        cuts = long_string_cuts(tree.root_node, lines, starts, _quoted_rows(lines, ctx))
        cut_tokens = round(sum(end - start for start, end, _ in cuts) * rate)
        for whole_definitions in (False, True):
            if _least_tokens(spans, starts, rate, tokens - cut_tokens) <= ctx.budget_tokens:
                break
            # Even every span elided leaves the file over its budget: its outline is the
            # bulk (a generated module), so its long call arguments, template runs and runs
            # of definitions go too; past that, runs of definitions with their bodies.
            spans, bodies = spans_of(
                tree.root_node,
                lines,
                language,
                generated=True,
                whole_definitions=whole_definitions,
            )
        if ctx.focus.phrases:
            spans = _around_phrases(spans, lines, ctx)
        elided, left = _choose_elided(spans, lines, starts, rate, text, tokens - cut_tokens, ctx)
        if not elided and not cuts:
            return None
        spans = _shown_data_heads(spans, elided, lines, starts, rate, left)
        edits = [_gap_edit(spans[i], lines, starts, language) for i in sorted(elided)]
        edits = sorted([*edits, *_outside(cuts, edits)])
        omitted_bodies = sum(
            1 if spans[i].kind == "body" else spans[i].bodies_inside() for i in elided
        )
        omitted = sum(spans[i].last - spans[i].first + 1 for i in elided)
        detail = f"kept {bodies - omitted_bodies} of {bodies} function bodies" if bodies else ""
        detail += f"{', ' if detail else ''}{omitted} of {len(lines)} lines omitted"
        strings = sum(1 for edit in edits if b"characters of this line cut" in edit[2])
        detail += f", the middle of {strings} long strings cut" if strings else ""
        closing = _comment(format_note(ctx.ref, detail), language)
        edits.append((len(source), len(source), b"\n" + closing))
        out = _rewrite(source, edits)
        # The output is parsed again to be sure compression broke no syntax (a source with
        # errors already has none to break); told what changed, tree-sitter reparses only
        # around the edits.
        if not tree.root_node.has_error:
            reparsed = parser.parse(out, edited(tree, source, edits))
            if reparsed.root_node.has_error:
                return None
        if bodies:
            kept, total, unit = bodies - omitted_bodies, bodies, "function bodies"
        else:
            kept, total, unit = len(lines) - omitted, len(lines), "lines"
        return Compressed(text=out.decode("utf-8"), ref=ctx.ref, kept=kept, total=total, unit=unit)


def _least_tokens(spans: list[Span], starts: list[int], rate: float, tokens: int) -> int:
    """The tokens of the file with every span that can go shown as its marker (a span
    cheaper than `_MIN_GAP_TOKENS` stays: its marker would save nothing)."""
    costs = (round((starts[s.last + 1] - starts[s.first]) * rate) for s in spans)
    elidable = [cost for cost in costs if cost >= _MIN_GAP_TOKENS]
    return tokens - sum(elidable) + _MARKER_COST * len(elidable)


def _quoted_rows(lines: list[bytes], ctx: CompressContext) -> set[int] | None:
    """Rows of long lines holding a phrase the question quotes (they stay whole)."""
    if not ctx.focus.phrases:
        return None
    return {
        row
        for row, line in enumerate(lines)
        if len(line) >= LONG_LINE and ctx.focus.hits(line.decode("utf-8", "replace"))
    }


def _outside(cuts: list[Edit], edits: list[Edit]) -> list[Edit]:
    """The `cuts` that lie in no span `edits` leave out."""
    return [cut for cut in cuts if not any(s <= cut[0] and cut[1] <= e for s, e, _ in edits)]


def _references(text: str, names: set[str]) -> Counter[str]:
    """How often each of `names` occurs as an identifier in `text`: one pass over it, a
    block of lines at a time (identifiers never span lines), so no list of every
    identifier of a big file is ever held."""
    found: Counter[str] = Counter()
    start = 0
    while start < len(text):
        end = text.find("\n", start + _REFERENCE_BLOCK_CHARS)
        end = len(text) if end == -1 else end + 1
        found.update(name for name in _IDENTIFIER.findall(text, start, end) if name in names)
        start = end
    return found


def _choose_elided(
    spans: list[Span],
    lines: list[bytes],
    starts: list[int],
    rate: float,
    text: str,
    tokens: int,
    ctx: CompressContext,
) -> tuple[set[int], int]:
    """Indices of the spans to elide, and the tokens of the budget left. Kept whatever the
    budget: spans holding a phrase the question quotes, bodies of functions it names,
    spans too small to pay for a marker. Then the budget keeps small spans first, then the
    most valuable (a body's value is how often its function is named in the file), the
    cheapest first among equals; each kept span gives back its marker."""
    terms = query_terms(ctx.query)
    costs = [round((starts[s.last + 1] - starts[s.first]) * rate) for s in spans]
    forced = {
        i
        for i, s in enumerate(spans)
        if costs[i] < _MIN_GAP_TOKENS
        or (s.name and s.name.lower() in terms)
        or (ctx.focus.phrases and _holds_phrase(s, lines, ctx))
    }
    references = _references(text, {s.name for s in spans if s.kind == "body" and s.name})
    value = [
        max(1, references[s.name]) if s.kind == "body" and s.name else _VALUE.get(s.kind, 1)
        for s in spans
    ]
    outline = tokens - sum(costs)
    spent = int(outline * _OUTLINE_CHARGE) + _MARKER_COST
    spent += sum(costs[i] if i in forced else _MARKER_COST for i in range(len(spans)))
    keep = set(forced)
    for i in sorted(
        set(range(len(spans))) - forced,
        key=lambda i: (costs[i] >= _SMALL_GAP_TOKENS, -value[i], costs[i], i),
    ):
        if spent + costs[i] - _MARKER_COST <= ctx.budget_tokens:
            keep.add(i)
            spent += costs[i] - _MARKER_COST
    return set(range(len(spans))) - keep, max(0, ctx.budget_tokens - spent)


def _shown_data_heads(
    spans: list[Span],
    elided: set[int],
    lines: list[bytes],
    starts: list[int],
    rate: float,
    left: int,
) -> list[Span]:
    """`spans` with each elided span of elements (a data literal's, a run of definitions)
    starting later, at an element, its first rows shown, while the budget left pays for
    them (in file order): a table too long for the budget shows as many of its rows as
    fit, not only its first and last."""
    out = list(spans)
    for i in sorted(elided):
        span = spans[i]
        if not span.starts or left <= 0:
            continue  # only a span of elements (a literal's, a run of definitions) starts later
        fitting = [
            row
            for row in span.starts
            if span.first < row < span.last and (starts[row] - starts[span.first]) * rate <= left
        ]
        if not fitting:
            continue
        first = fitting[-1]
        left -= round((starts[first] - starts[span.first]) * rate)
        sign = span.prefix[len(indent(lines[span.first])) :]
        out[i] = replace(span, first=first, prefix=indent(lines[first]) + sign)
    return out


def _around_phrases(spans: list[Span], lines: list[bytes], ctx: CompressContext) -> list[Span]:
    """`spans` with each span of elements (a run of definitions, a literal's rows) that
    holds a quoted phrase cut around the elements holding it: those stay out of every span
    (kept), the elements before and after them may still go."""
    out: list[Span] = []
    for span in spans:
        if not span.starts or not _holds_phrase(span, lines, ctx):
            out.append(span)
            continue
        bounds = [span.first, *span.starts, span.last + 1]
        piece: list[int] = []  # the elements (their first rows) of the piece being built
        for first, end in zip(bounds, bounds[1:], strict=False):
            if _holds_phrase(replace(span, first=first, last=end - 1), lines, ctx):
                out += _piece(span, piece, first)
                piece = []
            else:
                piece.append(first)
        out += _piece(span, piece, span.last + 1)
    return out


def _piece(span: Span, firsts: list[int], end: int) -> list[Span]:
    """The elements starting at `firsts` (up to row `end`) of `span` as a span of their own."""
    if not firsts:
        return []
    return [replace(span, first=firsts[0], last=end - 1, starts=tuple(firsts[1:]))]


def _holds_phrase(span: Span, lines: list[bytes], ctx: CompressContext) -> bool:
    """Whether a row of `span` holds a phrase the question quotes."""
    return ctx.focus.hits(b"\n".join(lines[span.first : span.last + 1]).decode("utf-8", "replace"))


def _gap_edit(span: Span, lines: list[bytes], starts: list[int], language: str) -> Edit:
    """The edit that shows the rows of `span` as one marker line (a final carriage return
    of the last row stays, so CRLF files keep their line ends)."""
    end = starts[span.last + 1] - 1
    if lines[span.last].endswith(b"\r"):
        end -= 1
    count = span.last - span.first + 1
    return (starts[span.first], end, span.prefix + format_gap(count).encode())


def _comment(note: str, language: str) -> bytes:
    if language == "python":
        return b"# " + note.encode()
    return b"// " + note.encode()


def _rewrite(source: bytes, applied: list[Edit]) -> bytes:
    """`source` with the (ordered, non-overlapping) edits applied."""
    out: list[bytes] = []
    position = 0
    for start, end, replacement in applied:
        out.append(source[position:start])
        out.append(replacement)
        position = end
    out.append(source[position:])
    return b"".join(out)
