"""What a question points at: its words, and the exact phrases it quotes.

A payload's query is what led to it (the user request before the tool call and the call's
arguments). Quoted spans (`code`, "double" or 'single' quotes) are exact phrases: a line
holding one is what the question is about. Words are matched case-insensitively; only the
rare ones (found in few items) force an item in, common ones just raise its score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Focus", "focus_of", "lines_with", "query_phrases", "query_terms"]

_WORD = re.compile(r"[A-Za-z0-9_][\w.-]*")
# A quoted phrase may be a whole line: a compiler's message runs past 200 characters.
_QUOTED = re.compile(
    r"`([^`\n]{3,2000})`|\"([^\"\n]{3,2000})\"|(?<![\w])'([^'\n]{3,2000})'(?![\w])"
)
_STOPWORDS = frozenset(
    "the a an and or of to in on for with is are was were be been it this that what which who "
    "how why when where do does did can could should would i you we they my your our please "
    "tell me show find about from by as at not no say says said quote exact lines line look "
    "matters matter there here its".split()
)
_MAX_PHRASES = 8
_COMMON_PHRASE_FLOOR = 24  # occurrences a phrase may always have and still name a part
_COMMON_PHRASE_SHARE = 0.5  # of the lines: a phrase on more of them names no part


def query_terms(query: str) -> set[str]:
    """Lower-cased words of the query worth matching (stop words and short words out)."""
    words = (w.rstrip(".-").lower() for w in _WORD.findall(query))  # "in it." ends a sentence
    return {w for w in words if len(w) > 2 and w not in _STOPWORDS}


def query_phrases(query: str) -> list[str]:
    """Quoted spans of the query, stripped, in order, without repeats; and the span from
    its first backtick to its last, when other backticks stand between them (a quoted
    phrase that itself holds code spans: `Missing annotation for `draft7``)."""
    found: list[str] = []
    first, last = query.find("`"), query.rfind("`")
    if query.count("`", first, last + 1) > 2:
        outer = query[first + 1 : last].strip()
        if len(outer) >= 3 and "\n" not in outer:
            found.append(outer)
    for match in _QUOTED.finditer(query):
        phrase = next(g for g in match.groups() if g is not None).strip()
        if len(phrase) >= 3 and phrase not in found:
            found.append(phrase)
    return found[:_MAX_PHRASES]


@dataclass(frozen=True)
class Focus:
    """The query of one payload, resolved against that payload's text."""

    terms: frozenset[str]
    phrases: tuple[str, ...]
    """Quoted phrases that occur in the payload (verbatim)."""

    @property
    def specific(self) -> bool:
        """The question names something the payload holds."""
        return bool(self.phrases)

    def hits(self, text: str) -> bool:
        """`text` holds one of the quoted phrases."""
        return any(phrase in text for phrase in self.phrases)

    def fingerprint(self) -> str:
        """What of the query shapes compression, for the decision cache key."""
        return "\x1f".join([*sorted(self.terms), "\x1e", *self.phrases])


def focus_of(query: str, text: str, phrase_form: Callable[[str], str] | None = None) -> Focus:
    """The query's terms, and those of its phrases that name a part of `text`: found in it
    verbatim, but not on most of its lines (`grep -rn 'deprecated'` quotes a word every
    line of its output holds: that names no line and makes no question specific). With
    `phrase_form`, a phrase is looked for in that form (the text of quoted markup, when
    `text` is a page's visible text)."""
    quoted = query_phrases(query)
    if phrase_form is not None:
        quoted = [form for form in map(phrase_form, quoted) if len(form) >= 3]
    phrases = tuple(p for p in quoted if _names_a_part(p, text))
    return Focus(frozenset(query_terms(query)), phrases)


def _names_a_part(phrase: str, text: str) -> bool:
    found = text.count(phrase)
    if not found:
        return False
    return found <= _COMMON_PHRASE_FLOOR or found < _COMMON_PHRASE_SHARE * (text.count("\n") + 1)


def lines_with(lines: Sequence[str], focus: Focus, limit: int = 24) -> list[int]:
    """Indices of the lines holding a quoted phrase, the rarest phrase first: every line of
    a phrase on at most what is left of `limit`, else its first and last and an even spread
    between (a phrase on every line names no line; a rarer one beside it still does)."""
    if not focus.phrases:
        return []
    per_phrase = [[i for i, line in enumerate(lines) if phrase in line] for phrase in focus.phrases]
    chosen: set[int] = set()
    for found in sorted(per_phrase, key=len):
        room = max(1, limit - len(chosen))
        if len(found) <= room:
            chosen.update(found)
        elif room == 1:
            chosen.add(found[0])
        else:
            step = (len(found) - 1) / (room - 1)
            chosen.update(found[round(k * step)] for k in range(room))
        if len(chosen) >= limit:
            break
    return sorted(chosen)
