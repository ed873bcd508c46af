"""Compiler and linter diagnostics: every distinct message once, with all its locations.

gcc / clang (`file:line:col: warning: msg [-Wflag]`, echoed source `  237 | code`, carets),
mypy / pyright (`file:line: error: msg`), ruff / flake8 (`file:line:col: CODE msg`),
shellcheck (`In file line N:` blocks with `^-- SC2034 (warning): ...`), rustc
(`error[E0308]: msg` then ` --> file:line:col`), ruff's full format (`F401 [*] msg` then
` --> file:line:col`), eslint's stylish format, tsc
(`file(line,col): error TS2322: ...`), pylint-style (`path:12: [E501] msg`).

A payload splits into diagnostics: a message line, the lines leading to it (`In function`,
`In file included from`, a file header, shellcheck's `In file line N:` and echoed source)
and the lines continuing it (echoed source, carets, notes, `Did you mean`). Messages of one
template (digits, quoted identifiers and paths masked) are one distinct message. Nothing is
dropped within the budget; past it, in this order while the budget lasts: the first whole
occurrence of each distinct message (errors, then warnings, then notes and style), the
location lines of its other occurrences (those naming a word no other message names
first, then file by file in turn, so every file shows some), then the rest of them. Gap
markers keep to their share of the output: past it, only a first occurrence opens a new
gap, and the budget left widens the kept runs. Summary lines and the lines the question
quotes always stay. Output lines are original lines and gap markers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import chain

from headroom.ccr.markers import split_lines
from headroom.compressors._line_shapes import indentation
from headroom.compressors._log_lines import LINE_CLASSES
from headroom.compressors._ranking import spread_order
from headroom.compressors._runs import Selection, message_template
from headroom.compressors.base import MARKER_TOKENS, CompressContext, Compressed, kept_lines_result
from headroom.engine.detect import ContentKind, Detection, Sample
from headroom.engine.line_kinds import DIAGNOSTIC_MESSAGE, SEVERITY
from headroom.engine.line_patterns import LineSet, without_ansi

__all__ = ["DiagnosticsCompressor", "Diagnostic", "diagnostics_of"]

_MESSAGES = LineSet({"message": DIAGNOSTIC_MESSAGE})  # the pattern the detection sample uses
_LOCATION = re.compile(r"\s*--> \S+:\d+|In \S+ line \d+:|\S+:\d+(?::\d+)?:|\S+\(\d+,\d+\)")
# The file a location names: `path:12:`, ` --> path:12:3`, `In path line 12:`, `path(12,3)`.
_FILE = re.compile(r"\s*(?:--> |In )?([^\s:(]+)(?:[:(]| line )")
_RANK = {"error": 0, "fatal error": 0, "warning": 1}
_SEVERITY_WORD = re.compile(rf"\b{SEVERITY}\b|\((?:error|warning|info|style)\)", re.I)
_SUMMARY = re.compile(
    r"\s*(?:Found \d+|\d+ (?:errors?|warnings?|problems?)\b|✖ \d+ problems?|"
    r"error: aborting|error: could not compile|Success: |All checks passed|\d+ files? )",
    re.I,
)
_ECHO = re.compile(r"\s*(?:\d+\s*)?\|")
_NUMBERED_ECHO = re.compile(r"\s*\d+\s*\|")
_ECHO_SHARE = 0.25  # numbered echo lines that make a few messages a linter's full output
_MIN_MESSAGES = 3
_MESSAGE_SHARE = 0.05  # message lines among the sampled lines (code frames can fill the rest)
_SHAPED_SHARE = 0.5  # message, echo, caret, location and header lines among them
_ALL_MESSAGES = 0.6  # message lines on this share of the sample: one diagnostic per line
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")  # a name or word a message may single out
_BRIDGE_MARKERS = 3  # lines up to this many markers' cost join a location to the run before


class Diagnostic:
    """One diagnostic: its message line, its location lines, and all its lines."""

    __slots__ = ("head", "lines", "locations", "message", "rank", "template")

    def __init__(self, head: int, lines: list[int], locations: list[int], text: str) -> None:
        self.head, self.lines, self.locations = head, lines, locations
        found = _SEVERITY_WORD.search(text)
        word = found.group(0).strip("()").lower() if found else ""
        self.rank = _RANK.get(word, 2)
        self.message = _after_location(text)
        self.template = message_template(self.message)


def _after_location(text: str) -> str:
    found = _LOCATION.match(text)
    return text[found.end() :] if found else text


def diagnostics_of(lines: Sequence[str]) -> list[Diagnostic]:
    """The diagnostics of `lines`, each with the lines leading to it and continuing it."""
    heads = [i for i, hit in enumerate(_MESSAGES.match(lines).hits("message")) if hit]
    # Each message's lead-in starts its lines and ends the lines of the message before it.
    starts = [_lead_in(lines, heads[p - 1] if p else -1, head) for p, head in enumerate(heads)]
    out: list[Diagnostic] = []
    for position, head in enumerate(heads):
        last = position + 1 == len(heads)
        end = _tail_end(lines, head) if last else starts[position + 1]
        span = list(range(starts[position], end))
        locations = [i for i in span if i == head or _LOCATION.match(lines[i])]
        out.append(Diagnostic(head, span, locations, lines[head]))
    return out


def _lead_in(lines: Sequence[str], previous: int, head: int) -> int:
    """Where the lines leading to the message at `head` start: after the last blank line
    since the previous message, else at the first unindented line after it."""
    for index in range(head - 1, previous, -1):
        if not lines[index].strip():
            return index + 1
    indent = indentation(lines[head])
    # A message wrapped onto lines of its own (`mypy --pretty`: the rest of the message,
    # unindented, with no location) continues the previous one.
    after = previous + 1
    while previous >= 0 and after < head and _wrapped(lines[after], lines[previous]):
        after += 1
    for index in range(after, head):
        line = lines[index]
        if indentation(line) <= indent and not _ECHO.match(line):
            return index
    return head


def _tail_end(lines: Sequence[str], head: int) -> int:
    """The last message's continuation ends at a blank line, a summary line, or a line
    that neither runs deeper than the message nor has a diagnostic's shape (the build
    tool's own verdict after it: `make: *** [all] Error 2`)."""
    depth = indentation(lines[head])
    index = head + 1
    while index < len(lines) and lines[index].strip() and not _SUMMARY.match(lines[index]):
        line = lines[index]
        if indentation(line) <= depth and not _shaped(line):
            break
        index += 1
    return index


class DiagnosticsCompressor:
    """Compiler and linter output: each distinct message once, then its other locations."""

    kind: ContentKind = "diagnostics"
    name = "diagnostics"
    max_confidence = 0.93  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Diagnostic message lines on a fair share of the sample, and their echoed source,
        carets and location lines on most of it."""
        lines = sample.lines
        is_message = sample.matches.hits("diagnostic")
        messages = sum(is_message)
        if messages < _MIN_MESSAGES:
            return None  # the quick no, before the shapes around messages are looked at
        if messages < _MESSAGE_SHARE * len(lines) and not _echoes_source(lines):
            return None  # few messages, unless long echoes of numbered source hold them
        if messages >= _ALL_MESSAGES * len(lines):
            return Detection("diagnostics", confidence=0.93)  # above grep-like `path:line:`
        shaped = 0
        depth = -1  # indentation of the last message line; deeper lines continue it
        for line, message in zip(lines, is_message, strict=True):
            if message:
                depth = indentation(line)
            elif depth >= 0 and indentation(line) > depth or _shaped(line):
                shaped += 1
            else:
                depth = -1
        if messages + shaped >= _SHAPED_SHARE * len(lines):
            return Detection("diagnostics", confidence=0.88)  # above code named by a file
        return None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        lines = [line.rstrip("\r") for line in split_lines(text)]
        selection = Selection(text, lines, ctx)
        if len(lines) < 4 or selection.fits_whole():
            return None
        read = [without_ansi(line) for line in lines]  # colour codes read past, kept out
        found = diagnostics_of(read)
        if not found:
            return None
        covered = {i for d in found for i in d.lines}
        # Outside the diagnostics: the build's own verdict (`make: *** ... Error 2`, a
        # summary, any line that reads as an error) stays whatever the budget.
        selection.force(
            i
            for i, line in enumerate(read)
            if i not in covered and (_SUMMARY.match(line) or _reads_as_error(line))
        )
        by_rank = sorted(found, key=lambda d: d.rank)  # stable: payload order within a rank
        firsts: dict[str, Diagnostic] = {}
        for diagnostic in by_rank:
            firsts.setdefault(diagnostic.template, diagnostic)
        first_ids = {id(d) for d in firsts.values()}
        repeats = _across_files([d for d in by_rank if id(d) not in first_ids], read)
        # The first of each distinct message may open a gap past the markers' share; the
        # other occurrences' locations only within it (or joined to the run before them
        # when the lines between cost little), then the budget left widens every kept run
        # in turn: the rest of those occurrences, the other lines.
        selection.offer_each((d.lines for d in firsts.values()), must=True)
        selection.offer_each(([d.head] for d in firsts.values()), must=True)  # a head alone
        selection.offer_each((d.locations for d in repeats), bridge=_BRIDGE_MARKERS * MARKER_TOKENS)
        rest = [i for i in range(len(lines)) if i not in covered]
        selection.offer_each([i] for i in rest)
        ranked = [i for d in (*firsts.values(), *repeats) for i in d.lines]
        heads = {i: d.head for d in found for i in d.lines}
        selection.widen([*ranked, *rest], evenly=True, heads=heads)
        return kept_lines_result(lines, sorted(selection.kept), ctx.ref)


def _across_files(found: list[Diagnostic], lines: Sequence[str]) -> list[Diagnostic]:
    """`found` (ranked) taken file by file in turn within each rank, and within a file
    spread over it (its first, its last, its middle, ...): what the budget shows covers
    every file, and every part of a file, rather than the first ones whole."""
    groups: dict[tuple[int, str], list[int]] = {}
    for position, diagnostic in enumerate(found):
        named = _FILE.match(lines[diagnostic.locations[0]] if diagnostic.locations else "")
        groups.setdefault((diagnostic.rank, named.group(1) if named else ""), []).append(position)
    singular = _naming_once(found)
    keyed: list[tuple[int, bool, int, int]] = []
    for (rank, _), positions in groups.items():
        for turn, index in enumerate(spread_order(len(positions))):
            position = positions[index]
            keyed.append((rank, position not in singular, turn, position))
    keyed.sort()
    return [found[position] for *_, position in keyed]


def _naming_once(found: list[Diagnostic]) -> set[int]:
    """Positions in `found` of the diagnostics whose message names a word no other
    message does (`has no attribute "callLater"` among a hundred `has no attribute`)."""
    words = [set(_WORD.findall(d.message)) for d in found]
    seen = Counter(chain.from_iterable(words))
    once = {word for word, count in seen.items() if count == 1}
    return {position for position, named in enumerate(words) if not named.isdisjoint(once)}


def _reads_as_error(line: str) -> bool:
    names = LINE_CLASSES.names_in(line)
    return "error" in names or "summary" in names


def _wrapped(line: str, message: str) -> bool:
    """`line` reads as the wrapped rest of `message`: at the message's indentation, with
    no location or diagnostic shape of its own."""
    return bool(line.strip()) and indentation(line) == indentation(message) and not _shaped(line)


def _echoes_source(lines: Sequence[str]) -> bool:
    """Whether a share of `lines` echo source lines with their numbers (`226 |     x`): a
    linter's full format quoting a long statement under each of a few messages."""
    numbered = sum(1 for line in lines if _NUMBERED_ECHO.match(line))
    return numbered >= _ECHO_SHARE * len(lines)


def _shaped(line: str) -> bool:
    """Echoed source, a caret line, a location or a header line of a diagnostic."""
    stripped = line.strip()
    return bool(
        _ECHO.match(line)
        or _LOCATION.match(line)
        or stripped.startswith(("^", "In file included from", "from "))
        or stripped.endswith(":")
        or (stripped[:1] == "~" and not stripped.strip("~^-"))  # tsc's `~~~~` underline
    )
