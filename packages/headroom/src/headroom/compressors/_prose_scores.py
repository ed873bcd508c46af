"""How much each line (or sentence) of prose is wanted: relevance to the question,
information density, what the text warns of, paragraph starts and position."""

from __future__ import annotations

import re
from collections.abc import Sequence

from headroom.compressors._line_shapes import error_lines

__all__ = ["unit_scores"]

# Each run is followed by what it cannot hold (a letter run before the capital or
# underscore of an identifier; word runs around dots), so backtracking finds no other
# match. (No possessive quantifiers: Python 3.10 has none.) The branches that start a word
# share one `\b` and the lookahead passes over the characters no branch starts with (as in
# `docs`): the same matches as the branches alone, in half the time.
_INFORMATIVE = re.compile(
    r"(?=[`\w/])(?:\b(?:\d[\d.,:_-]*\b|[A-Za-z][a-z]*[A-Z_][A-Za-z0-9_]*\b|\w+\.\w+(?:\.\w+)*\b"
    r"|[0-9a-f]{7,40}\b)|`[^`]+`|(?<=[a-z] )[A-Z][a-zA-Z]+|https?://\S+|/\w+(?:/\w+)+)"
)
_RELEVANCE_WEIGHT = 2.0  # per word of the question the unit holds
_CAVEAT_WEIGHT = 1.0  # a unit warning of an error or failure: as much as a density of 1
_CAVEAT_SHARE = 4  # ... when at most one unit in this many does
_OPENING_WEIGHT = 0.4  # a paragraph's first line
_EARLY_WEIGHT = 0.3  # a unit in the first tenth
_EARLY_SHARE = 0.1


def unit_scores(texts: Sequence[str], openings: Sequence[bool], terms: set[str]) -> list[float]:
    """Each of `texts`' score (higher is wanted first); `openings` tells which start a
    paragraph, `terms` are the question's words."""
    caveats = _caveats(texts)
    total = len(texts)
    scores = []
    for index, text in enumerate(texts):
        words = max(1, len(text.split()))
        density = len(_INFORMATIVE.findall(text)) / words
        relevance = 0
        if terms:
            lowered = text.lower()
            relevance = sum(1 for term in terms if term in lowered)
        early = _EARLY_WEIGHT if index < total * _EARLY_SHARE else 0.0
        opening = _OPENING_WEIGHT if openings[index] else 0.0
        score = _RELEVANCE_WEIGHT * relevance + density + early + opening
        if index in caveats:
            score += _CAVEAT_WEIGHT
        scores.append(score)
    return scores


def _caveats(texts: Sequence[str]) -> set[int]:
    """The units with an error's shape (a warning, a failure, `cannot`, `invalid`...:
    what a document warns about), when at most one in `_CAVEAT_SHARE` has one; in a text
    about errors the word tells no line apart."""
    found = error_lines([text.replace("\n", " ") for text in texts])  # a fence is one unit
    return found if len(found) * _CAVEAT_SHARE <= len(texts) else set()
