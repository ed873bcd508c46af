"""The one marker format and the one hash scheme of CCR.

Contract (changing it changes every ref and breaks every stored history):

* A ref is the first 16 hex characters of SHA-256 over the original's UTF-8 bytes
  (lone surrogates encoded with ``surrogatepass``). Refs are looked up inside a
  namespace, so one tenant cannot read another's originals by knowing a ref.
* A marker is plain text with one grammar::

      [headroom: <detail>; headroom_retrieve ref=<16 hex>]     the payload's ref, stated once
      [headroom: <detail>]                                     a gap, e.g. [headroom: 24 lines]

  where ``<detail>`` says what was left out, e.g. ``kept 12 of 300 items``. A compressed
  payload states its ref once (usually on its closing line, ``kept 40 of 2000 lines``);
  each gap inside it is a short marker with its exact count, redeemed with that ref.
  Inside JSON a marker is a JSON string value; inside code it sits in a comment.
* A pointer is a gap whose lines the context still shows in an earlier tool output
  (cross-turn de-duplication): ``[headroom: lines 75-100 as in message 3]``, or
  ``[headroom: line 80 as in message 3 part 2]`` when that message holds several tool
  outputs. Messages and parts count from 1 in the request's message list; the lines are
  those of that output as the tool returned it (its original). The pointer's own lines are
  redeemed with its payload's ref like any gap.
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
    "ANY_MARKER_RE",
    "GAP_TOKENS",
    "MARKER_RE",
    "POINTER_RE",
    "Marker",
    "Pointer",
    "content_digest",
    "end_reads_as_comment",
    "find_markers",
    "format_detail",
    "format_gap",
    "format_marker",
    "format_note",
    "format_pointer",
    "make_ref",
    "neutralise_markers",
    "parse_pointer",
    "ref_of_digest",
    "split_lines",
]

REF_LENGTH = 16
MARKER_RE = re.compile(
    r"\[headroom: (?P<detail>[^\[\]\n;]*); headroom_retrieve ref=(?P<ref>[0-9a-f]{16})\]"
)
"""A marker that states its ref."""
ANY_MARKER_RE = re.compile(
    r"\[headroom: (?P<detail>[^\[\]\n;]*)(?:; headroom_retrieve ref=(?P<ref>[0-9a-f]{16}))?\]"
)
"""Any marker: one that states its ref, or a gap that uses its payload's ref."""
GAP_TOKENS = 8
"""About what one gap marker costs (`[headroom: 24 lines]`)."""
POINTER_RE = re.compile(
    r"lines? (?P<first>\d+)(?:-(?P<last>\d+))? as in message (?P<message>\d+)"
    r"(?: part (?P<part>\d+))?"
)
"""The detail of a pointer (see the contract)."""


@dataclass(frozen=True)
class Pointer:
    """Where a pointer's lines are shown: lines `first`-`last` (from 1) of the tool output
    in message `message` (from 1), its `part` (from 1) when that message holds several."""

    first: int
    last: int
    message: int
    part: int | None = None

    @property
    def lines(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class Marker:
    """A marker found in compressed text."""

    ref: str
    detail: str
    start: int
    end: int

    @property
    def pointer(self) -> Pointer | None:
        """Where the context shows this marker's lines, when it is a pointer."""
        return parse_pointer(self.detail)


def content_digest(original: str) -> str:
    """The SHA-256 of `original` (hex): its ref is the start of it, and the decision key of
    a payload is made from it, so a payload is hashed once."""
    return hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()


def make_ref(original: str) -> str:
    """The CCR ref of `original` (see the module contract)."""
    return ref_of_digest(content_digest(original))


def ref_of_digest(digest: str) -> str:
    """The CCR ref of a payload whose `content_digest` is `digest`."""
    return digest[:REF_LENGTH]


def format_note(ref: str, detail: str) -> str:
    """A marker with a free-form detail (no brackets, semicolons or newlines)."""
    clean = " ".join(re.sub(r"[\[\];\n]+", " ", detail).split())
    return f"[headroom: {clean}; headroom_retrieve ref={ref}]"


def format_gap(count: int, unit: str = "lines") -> str:
    """A gap of `count` units inside a payload whose ref is stated once elsewhere in it."""
    clean = " ".join(re.sub(r"[\[\];\n]+", " ", unit).split())
    if count == 1 and clean.endswith("s"):
        clean = clean[:-1]  # "1 line", "1 row"
    return f"[headroom: {count} {clean}]"


_COMMENT_START = re.compile(r"//|#")


def end_reads_as_comment(line: str, start: int = 0) -> bool:
    """Whether `line` from `start` holds `//` or `#`. Kept after an in-line gap marker, such
    an end reads as a comment following code, so no one (an integrity audit included) can
    tell that it is the end of the original line: a line whose end holds one gets no
    in-line marker before that end."""
    return _COMMENT_START.search(line, start) is not None


def format_detail(detail: str) -> str:
    """A gap marker with a free-form detail (no brackets, semicolons or newlines); its
    payload states the ref elsewhere."""
    clean = " ".join(re.sub(r"[\[\];\n]+", " ", detail).split())
    return f"[headroom: {clean}]"


def format_marker(ref: str, kept: int, total: int, unit: str) -> str:
    """The usual marker: how many of how many units were kept."""
    return format_note(ref, f"kept {kept} of {total} {unit}")


def format_pointer(pointer: Pointer, ref: str | None = None) -> str:
    """A pointer marker; with `ref` it also states its payload's ref."""
    span = (
        f"line {pointer.first}" if pointer.lines == 1 else f"lines {pointer.first}-{pointer.last}"
    )
    detail = f"{span} as in message {pointer.message}"
    if pointer.part is not None:
        detail += f" part {pointer.part}"
    return format_note(ref, detail) if ref else format_detail(detail)


def parse_pointer(detail: str) -> Pointer | None:
    """The pointer a marker's detail states, or None when it is not a pointer."""
    match = POINTER_RE.fullmatch(detail.strip())
    if match is None:
        return None
    first = int(match["first"])
    last = int(match["last"]) if match["last"] else first
    part = int(match["part"]) if match["part"] else None
    if last < first:
        return None
    return Pointer(first, last, int(match["message"]), part)


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
    return ANY_MARKER_RE.sub(lambda m: QUOTED_PREFIX + m.group(0)[len("[headroom: ") :], text)


def find_markers(text: str) -> list[Marker]:
    """Every marker in `text`, in order; a gap carries the ref its payload states (the
    nearest marker with a ref after it, else before it). Gaps in a text that states no
    ref are not markers that can be redeemed and are left out."""
    found = list(ANY_MARKER_RE.finditer(text))
    refs: list[str | None] = [m["ref"] for m in found]
    following: str | None = None
    for i in range(len(found) - 1, -1, -1):  # a gap takes the next stated ref ...
        following = refs[i] = refs[i] or following
    preceding: str | None = None
    for i, match in enumerate(found):  # ... or, with none after it, the last one before it
        preceding = match["ref"] or preceding
        refs[i] = refs[i] or preceding
    return [
        Marker(ref, m["detail"], m.start(), m.end())
        for m, ref in zip(found, refs, strict=True)
        if ref is not None
    ]
