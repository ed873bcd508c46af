"""Import collapsing for the CodeCompressor: a run of imports becomes one line.

Only whitespace changes, so nothing is lost: line breaks and indentation inside and between
import statements go, joined by `; ` where the language needs a separator. C and C++
`#include` lines are preprocessor lines and stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["import_run_edits"]

_IMPORT_NODES: dict[str, frozenset[str]] = {
    "python": frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
    "javascript": frozenset({"import_statement"}),
    "typescript": frozenset({"import_statement"}),
    "tsx": frozenset({"import_statement"}),
    "go": frozenset({"import_declaration"}),
    "rust": frozenset({"use_declaration"}),
    "java": frozenset({"import_declaration"}),
}
_MIN_RUN = 2


def import_run_edits(root: Any, source: bytes, language: str) -> list[tuple[int, int, bytes]]:
    """(start, end, replacement) for each run of adjacent top-level imports."""
    kinds = _IMPORT_NODES.get(language)
    if not kinds:
        return []
    edits: list[tuple[int, int, bytes]] = []
    run: list[Any] = []
    for child in [*root.children, None]:
        if child is not None and child.type in kinds:
            run.append(child)
            continue
        if child is not None and child.type in ("comment", "line_comment", "block_comment"):
            continue  # comments between imports are stripped anyway
        if len(run) >= _MIN_RUN or (run and b"\n" in source[run[0].start_byte : run[0].end_byte]):
            pieces = [_one_line(source[n.start_byte : n.end_byte], language) for n in run]
            edits.append((run[0].start_byte, run[-1].end_byte, _join(pieces, language)))
        run = []
    return edits


def _one_line(text: bytes, language: str) -> bytes:
    text = text.replace(b"\\\n", b" ")
    if language == "go":
        text = re.sub(rb"\(\s*", b"(", text)
        text = re.sub(rb"\s*\)", b")", text)
        text = re.sub(rb"\s*\n\s*", b"; ", text)
    else:
        text = re.sub(rb"([(\[{])\s*\n\s*", rb"\1", text)
        text = re.sub(rb",?\s*\n\s*([)\]}])", rb"\1", text) if language == "python" else text
        text = re.sub(rb"\s*\n\s*", b" ", text)
    return text.strip()


def _join(pieces: list[bytes], language: str) -> bytes:
    if language in ("python", "go"):
        return b"; ".join(pieces)
    return b" ".join(p if p.endswith(b";") else p + b";" for p in pieces)
