"""The spans of a source file that code compression may show as one gap marker each:
function bodies, the rest of comment blocks and docstrings, runs of imports, the interior
of long runs of one-line `#define`s, prototypes or typedefs (a generated header's tables)
and the interior of long collection literals of data (a generated lookup table, a
descriptor list)."""

from __future__ import annotations

import re
from typing import Any

from headroom.compressors._code_imports import import_spans, last_row
from headroom.compressors._code_runs import sibling_runs, template_runs
from headroom.compressors._code_span import MIN_RUN, Span, covered_rows, indent
from headroom.compressors._grammars import FUNCTION_NODES, outline_query_for

__all__ = ["MIN_RUN", "Span", "indent", "row_starts", "spans_of"]

_CONTENT = re.compile(rb"[A-Za-z0-9]")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_TRIPLE_QUOTED = re.compile(rb"[rRbBuU]{0,2}(\"\"\"|\'\'\')")
_RUN_LANGUAGES = frozenset({"c", "cpp"})
_MIN_DATA_ROWS = 8
_FUNCTION_LIKE = FUNCTION_NODES | {"lambda"}
"""Rows of whole elements inside a collection literal that make its interior elidable."""
WRAPPER_SHARE = 0.5
"""A function whose body holds more than this share of the file's lines wraps the module
(an IIFE, a UMD factory): its inner functions are elided one by one instead."""


def row_starts(lines: list[bytes]) -> list[int]:
    """Byte offset of each row, and one past the end."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    return starts


def spans_of(
    root: Any,
    lines: list[bytes],
    language: str,
    *,
    generated: bool = False,
    whole_definitions: bool = False,
) -> tuple[list[Span], int]:
    """The elidable spans of the file, disjoint and in order, and its number of function
    bodies of more than one line. Spans inside an elidable body go with that body. With
    `generated` (the outline alone is over the budget, as in a generated module), also
    the interior of long call argument lists, of runs of one-line statements of one
    template and of runs of sibling definitions (`_code_runs`); with `whole_definitions`
    (even those are not enough), runs of definitions that hold function bodies too."""
    query = outline_query_for(language, calls=generated)
    if query is None:
        return [], 0
    from tree_sitter import QueryCursor

    # captures() lists each name's nodes in no fixed order: sorted, the spans (and so the
    # output) are the same on every run.
    outline: dict[str, list[Any]] = {
        name: sorted(nodes, key=lambda node: (node.start_byte, node.end_byte))
        for name, nodes in QueryCursor(query).captures(root).items()
    }
    sign = b"# " if language == "python" else b"// "
    spans = _body_spans(outline.get("body", ()), lines, language, sign)
    bodies = len(spans)
    spans += _doc_spans(outline.get("doc", ()), lines)
    spans += _comment_spans(outline.get("c", ()), lines, sign)
    for first, last, kept, later in import_spans(root, language):
        spans.append(Span(first, last, indent(lines[kept]) + sign, "imports", starts=later))
    spans += _data_spans(outline.get("data", ()), lines, sign)
    spans += _define_runs(lines, spans, language, sign)
    if generated:
        spans += template_runs(root, lines, spans, sign)
        spans += sibling_runs(root, lines, spans, sign, whole_definitions=whole_definitions)
    ordered: list[Span] = []
    end = -1
    for span in sorted(spans, key=lambda s: (s.first, s.kind != "body", -s.last)):
        if span.first > end and span.last >= span.first:
            ordered.append(span)
            end = span.last
    return ordered, bodies


def _body_spans(bodies: Any, lines: list[bytes], language: str, sign: bytes) -> list[Span]:
    """The interior rows of each outermost function body of more than one line: between
    the line that opens a brace body and the line that closes it, or a Python block after
    its docstring."""
    candidates = sorted(
        ((body.parent.start_byte, -body.parent.end_byte, body) for body in bodies),
        key=lambda c: (c[0], c[1]),
    )
    spans: list[Span] = []
    outer_end = -1  # end of the last function whose body is elided as a unit
    for start, _, body in candidates:
        if start < outer_end:
            continue  # inside a function already found
        span = _body_span(body, lines, language, sign)
        if span is None:
            continue
        if span.last - span.first + 1 > len(lines) * WRAPPER_SHARE:
            continue  # a module wrapper: its inner functions are the units
        spans.append(span)
        outer_end = body.parent.end_byte
    return spans


def _body_span(body: Any, lines: list[bytes], language: str, sign: bytes) -> Span | None:
    node = body.parent
    name_node = node.child_by_field_name("name") or node.child_by_field_name("declarator")
    declared = name_node.text.decode("utf-8", "replace").split("(", 1)[0] if name_node else ""
    name = ([""] + _IDENTIFIER.findall(declared))[-1]  # `*f(` `Cls::f(` `f<T>(` -> the f
    first_row, end_row = body.start_point[0], last_row(body)
    if language == "python":
        if body.type != "block" or lines[first_row][: body.start_point[1]].strip():
            return None  # a body on its function's line
        children = body.named_children
        documented = bool(children) and _is_docstring(children[0])
        if documented:
            first_row = last_row(children[0]) + 1
        if first_row > end_row:
            return None
        margin = indent(lines[first_row])
        return Span(
            first_row, end_row, margin + (b"# " if documented else b"...  # "), "body", name
        )
    opening, closing = lines[first_row], lines[end_row]
    if (
        body.text[:1] != b"{"
        or body.text[-1:] != b"}"
        or opening[body.start_point[1] + 1 :].strip()
        or closing[: body.end_point[1] - 1].strip()
        or end_row - first_row < 2
    ):
        return None
    inner = next((line for line in lines[first_row + 1 : end_row] if line.strip()), b"")
    return Span(first_row + 1, end_row - 1, indent(inner) + sign, "body", name)


def _is_docstring(node: Any) -> bool:
    return bool(
        node.type == "expression_statement"
        and node.named_children
        and node.named_children[0].type == "string"
        and _TRIPLE_QUOTED.match(node.named_children[0].text)
    )


def _doc_spans(docs: Any, lines: list[bytes]) -> list[Span]:
    """The rows of each triple-quoted docstring after its first line of content and before
    its closing line: the marker stays inside the string."""
    spans = []
    for string in docs:
        if not _TRIPLE_QUOTED.match(string.text):
            continue
        first, last = string.start_point[0], last_row(string)
        content = _first_content_row(lines, first, last)
        if content + 1 <= last - 1:
            spans.append(Span(content + 1, last - 1, indent(lines[first]), "doc", _owner(string)))
    return spans


def _owner(string: Any) -> str:
    """The name of the function `string` is the docstring of, else ""."""
    statement = string.parent
    block = statement.parent if statement is not None else None
    function = block.parent if block is not None and block.type == "block" else None
    if function is None or function.type != "function_definition":
        return ""
    if block is None or block.named_children[0] != statement:
        return ""
    name = function.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else ""


def _first_content_row(lines: list[bytes], first: int, last: int) -> int:
    for row in range(first, last + 1):
        if _CONTENT.search(lines[row]):
            return row
    return last


def _comment_spans(comments: Any, lines: list[bytes], sign: bytes) -> list[Span]:
    """The rows of each comment block after its first line of content: a block comment
    keeps its closing line and holds the marker; a run of line comments (same indent,
    adjacent rows) gets a marker comment of its own."""
    spans: list[Span] = []
    run: list[int] = []  # rows of adjacent one-line comments

    def flush() -> None:
        if len(run) > 1:
            content = _first_content_row(lines, run[0], run[-1])
            if content < run[-1]:
                spans.append(Span(content + 1, run[-1], indent(lines[run[0]]) + sign, "comment"))
        run.clear()

    for node in comments:
        row, end = node.start_point[0], last_row(node)
        if lines[row][: node.start_point[1]].strip() or lines[end][node.end_point[1] :].strip():
            continue  # not alone on its lines
        if end > row:
            flush()
            content = _first_content_row(lines, row, end)
            if content + 1 <= end - 1:
                spans.append(Span(content + 1, end - 1, indent(lines[content + 1]), "comment"))
            continue
        if run and (row != run[-1] + 1 or indent(lines[row]) != indent(lines[run[0]])):
            flush()
        run.append(row)
    flush()
    return spans


def _data_spans(literals: Any, lines: list[bytes], sign: bytes) -> list[Span]:
    """The interior rows of each outermost collection literal of data: the rows after its
    first element and before its last, when they hold only whole elements (so the literal
    still parses with a marker comment in their place) and no function."""
    spans: list[Span] = []
    end = -1  # the last row of the literal last taken: literals inside it go with it
    for literal in literals:
        if literal.start_point[0] <= end or literal.end_point[0] - literal.start_point[0] < (
            _MIN_DATA_ROWS + 2
        ):
            continue
        elements = literal.named_children
        if len(elements) < _MIN_DATA_ROWS or any(e.type in FUNCTION_NODES for e in elements):
            continue
        first, last = last_row(elements[0]) + 1, elements[-1].start_point[0] - 1
        if last - first + 1 < _MIN_DATA_ROWS:
            continue
        if any(
            e.start_point[0] < first <= last_row(e) or e.start_point[0] <= last < last_row(e)
            for e in elements
        ):
            continue  # an element runs across the interior's edge
        if any(_holds_function(e) for e in elements[1:-1]):
            continue  # an object of methods is code, not data
        starts = _clean_starts(elements[1:-1])
        spans.append(Span(first, last, indent(lines[first]) + sign, "data", starts=starts))
        end = last_row(literal)
    return spans


def _clean_starts(elements: Any) -> tuple[int, ...]:
    """The rows where one of `elements` starts and none of them runs across into."""
    starts: list[int] = []
    covered_to = -1  # the last row an earlier element reaches
    for element in elements:
        row = element.start_point[0]
        if row > covered_to and (not starts or row > starts[-1]):
            starts.append(row)
        covered_to = max(covered_to, last_row(element))
    return tuple(starts)


def _holds_function(node: Any) -> bool:
    """Whether `node` has a function among its children or their children (a method of an
    object literal, a lambda in a dict)."""
    return any(
        child.type in _FUNCTION_LIKE or any(g.type in _FUNCTION_LIKE for g in child.named_children)
        for child in node.named_children
    )


def _define_runs(lines: list[bytes], spans: list[Span], language: str, sign: bytes) -> list[Span]:
    """The interior rows of each run of `MIN_RUN` or more consecutive one-line `#define`s,
    or of one-line prototypes, or of one-line typedefs, at one indentation, outside every
    other span: the macro and entry-point tables a generated header repeats for each type
    or extension. Their first and last rows stay; they go last of all, when nothing else
    brings the file within its budget."""
    if language not in _RUN_LANGUAGES:
        return []
    covered = covered_rows(spans, len(lines))
    found: list[Span] = []
    run: list[int] = []
    run_kind = ""

    def flush() -> None:
        if len(run) >= MIN_RUN:
            found.append(Span(run[1], run[-2], indent(lines[run[1]]) + sign, "defines"))
        run.clear()

    for row, line in enumerate(lines):
        kind = "" if covered[row] else _one_line_declaration(line)
        if not kind:
            flush()
            continue
        if run and (
            row != run[-1] + 1 or kind != run_kind or indent(line) != indent(lines[run[0]])
        ):
            flush()
        run.append(row)
        run_kind = kind
    flush()
    return found


def _one_line_declaration(line: bytes) -> str:
    """`define`, `typedef` or `prototype` for a declaration that is whole on `line`, else
    an empty string."""
    stripped = line.strip()
    if stripped.startswith(b"#define"):
        return "" if stripped.endswith(b"\\") else "define"
    if line[:1].isspace() or not stripped.endswith(b";"):
        return ""
    if stripped.startswith(b"typedef "):
        return "typedef"
    if stripped.endswith(b");") and b"(" in stripped and not stripped.startswith((b"#", b"return")):
        return "prototype"
    return ""
