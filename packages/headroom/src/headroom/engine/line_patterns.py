"""Line patterns matched fast: the test behind log classes and content detection.

A `LinePattern` is up to three patterns: branches anchored at the line start, branches
that must start a word, and branches that may match anywhere. A `LineSet` tells, line by
line, which of several named patterns a line matches.

Two engines give the same answers. With google-re2 installed (`headroom-compress[speed]`), a
`LineSet` asks one RE2::Set per line for every pattern at once, a few microseconds a line
whatever the number of patterns. Without it, Python's `re` tries each pattern in turn:
branches anchored with `match`, word starts checked by hand (a leading `\\b` makes `re`
try every branch at every position), and a pattern's `hints` (substrings one of which
every match holds) skip most lines before any regex runs. Patterns are ASCII-only
(`\\d`, `\\w`, `\\s` and `\\b` mean what they mean in ASCII), which is what both engines
agree on; tests hold them to the same answers.
"""

from __future__ import annotations

import logging
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

__all__ = [
    "MAX_REMEMBERED_CHARS",
    "MAX_REMEMBERED_LINES",
    "LineMatches",
    "LinePattern",
    "LineSet",
    "native_engine",
    "remember",
    "without_ansi",
]

try:  # the optional native engine (the speed extra: pip install "headroom-compress[speed]")
    import re2 as _re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised where google-re2 is not installed
    _re2 = None

logger = logging.getLogger("headroom")

_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_")
# Lines longer than this go to the Python engine: RE2's DFA memory is bounded per search.
_NATIVE_MAX_CHARS = 16_384
_NATIVE_MAX_MEM = 64 << 20
_MAX_COMBINATIONS = 4096
MAX_REMEMBERED_LINES = 8192  # lines whose answers a memo keeps, each of at most:
MAX_REMEMBERED_CHARS = 512  # (a few MB at most)
_Answer = TypeVar("_Answer")


def remember(memo: dict[str, _Answer], line: str, answer: _Answer) -> None:
    """Keep `answer` for `line` in a memo of answers by line, bounded: a line of at most
    `MAX_REMEMBERED_CHARS`, at most `MAX_REMEMBERED_LINES` of them (cleared when full). A
    reader takes an answer with one `memo.get`: another thread may clear it meanwhile."""
    if len(line) <= MAX_REMEMBERED_CHARS:
        if len(memo) >= MAX_REMEMBERED_LINES:
            memo.clear()
        memo[line] = answer


# Python's ASCII \s, spelled out for RE2 (whose \s leaves out the vertical tab).
_SPACE = "\\t\\n\\x0b\\f\\r "


# A terminal's colour and style codes (`\x1b[91m`): what a tool forced to colour writes
# around its words, read past so a line is read for what it says.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def without_ansi(text: str) -> str:
    """`text` without terminal escape codes (itself when it has none)."""
    return _ANSI.sub("", text) if "\x1b[" in text else text


def native_engine() -> bool:
    """Whether google-re2 is installed and used for multi-pattern line tests."""
    return _re2 is not None


class LinePattern:
    """Whether a line holds a match of `^(at_start)|\\b(word)|(anywhere)`.

    Every `word` branch begins with a word character. `hints`, when given, are lower-case
    substrings one of which the lower-cased line holds whenever any branch matches. With
    `head`, only a line's first `head` characters are looked at."""

    def __init__(
        self,
        *,
        at_start: str = "",
        word: str = "",
        anywhere: str = "",
        hints: Iterable[str] = (),
        head: int = 0,
    ) -> None:
        self.at_start, self.word, self.anywhere, self.head = at_start, word, anywhere, head
        self._at_start = re.compile(at_start, re.ASCII) if at_start else None
        self._word = re.compile(word, re.ASCII) if word else None
        self._anywhere = re.compile(anywhere, re.ASCII) if anywhere else None
        hint_list = list(hints)
        self._hints = re.compile("|".join(map(re.escape, hint_list))) if hint_list else None

    def found(self, line: str) -> bool:
        if self.head:
            line = line[: self.head]
        if self._hints is not None and self._hints.search(line.lower()) is None:
            return False
        if self._at_start is not None and self._at_start.match(line):
            return True
        if self._anywhere is not None and self._anywhere.search(line):
            return True
        return self._word is not None and _starts_a_word(self._word, line)

    def native_branches(self) -> list[str]:
        """The branches as RE2 patterns, each one searched anywhere in a line."""
        branches = []
        if self.at_start:
            branches.append(f"^(?:{_for_re2(self.at_start)})")
        if self.word:
            branches.append(f"\\b(?:{_for_re2(self.word)})")
        if self.anywhere:
            branches.append(f"(?:{_for_re2(self.anywhere)})")
        return branches


class LineSet:
    """Named `LinePattern`s, tested together on each line."""

    def __init__(self, patterns: Mapping[str, LinePattern], *, native: bool = True) -> None:
        """`native=False` keeps to Python's `re` even where google-re2 is installed."""
        self.patterns = dict(patterns)
        self._set: Any = None
        self._owner: list[str] = []
        self._headed = {name: p for name, p in self.patterns.items() if p.head}
        # Lines longer than this need the headed patterns tried on their head alone.
        self._shortest_head = min((p.head for p in self._headed.values()), default=1 << 62)
        self._branch_names: dict[tuple[int, ...], frozenset[str]] = {}
        self._answers: dict[str, frozenset[str]] = {}  # by line (see `remember`)
        if native and _re2 is not None:
            try:
                self._set = self._compiled()
            except Exception:  # an RE2 that refuses a pattern: Python's re answers alike
                logger.warning("headroom: RE2 could not compile a line pattern set", exc_info=True)
                self._set, self._owner = None, []
        # The compiled set's own Match, past the wrapper's per-call type check: it is
        # asked once per line of every payload.
        self._match: Any = getattr(getattr(self._set, "_set", None), "Match", None) or (
            self._set.Match if self._set is not None else None
        )

    def _compiled(self) -> Any:
        assert _re2 is not None
        options = _re2.Options()
        options.max_mem = _NATIVE_MAX_MEM
        pattern_set = _re2.Set.SearchSet(options)
        for name, pattern in self.patterns.items():
            for branch in pattern.native_branches():
                pattern_set.Add(branch)
                self._owner.append(name)
        pattern_set.Compile()
        return pattern_set

    def names_in(self, line: str) -> frozenset[str]:
        """The names of the patterns `line` matches."""
        # A line met again gets the answer it got: a third to a half of the lines of test
        # runs, diagnostics and traces repeat one met before (`  |`, `^~~~`, frames).
        names = self._answers.get(line)
        if names is None:
            native = self._native(line)
            if native is None:
                native = frozenset(name for name, p in self.patterns.items() if p.found(line))
            names = native
            remember(self._answers, line, names)
        return names

    def match(self, lines: Sequence[str]) -> LineMatches:
        """Which lines match which patterns: all at once with RE2, else pattern by pattern
        as they are asked for (a question answered by the first share asks no more)."""
        if self._set is None:
            return LineMatches(self.patterns, lines, None)
        return LineMatches(self.patterns, lines, [self.names_in(line) for line in lines])

    def _native(self, line: str) -> frozenset[str] | None:
        if self._set is None or len(line) > _NATIVE_MAX_CHARS:
            return None
        try:
            encoded = line.encode("utf-8")
        except UnicodeEncodeError:
            return None  # a lone surrogate: RE2 reads UTF-8 only
        found = self._match(encoded)
        names = self._names_of(tuple(found)) if found else _NONE
        if len(line) > self._shortest_head:
            headed = {n for n, p in self._headed.items() if p.found(line)}
            names = frozenset((names - self._headed.keys()) | headed)
        return names

    def _names_of(self, branches: tuple[int, ...]) -> frozenset[str]:
        names = self._branch_names.get(branches)
        if names is None:  # a handful of combinations: kept for the next line
            names = frozenset(self._owner[i] for i in branches)
            if len(self._branch_names) < _MAX_COMBINATIONS:
                self._branch_names[branches] = names
        return names


class LineMatches:
    """Which lines matched which patterns of a `LineSet`."""

    def __init__(
        self,
        patterns: Mapping[str, LinePattern],
        lines: Sequence[str],
        per_line: list[frozenset[str]] | None,
    ) -> None:
        self._patterns = patterns
        self._lines = lines
        self._per_line = per_line
        self._hits: dict[str, list[bool]] = {}
        self._combinations: Counter[frozenset[str]] | None = None

    def __len__(self) -> int:
        return len(self._lines)

    def hits(self, name: str) -> list[bool]:
        """Per line, whether it matches the pattern `name`."""
        if name not in self._hits:
            if self._per_line is not None:
                self._hits[name] = [name in names for names in self._per_line]
            else:
                found = self._patterns[name].found
                self._hits[name] = [found(line) for line in self._lines]
        return self._hits[name]

    def count(self, *names: str, unless: str | None = None) -> int:
        """Lines matching any of `names` (and not `unless`)."""
        if self._per_line is not None:
            # Lines share a handful of name combinations: count those, not the lines.
            if self._combinations is None:
                self._combinations = Counter(self._per_line)
            wanted = frozenset(names)
            return sum(
                lines
                for found, lines in self._combinations.items()
                if not found.isdisjoint(wanted) and (unless is None or unless not in found)
            )
        hit = [any(row) for row in zip(*(self.hits(name) for name in names), strict=True)]
        if unless is not None:
            hit = [h and not no for h, no in zip(hit, self.hits(unless), strict=True)]
        return sum(hit)

    def share(self, *names: str) -> float:
        """The share of lines matching any of `names`."""
        return self.count(*names) / len(self._lines) if self._lines else 0.0


_NONE: frozenset[str] = frozenset()


def _starts_a_word(pattern: re.Pattern[str], line: str) -> bool:
    """A match of `pattern` (whose branches all begin with a word character) at a word start."""
    position = 0
    while (found := pattern.search(line, position)) is not None:
        start = found.start()
        if not start or line[start - 1] not in _WORD_CHARS:
            return True
        position = start + 1
    return False


def _for_re2(pattern: str) -> str:
    """`pattern` with Python's ASCII `\\s` / `\\S` spelled out, the one class RE2 reads
    differently (it leaves out the vertical tab)."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escape = pattern[index : index + 2]
            if escape == "\\s":
                out.append(_SPACE if in_class else f"[{_SPACE}]")
            elif escape == "\\S":
                if in_class:
                    raise ValueError(f"\\S inside a character class is not supported: {pattern}")
                out.append(f"[^{_SPACE}]")
            else:
                out.append(escape)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            opening = "[^" if pattern.startswith("^", index + 1) else "["
            index += len(opening)
            if pattern.startswith("]", index):  # a `]` first in a class is a literal
                opening += "]"
                index += 1
            out.append(opening)
            continue
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)
