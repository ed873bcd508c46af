"""CodeCompressor: AST-aware source compression with tree-sitter.

Every declaration and signature stays (imports, collapsed onto one line per run; classes, structs, interfaces, enums,
constants, decorators / annotations, the first line of Python docstrings); function and
method bodies are elided when the budget needs it, least relevant first: bodies the query
names, bodies of often-referenced symbols and short bodies are kept longest. An elided body
becomes a language-correct placeholder (`...` in Python, `{ /* ... */ }` elsewhere) whose
comment holds the CCR marker. Whole-line comments are stripped. The output is parsed again
and must have no syntax errors, else the payload passes through.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import Any

from headroom.ccr.markers import format_note
from headroom.compressors._code_imports import import_run_edits
from headroom.compressors._grammars import outline_query_for, parser_for
from headroom.compressors.base import CompressContext, Compressed, token_estimator
from headroom.detect import ContentKind, Detection, Sample
from headroom.languages import language_of
from headroom.query import query_terms

__all__ = ["CodeCompressor"]

_SHORT_BODY_LINES = 3
_REFERENCE_BLOCK_CHARS = 65_536
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True)
class _Body:
    name: str
    start: int  # byte offsets of the body node
    end: int
    lines: int
    indent: bytes
    docstring: bytes | None


_MOSTLY_PARSES = 0.8  # share of a guessed-code sample's lines free of syntax errors


def parses_mostly(head: str, language: str) -> bool:
    """Whether `head` parses as `language` with syntax errors on at most a fifth of its
    lines (a cut at the sample's end may leave one error)."""
    parser = parser_for(language)
    if parser is None:
        return False
    source = head.encode("utf-8", "surrogatepass")
    root = parser.parse(source).root_node
    if not root.has_error:
        return True
    lines = source.count(b"\n") + 1
    bad: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if not node.has_error:
            continue
        if node.is_error or node.is_missing:
            bad.update(range(node.start_point[0], node.end_point[0] + 1))
            if len(bad) > lines * (1 - _MOSTLY_PARSES):
                return False
            continue
        stack.extend(node.children)
    return True


class CodeCompressor:
    """Source code in Python, JavaScript, TypeScript, Go, Rust, Java, C and C++."""

    kind: ContentKind = "code"
    name = "code"

    def detect(self, sample: Sample) -> Detection | None:
        """Code by its file name, or by line hints when it also parses as that language
        for most of its length (diagnostics that quote source lines are not code)."""
        language, named = language_of(sample)
        if language is None:
            return None
        if named:
            return Detection("code", language, confidence=0.85)
        if not parses_mostly(sample.head, language):
            return None
        return Detection("code", language, confidence=0.45)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        language = ctx.language
        parser = parser_for(language) if language else None
        if parser is None or language is None:
            return None
        try:
            source = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        tree = parser.parse(source)
        outline = _outline(tree.root_node, language)
        bodies = _find_bodies(outline, source, language)
        comments = _whole_line_comments(outline, source)
        if not bodies and not comments:
            return None
        elided = _choose_elided(bodies, source, text, ctx)
        edits = [
            (bodies[i].start, bodies[i].end, _placeholder(bodies[i], language, ctx.ref))
            for i in sorted(elided)
        ]
        edits += [(start, end, b"") for start, end in comments]
        edits += import_run_edits(tree.root_node, source, language)
        kept = len(bodies) - len(elided)
        detail = f"kept {kept} of {len(bodies)} function bodies"
        outside = _outside_spans(comments, sorted((bodies[i].start, bodies[i].end) for i in elided))
        if outside:
            lines = sum(len(source[a:b].rstrip(b"\n").split(b"\n")) for a, b in outside)
            detail += f", {lines} comment lines removed"
        closing = format_note(ctx.ref, detail)
        applied = _applied(edits) + [
            (len(source), len(source), b"\n" + _comment(closing, language))
        ]
        out = _rewrite(source, applied)
        # The output is parsed again to be sure compression broke no syntax (a source with
        # errors already has none to break); told what changed, tree-sitter reparses only
        # around the edits.
        if not tree.root_node.has_error:
            reparsed = parser.parse(out, _edited(tree, source, applied))
            if reparsed.root_node.has_error:
                return None
        return Compressed(
            text=out.decode("utf-8"),
            ref=ctx.ref,
            kept=kept,
            total=len(bodies),
            unit="function bodies",
        )


def _outside_spans(
    ranges: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The `ranges` not inside one of the sorted, disjoint `spans` (a span's end may be one
    byte short of a range's: the newline after an elided body)."""
    starts = [start for start, _ in spans]
    outside = []
    for start, end in ranges:
        index = bisect_right(starts, start) - 1
        if index < 0 or end > spans[index][1] + 1:
            outside.append((start, end))
    return outside


def _outline(root: Any, language: str) -> dict[str, list[Any]]:
    """The comments (`c`) and function bodies (`body`) of the tree, from one query: nodes
    only, no record per match, so a big file's outline stays small."""
    query = outline_query_for(language)
    if query is None:
        return {}
    from tree_sitter import QueryCursor

    captured: dict[str, list[Any]] = QueryCursor(query).captures(root)
    return captured


def _find_bodies(outline: dict[str, list[Any]], source: bytes, language: str) -> list[_Body]:
    """Function bodies of more than one line, outermost only: nested functions go with
    their parent's body."""
    candidates = []
    for body in outline.get("body", ()):
        node = body.parent  # the function whose body field it is
        if body.type not in ("expression", "call_expression"):
            candidates.append((node.start_byte, -node.end_byte, node, body))
    found: list[_Body] = []
    outer_end = -1  # end of the last function whose body is kept as a unit
    for start, _, node, body in sorted(candidates, key=lambda c: (c[0], c[1])):
        if start < outer_end:
            continue  # inside a function already found
        if body.end_point[0] > body.start_point[0]:
            found.append(_make_body(node, body, source, language))
            outer_end = node.end_byte
    return sorted(found, key=lambda b: b.start)


def _make_body(node: Any, body: Any, source: bytes, language: str) -> _Body:
    name_node = node.child_by_field_name("name") or node.child_by_field_name("declarator")
    name = (
        source[name_node.start_byte : name_node.end_byte].decode("utf-8", "replace")
        if name_node
        else ""
    )
    name = re.split(r"[(<\s]", name, maxsplit=1)[0]
    line_start = source.rfind(b"\n", 0, body.start_byte) + 1
    indent = re.match(rb"[ \t]*", source[line_start : body.start_byte]).group(0)  # type: ignore[union-attr]
    docstring = None
    if language == "python" and body.named_children:
        first = body.named_children[0]
        if (
            first.type == "expression_statement"
            and first.named_children
            and first.named_children[0].type == "string"
        ):
            docstring = _first_docstring_line(source[first.start_byte : first.end_byte])
    return _Body(
        name,
        body.start_byte,
        body.end_byte,
        body.end_point[0] - body.start_point[0] + 1,
        indent,
        docstring,
    )


def _first_docstring_line(raw: bytes) -> bytes | None:
    match = re.match(rb'([rRbBuU]{0,2})("""|\'\'\'|"|\')\s*(.*)', raw)
    if not match:
        return None
    first = match.group(3).split(b"\n", 1)[0].rstrip()
    quote = match.group(2)
    if first.endswith(quote):
        first = first[: -len(quote)]
    first = first.replace(b"\\", b"").replace(quote[:1], b"")
    return quote + first + quote if first else None


def _whole_line_comments(outline: dict[str, list[Any]], source: bytes) -> list[tuple[int, int]]:
    """Byte ranges (with their line) of comments that are alone on their lines."""
    ranges: list[tuple[int, int]] = []
    for node in outline.get("c", ()):
        line_start = source.rfind(b"\n", 0, node.start_byte) + 1
        line_end = source.find(b"\n", node.end_byte)
        line_end = len(source) if line_end == -1 else line_end
        if (
            not source[line_start : node.start_byte].strip()
            and not source[node.end_byte : line_end].strip()
        ):
            ranges.append((line_start, min(len(source), line_end + 1)))
    return sorted(set(ranges))


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


def _choose_elided(bodies: list[_Body], source: bytes, text: str, ctx: CompressContext) -> set[int]:
    """Indices of bodies to elide: all but those the budget, the query and size keep."""
    terms = query_terms(ctx.query)
    estimate = token_estimator(text, ctx.counter)
    costs: list[int] = []
    hit: set[int] = set()
    for index, b in enumerate(bodies):  # one body's text at a time: no copy of them all
        body = source[b.start : b.end].decode("utf-8", "replace")
        costs.append(estimate(body))
        if ctx.focus.hits(body):
            hit.add(index)
    skeleton = ctx.counter.count(text) - sum(costs)
    # The outline (declarations, signatures, imports) is kept whatever the budget, so it is
    # not a choice the budget makes: it is charged at half, and bodies keep some room when
    # a file is mostly declarations.
    room = ctx.budget_tokens - skeleton // 2
    named = {i for i, b in enumerate(bodies) if b.name and b.name.lower() in terms} | hit
    references = _references(text, {b.name for b in bodies if b.name})
    references_of = [references[b.name] if b.name else 0 for b in bodies]
    order = sorted(
        range(len(bodies)),
        key=lambda i: (
            i not in named,
            bodies[i].lines > _SHORT_BODY_LINES,
            -references_of[i],
            costs[i],
            i,
        ),
    )
    keep: set[int] = set()
    for i in order:
        if i in named or bodies[i].lines <= _SHORT_BODY_LINES or costs[i] <= room:
            keep.add(i)
            room -= costs[i]
    return set(range(len(bodies))) - keep


Edit = tuple[int, int, bytes]


def _applied(edits: list[Edit]) -> list[Edit]:
    """The non-overlapping (start, end, replacement) edits in order; an edit inside an
    earlier one (a comment inside an elided body) goes with it."""
    applied: list[Edit] = []
    position = 0
    for start, end, replacement in sorted(edits):
        if start < position:
            continue
        applied.append((start, end, replacement))
        position = end
    return applied


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


def _edited(tree: Any, source: bytes, applied: list[Edit]) -> Any:
    """`tree` told about the edits (last first, so earlier offsets still hold), for an
    incremental reparse of the output."""
    point = _points(source, sorted({o for start, end, _ in applied for o in (start, end)}))
    for start, end, replacement in reversed(applied):
        start_point = point[start]
        breaks = replacement.count(b"\n")
        if breaks:
            new_end_point = (
                start_point[0] + breaks,
                len(replacement) - replacement.rfind(b"\n") - 1,
            )
        else:
            new_end_point = (start_point[0], start_point[1] + len(replacement))
        tree.edit(
            start_byte=start,
            old_end_byte=end,
            new_end_byte=start + len(replacement),
            start_point=start_point,
            old_end_point=point[end],
            new_end_point=new_end_point,
        )
    return tree


def _points(source: bytes, offsets: list[int]) -> dict[int, tuple[int, int]]:
    """(row, column) of each of the ascending byte `offsets`, counting the line breaks
    between one and the next (in C): one pass over the source whatever the number of edits."""
    points: dict[int, tuple[int, int]] = {}
    row = previous = 0
    for offset in offsets:
        row += source.count(b"\n", previous, offset)
        previous = offset
        points[offset] = (row, offset - (source.rfind(b"\n", 0, offset) + 1))
    return points


def _placeholder(body: _Body, language: str, ref: str) -> bytes:
    note = format_note(ref, f"body of {body.name or 'function'} omitted, {body.lines} lines")
    if language == "python":
        head = body.docstring + b"\n" + body.indent if body.docstring else b""
        return head + b"...  " + _comment(note, language)
    return b"{ " + _comment(note, language) + b" }"


def _comment(note: str, language: str) -> bytes:
    if language == "python":
        return b"# " + note.encode()
    return b"/* " + note.encode() + b" */"
