"""Spans of a generated module, whose outline alone is over its budget: the interior of a
run of one-line statements of one template (`_A.fields[0]._features = ...`), and of a run
of sibling definitions of one kind (a stub file's signatures, a table of classes). Only
whole statements, each on lines of its own, so the file still parses with a marker
comment in their place. Their first and last stay, and their first rows as the budget
allows; they go last of all."""

from __future__ import annotations

import bisect
import re
from typing import Any

from headroom.compressors._code_span import MIN_RUN, Span, covered_rows, indent

__all__ = ["sibling_runs", "template_runs"]

_COMMENT_STARTS = (b"#", b"//", b"/*", b"*")
# Blinded in a line's shape: string literals on one line, numbers, names.
_SHAPE_STRING = re.compile(rb"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
_SHAPE_NUMBER = re.compile(rb"\b\d[\w.]*")
# A name with its accessors (`_A.fields[0]._features`, `d["key"]`) is one name: a
# generator's entries differ in how deep they reach, not in their template.
_SHAPE_NAME = re.compile(rb"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\]\n]*\])*")
_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
_UNRUN = frozenset({"import_statement", "import_from_statement"})
_DOCUMENTATION = frozenset({"comment", "doc"})  # spans any run may take in
_SUBSUMED = _DOCUMENTATION | {"body"}  # spans a run of definitions may take in
_DEFINITION_SUFFIXES = ("definition", "declaration", "signature", "_item")


def template_runs(root: Any, lines: list[bytes], spans: list[Span], sign: bytes) -> list[Span]:
    """The interior rows of each run of `MIN_RUN` or more consecutive one-line statements
    of one template (names, numbers and strings blinded) at one indentation, outside every
    other span: what a generator writes once per entry (`_A.fields[0]._features = ...`,
    `registry.add("x", 1)`). Only rows the syntax tree shows as a whole statement of their
    own are taken, so a marker in their place leaves the file parsing. Like `#define`
    runs, their first and last rows stay and they go last; a run too long for the budget
    shows its first rows as far as the budget pays."""
    covered = covered_rows(spans, len(lines))
    shapes = _line_shapes(lines, covered)
    found: list[Span] = []
    run: list[int] = []

    def flush() -> None:
        if len(run) >= MIN_RUN:
            whole = [row for row in run[1:-1] if _whole_statement(root, row, lines[row])]
            if len(whole) == len(run) - 2:
                prefix = indent(lines[run[1]]) + sign
                # Each row a statement of its own: the span may start at any, its rows
                # before then shown while the budget pays.
                found.append(Span(run[1], run[-2], prefix, "defines", starts=tuple(run[2:-2])))
        run.clear()

    for row, line in enumerate(lines):
        if covered[row] or not shapes[row] or shapes[row].startswith(_COMMENT_STARTS):
            flush()
            continue
        if run and (shapes[row] != shapes[run[-1]] or indent(line) != indent(lines[run[-1]])):
            flush()
        run.append(row)
    flush()
    return found


def _line_shapes(lines: list[bytes], covered: bytearray) -> list[bytes]:
    """Each line outside the `covered` rows stripped, its strings, numbers and names
    blinded (covered rows are empty): three passes over those lines joined (none of the
    patterns crosses a line break)."""
    joined = b"\n".join(b"" if covered[row] else line for row, line in enumerate(lines))
    joined = _SHAPE_STRING.sub(b"s", joined)
    joined = _SHAPE_NUMBER.sub(b"9", joined)
    joined = _SHAPE_NAME.sub(b"a", joined)
    return [line.strip() for line in joined.split(b"\n")]


def _whole_statement(root: Any, row: int, line: bytes) -> bool:
    """Whether the smallest syntax node holding all of `line` is exactly that line (a
    statement or declaration of its own, not a piece of a string or of a longer
    expression) and parsed without error."""
    start = len(line) - len(line.lstrip())
    end = len(line.rstrip())
    node = root.descendant_for_point_range((row, start), (row, end))
    return bool(
        node is not None
        and node.start_point == (row, start)
        and node.end_point == (row, end)
        and not node.has_error
    )


def sibling_runs(
    root: Any, lines: list[bytes], spans: list[Span], sign: bytes, *, whole_definitions: bool
) -> list[Span]:
    """The interior of each run of `MIN_RUN` or more consecutive sibling definitions
    (function definitions of a stub file, decorated overloads, an interface's members,
    classes of a table), each whole on lines of its own, outside every other span but a
    comment's or a docstring's (the comments between definitions, a JSDoc over each
    member, go with them); with `whole_definitions`, a run of definitions takes in their
    function bodies too (the last step, for a file over its budget even without them).
    Definitions are of one sort whatever their node types (`_sort_of`): a namespace's
    type aliases and interfaces are one run. A run holding a run of definitions gives way
    to it (`_innermost`)."""
    # A run takes in the comments and docstrings inside it, a run of definitions their
    # bodies too; a run of statements stays outside function bodies.
    covered_all = covered_rows([s for s in spans if s.kind not in _DOCUMENTATION], len(lines))
    covered = (
        covered_rows([s for s in spans if s.kind not in _SUBSUMED], len(lines))
        if whole_definitions
        else covered_all
    )
    body_rows = bytearray(len(lines))  # the first row of each body span
    for span in spans:
        if span.kind == "body":
            body_rows[span.first] = 1
    found: list[tuple[Span, bool]] = []  # each run's span, and whether it is of definitions
    stack = [root]
    while stack:
        node = stack.pop()
        run: list[Any] = []
        for child in [*node.named_children, None]:
            if child is not None and child.type in _COMMENTS:
                continue  # a comment between definitions neither breaks nor joins a run
            if child is not None and child.type not in _UNRUN and _on_own_lines(child, lines):
                if run and (
                    _sort_of(child) != _sort_of(run[-1])
                    or child.start_point[0] <= run[-1].end_point[0]
                ):
                    found += _run_spans(run, lines, (covered, covered_all), body_rows, sign)
                    run = []
                run.append(child)
                continue
            found += _run_spans(run, lines, (covered, covered_all), body_rows, sign)
            run = []
        stack.extend(c for c in node.named_children if c.end_point[0] - c.start_point[0] >= MIN_RUN)
    return _innermost(found)


def _run_spans(
    run: list[Any],
    lines: list[bytes],
    covered: tuple[bytearray, bytearray],
    body_rows: bytearray,
    sign: bytes,
) -> list[tuple[Span, bool]]:
    """`_interior` of `run`, marked as a run of definitions or not."""
    definitions = bool(run) and _sort_of(run[0]) == "definition"
    rows = covered[0] if definitions else covered[1]
    return [(span, definitions) for span in _interior(run, lines, rows, body_rows, sign)]


def _innermost(found: list[tuple[Span, bool]]) -> list[Span]:
    """The spans of `found` but those of runs holding a run of definitions: a class's
    members go before the classes of a module do, so every class keeps its header line."""
    held = sorted(span.first for span, definitions in found if definitions)
    out: list[Span] = []
    for span, _ in found:
        at = bisect.bisect_right(held, span.first)
        if not (at < len(held) and held[at] <= span.last):
            out.append(span)
    return sorted(out, key=lambda s: (s.first, s.last))


def _sort_of(node: Any) -> str:
    """A node's type, every definition's the same (`function_definition`, `decorated_
    definition`, `interface_declaration`, `property_signature`, `struct_item`, ...)."""
    if node.type.endswith(_DEFINITION_SUFFIXES):
        return "definition"
    return str(node.type)


def _on_own_lines(node: Any, lines: list[bytes]) -> bool:
    """Whether `node` starts its first line (after indentation) and ends its last, but
    for the separator after it (an interface member's `;`, an object literal method's `,`)."""
    first, last = node.start_point[0], node.end_point[0]
    head = lines[first][: node.start_point[1]]
    tail = lines[last][node.end_point[1] :] if last < len(lines) else b""
    return not head.strip() and tail.strip() in (b"", b";", b",") and not node.has_error


def _interior(
    run: list[Any], lines: list[bytes], covered: bytearray, body_rows: bytearray, sign: bytes
) -> list[Span]:
    """The rows after `run`'s first node and up to the end of the one before its last (the
    comments over each node go with it), as one span (none when they are too few or
    another span covers any of them)."""
    if len(run) < MIN_RUN:
        return []
    first, last = run[0].end_point[0] + 1, run[-2].end_point[0]
    if any(covered[first : last + 1]):
        return []
    # Where the span may start instead: after any of its nodes, with that node's comments.
    starts = tuple(node.end_point[0] + 1 for node in run[1:-2])
    prefix = indent(lines[run[1].start_point[0]]) + sign
    bodies = tuple(row for row in range(first, last + 1) if body_rows[row])
    return [Span(first, last, prefix, "defines", starts=starts, bodies=bodies)]
