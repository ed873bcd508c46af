"""A span of a source file that code compression may show as one gap marker, and what the
modules finding spans share."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIN_RUN", "Span", "covered_rows", "indent"]

MIN_RUN = 6
"""Lines or nodes in a row that make a run whose interior may go (first and last stay)."""


@dataclass(frozen=True)
class Span:
    """Rows `first`..`last` (inclusive) that may be shown as one gap marker line."""

    first: int
    last: int
    prefix: bytes
    """What comes before the marker on its line: indentation and a comment sign."""
    kind: str
    """body, doc (a docstring's rest), comment (a comment block's rest), imports,
    defines (a run of one-line `#define`s, prototypes or typedefs, its interior) or data (a
    literal's interior)."""
    name: str = ""
    """The function a body or docstring belongs to."""
    starts: tuple[int, ...] = ()
    """A data span's (or a run of imports') rows where one of its elements starts with no
    element running across it: where the span may start instead, its rows before it then
    shown."""
    bodies: tuple[int, ...] = ()
    """First rows of the function bodies (of more than one line) inside a run of
    definitions: left out with it, those in its rows."""

    def bodies_inside(self) -> int:
        return sum(1 for row in self.bodies if self.first <= row <= self.last)


def indent(line: bytes) -> bytes:
    return line[: len(line) - len(line.lstrip(b" \t"))]


def covered_rows(spans: list[Span], count: int) -> bytearray:
    """One byte per row of `count`, set where one of `spans` covers it."""
    covered = bytearray(count)
    for span in spans:
        covered[span.first : span.last + 1] = b"\x01" * (span.last - span.first + 1)
    return covered
