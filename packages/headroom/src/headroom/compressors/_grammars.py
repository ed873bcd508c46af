"""tree-sitter grammars compiled into their wheels (nothing is fetched at run time)."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

__all__ = ["FUNCTION_NODES", "Edit", "edited", "outline_query_for", "parser_for"]

Edit = tuple[int, int, bytes]
"""Bytes `start`..`end` of a source replaced by the given bytes."""

# language -> (module, function returning the grammar pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}

# Nodes whose `body` field is a function body that may be elided.
FUNCTION_NODES = frozenset(
    {
        "function_definition",
        "function_declaration",
        "method_definition",
        "method_declaration",
        "constructor_declaration",
        "function_item",
        "generator_function_declaration",
        "arrow_function",
        "function_expression",
        "function",
    }
)


@lru_cache(maxsize=16)
def parser_for(language: str) -> Any | None:
    """A tree-sitter Parser for `language`, or None when its grammar wheel is missing."""
    spec = _GRAMMARS.get(language)
    if spec is None:
        return None
    try:
        from tree_sitter import Language, Parser

        module = importlib.import_module(spec[0])
        return Parser(Language(getattr(module, spec[1])()))
    except (ImportError, AttributeError, ValueError, TypeError):
        return None


_COMMENT_KINDS = ("comment", "line_comment", "block_comment")
# Collection literals whose elements may be data (a generated table, a descriptor list).
_LITERAL_KINDS = (
    "list",  # Python
    "tuple",
    "dictionary",
    "set",
    "array",  # JavaScript, TypeScript
    "object",
    "initializer_list",  # C, C++
    "array_initializer",  # Java
    "literal_value",  # Go
    "array_expression",  # Rust
)
# A call's arguments: data too in a generated module (a descriptor built by one long call).
_ARGUMENT_KINDS = ("argument_list", "arguments")


@lru_cache(maxsize=32)
def outline_query_for(language: str, *, calls: bool = False) -> Any | None:
    """One query over a file's syntax tree (run in C, so no walk over every node in
    Python): each comment as `c`, the body of each function node as `body` (its parent
    is the function), each collection literal (with `calls`, also each call's argument
    list) as `data`, and in Python each string standing alone as a statement (a
    docstring) as `doc`."""
    parser = parser_for(language)
    if parser is None:
        return None
    from tree_sitter import Query, QueryError

    grammar = parser.language
    patterns = []
    comments = [kind for kind in _COMMENT_KINDS if grammar.id_for_node_kind(kind, True)]
    if comments:
        patterns.append("[" + " ".join(f"({kind})" for kind in comments) + "] @c")
    for kind in sorted(FUNCTION_NODES):
        if not grammar.id_for_node_kind(kind, True):
            continue
        pattern = f"({kind} body: (_) @body)"
        try:
            Query(grammar, pattern)
        except QueryError:
            continue  # this grammar's node has no body field
        patterns.append(pattern)
    kinds = _LITERAL_KINDS + _ARGUMENT_KINDS if calls else _LITERAL_KINDS
    literals = [kind for kind in kinds if grammar.id_for_node_kind(kind, True)]
    if literals:
        patterns.append("[" + " ".join(f"({kind})" for kind in literals) + "] @data")
    if language == "python":
        patterns.append("(expression_statement (string) @doc)")
    return Query(grammar, "\n".join(patterns)) if patterns else None


def edited(tree: Any, source: bytes, applied: list[Edit]) -> Any:
    """`tree` told about the (ordered, non-overlapping) edits of `source` (last first, so
    earlier offsets still hold), for an incremental reparse of the edited source:
    tree-sitter then reparses only around them, and gives the tree a parse from scratch
    would."""
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
