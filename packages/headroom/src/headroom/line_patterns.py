"""Line patterns matched fast: the test behind log classes and content detection.

Python's regex engine skips ahead quickly only when every branch of a pattern starts with
a literal character; a leading `\\b` or `^` makes it try every branch at every position
(tens of microseconds a line). So a `LinePattern` is three patterns: branches anchored at
the line start (tried once, with `match`), branches that must start a word (the word
boundary checked by hand on each candidate), and branches that may match anywhere.
"""

from __future__ import annotations

import re

__all__ = ["LinePattern"]


class LinePattern:
    """Whether a line holds a match of `^(at_start)|\\b(word)|(anywhere)`."""

    def __init__(self, *, at_start: str = "", word: str = "", anywhere: str = "") -> None:
        self._at_start = re.compile(at_start) if at_start else None
        self._word = re.compile(word) if word else None
        self._anywhere = re.compile(anywhere) if anywhere else None

    def found(self, line: str) -> bool:
        if self._at_start is not None and self._at_start.match(line):
            return True
        if self._anywhere is not None and self._anywhere.search(line):
            return True
        return self._word is not None and _starts_a_word(self._word, line)


def _starts_a_word(pattern: re.Pattern[str], line: str) -> bool:
    """A match of `pattern` (whose branches all begin with a word character) at a word start."""
    position = 0
    while (found := pattern.search(line, position)) is not None:
        start = found.start()
        before = line[start - 1] if start else " "
        if not (before.isalnum() or before == "_"):
            return True
        position = start + 1
    return False
