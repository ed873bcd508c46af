"""The one marker format and the one hash scheme of CCR.

Contract (changing it changes every ref and breaks every stored history):

* A ref is the first 16 hex characters of SHA-256 over the original's UTF-8 bytes
  (lone surrogates encoded with ``surrogatepass``). Refs are looked up inside a
  namespace, so one tenant cannot read another's originals by knowing a ref.
* A marker is plain text with one grammar::

      [headroom: <detail>; headroom_retrieve ref=<16 hex>]

  where ``<detail>`` says what was left out, e.g. ``kept 12 of 300 items``. Inside
  JSON the marker is a JSON string value; inside code it sits in a comment.
* Marker-like text in an input is neutralised in compressed output (`[headroom: ...` reads
  `[quoted headroom: ...`), so only real markers look real.
* Counts of lines in markers and retrieval answers use `split_lines`: a final newline
  ends the last line rather than starting an empty one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "MARKER_RE",
    "Marker",
    "find_markers",
    "format_marker",
    "format_note",
    "make_ref",
    "neutralise_markers",
    "split_lines",
]

REF_LENGTH = 16
MARKER_RE = re.compile(
    r"\[headroom: (?P<detail>[^\[\]\n;]*); headroom_retrieve ref=(?P<ref>[0-9a-f]{16})\]"
)


@dataclass(frozen=True)
class Marker:
    """A marker found in compressed text."""

    ref: str
    detail: str
    start: int
    end: int


def make_ref(original: str) -> str:
    """The CCR ref of `original` (see the module contract)."""
    data = original.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:REF_LENGTH]


def format_note(ref: str, detail: str) -> str:
    """A marker with a free-form detail (no brackets, semicolons or newlines)."""
    clean = " ".join(re.sub(r"[\[\];\n]+", " ", detail).split())
    return f"[headroom: {clean}; headroom_retrieve ref={ref}]"


def format_marker(ref: str, kept: int, total: int, unit: str) -> str:
    """The usual marker: how many of how many units were kept."""
    return format_note(ref, f"kept {kept} of {total} {unit}")


def split_lines(text: str) -> list[str]:
    """The lines of `text` split on "\\n" only; a final newline adds no empty line."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


QUOTED_PREFIX = "[quoted headroom: "


def neutralise_markers(text: str) -> str:
    """`text` with every marker-like span made unmistakably not a marker (see the contract)."""
    if "[headroom: " not in text:
        return text
    return MARKER_RE.sub(lambda m: QUOTED_PREFIX + m.group(0)[len("[headroom: ") :], text)


def find_markers(text: str) -> list[Marker]:
    """Every marker in `text`, in order."""
    return [Marker(m["ref"], m["detail"], m.start(), m.end()) for m in MARKER_RE.finditer(text)]
