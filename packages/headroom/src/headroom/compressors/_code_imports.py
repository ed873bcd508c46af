"""Runs of imports for the CodeCompressor, as row spans that may become one gap marker.

A run of adjacent top-level imports (Go's `import ( ... )` block, `use` lines, `#include`
lines...) keeps its first import; the rows after it may be shown as one gap marker with
their exact count. Nothing is joined or rewritten: kept imports stay whole lines.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ImportSpan", "import_spans", "last_row"]

_IMPORT_NODES: dict[str, frozenset[str]] = {
    "python": frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
    "javascript": frozenset({"import_statement"}),
    "typescript": frozenset({"import_statement"}),
    "tsx": frozenset({"import_statement"}),
    "go": frozenset({"import_declaration"}),
    "rust": frozenset({"use_declaration"}),
    "java": frozenset({"import_declaration"}),
    "c": frozenset({"preproc_include"}),
    "cpp": frozenset({"preproc_include", "using_declaration"}),
}
_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})


def last_row(node: Any) -> int:
    """The last row holding text of `node` (a node ending with its newline ends at column 0
    of the next row)."""
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else int(row)


ImportSpan = tuple[int, int, int, tuple[int, ...]]
"""First row, last row, row of the kept import, and the rows where each later import
starts (where the span may start instead, the imports before it shown)."""


def import_spans(root: Any, language: str) -> list[ImportSpan]:
    """The rows after the first import of each run of adjacent top-level imports (see
    `ImportSpan`); comments between them go with the run."""
    kinds = _IMPORT_NODES.get(language)
    if not kinds:
        return []
    spans: list[ImportSpan] = []
    run: list[Any] = []
    for child in [*root.children, None]:
        if child is not None and child.type in kinds:
            if language == "go" and _go_block(child, spans):
                child = None  # a parenthesised block is a run of its own
            else:
                run.append(child)
                continue
        if child is not None and child.type in _COMMENTS and run:
            continue
        if len(run) > 1:
            later = tuple(node.start_point[0] for node in run[2:])
            spans.append((run[1].start_point[0], last_row(run[-1]), run[0].start_point[0], later))
        run = []
    return spans


def _go_block(declaration: Any, spans: list[ImportSpan]) -> bool:
    """Whether `declaration` is `import ( ... )`; if so its specs after the first are a span."""
    specs = next((c for c in declaration.children if c.type == "import_spec_list"), None)
    if specs is None:
        return False
    named = [c for c in specs.named_children if c.type == "import_spec"]
    if len(named) > 1 and named[1].start_point[0] > named[0].start_point[0]:
        later = tuple(spec.start_point[0] for spec in named[2:])
        spans.append((named[1].start_point[0], last_row(named[-1]), named[0].start_point[0], later))
    return True
