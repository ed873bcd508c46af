"""Content-kind detection: a seam every compressor plugs its detector into.

Each compressor may bring a detector: `detect(sample) -> Detection | None`, a cheap look at
a bounded `Sample` of the payload (its first 32 KB, at most 400 non-blank lines, the line
pattern matches of the built-in kinds, the file name the tool call named) returning a kind
and a confidence. The router asks every registered compressor, built-ins and plugins
alike, in registry order (built-ins first, in `DEFAULT_COMPRESSORS` order, then entry
points by name) and takes the most confident answer; a tie goes to the one asked first.
Kinds are open strings: a plugin that brings a new kind registers its compressor and its
detector in one module. Nothing claimed with at least `MIN_CONFIDENCE` is `FALLBACK_KIND`,
which the generic line compressor handles.

Confidence bands, so detectors of different authors compare:

* `CERTAIN` (1.0): the payload parses as the format (a JSON document).
* `STRONG` (0.9): a format's own signature at line starts (diff headers, a test runner's
  banners, a traceback header) backed by most lines.
* `LIKELY` (0.7): most sampled lines carry the kind's line evidence.
* `POSSIBLE` (0.5): evidence on a fair share of lines (markdown structure, code hints).
* `WEAK` (0.35): the kind fits better than nothing.

A detector may declare `max_confidence`, its most confident possible answer: once an
answer at least that sure is in, it is not asked (it could not win), so a JSON document
is not also sniffed for YAML, CSV and test runs. Detection is deterministic: the same text
(and file name) always gives the same answer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Protocol, cast, runtime_checkable

from headroom.engine.line_kinds import CODE_HINTS, DIAGNOSTIC_MESSAGE
from headroom.engine.line_patterns import LineMatches, LinePattern, LineSet, without_ansi
from headroom.engine.wellformed import parse_json_payload, parses_as_json

__all__ = [
    "CERTAIN",
    "CODE_SHAPE_SHARE",
    "FALLBACK_KIND",
    "FILE_HEADER",
    "LIKELY",
    "MIN_CONFIDENCE",
    "POSSIBLE",
    "STRONG",
    "WEAK",
    "ContentKind",
    "Detection",
    "Detector",
    "Sample",
    "detect_with",
    "listing_columns",
]

ContentKind = str
"""An open string: the built-ins are json, code, log, search, diff, html, listing, text,
lines (the generic fallback) and binary; plugins bring their own."""

CERTAIN = 1.0
STRONG = 0.9
LIKELY = 0.7
POSSIBLE = 0.5
WEAK = 0.35
MIN_CONFIDENCE = 0.3
FALLBACK_KIND = "lines"
FILE_HEADER = re.compile(r"==> (?:[^\n<>]|<(?!==))+ <==")  # head/tail's line before a file

_SAMPLE_CHARS = 32_768
_CONTROL = re.compile(r"[\x01-\x07\x0b\x0e-\x1a\x1c-\x1f]")  # backspace: man overstrike
_SAMPLE_LINES = 400
_COMMENT_BLOCK_LINES = 20  # `#` lines opening a payload that the sample looks past
# Shares of the sampled lines that decide a kind:
_DIFF_SHARE = 0.5  # diff lines (+, -, context, @@, diff/index headers), after a diff header
_SEARCH_SHARE = 0.6  # `path:line:` matches and `path-line-` context lines
_LOG_SHARE = 0.4  # log evidence (timestamps, levels, tracebacks, test results)
_MARKDOWN_SHARE = 0.2  # headings, list items, fences or links
CODE_SHAPE_SHARE = 0.1  # statement endings, braces, keywords
_BINARY_CONTROL_SHARE = 0.05  # control characters per character of a binary payload
_LOG_HEAD_CHARS = 160  # log evidence is looked for at the start of a line
_MIN_LISTING_ROWS = 8
_MAX_LISTING_COLUMNS = 12

_PATH = r"(?:[^\s:]{0,300}/[^\s:]{0,300}|[^\s:/]*\.[A-Za-z][\w]{0,9})"
# Patterns looked for at line starts of the whole sample. Their branches begin with a
# literal, so the engine skips to candidates at once; the line start is checked by hand
# (a leading `^` would make it try every position).
_DIFF_START = re.compile(r"diff --git |--- \S|\+\+\+ \S|@@ -\d+(,\d+)? \+\d+(,\d+)? @@|Index: \S")
# A test runner's own banners: the payload is its output, whatever code it quotes.
_TEST_RUN = re.compile(
    r"=+ (test session starts|FAILURES|ERRORS|short test summary info)\b.*=+$|"
    r"--- FAIL: |Tests: +\d+|Test Suites: ",
    re.M,
)
# Words one of which every _TEST_RUN match holds: most samples are ruled out without a regex.
_TEST_RUN_WORDS = (
    "test session starts",
    "FAILURES",
    "ERRORS",
    "short test summary info",
    "--- FAIL: ",
    "Tests: ",
    "Test Suites: ",
)
_HTML_START = re.compile(r"<(!doctype html|html\b)", re.I)  # after blank space only
_HTML_CLOSE = re.compile(r"</(div|p|span|table|body|head|li|a)>", re.I)
_TAG_OPEN = re.compile(r"<[A-Za-z/!]")
_PAGE_END = re.compile(r"</(?:html|body)>", re.I)
_TAIL_CHARS = 4_096  # the end of a payload longer than the sample, looked at for markup
_MD_HEADING = re.compile(r"^#{1,6} \S", re.M)
_TAG_LED_SHARE = 0.1  # lines opening with a tag: pages have a quarter and more, YAML none
_MIN_TAGS_PER_KB = 4  # pages have 5-60 tags per 1,000 characters, minified scripts 1-2

# Every per-line test of detection, asked of each sampled line in one pass.
_LINES = LineSet(
    {
        "diff": LinePattern(at_start=r"[-+ @]|diff |index "),
        # `path:line:` matches and `path-line-` context lines
        "search": LinePattern(at_start=rf"{_PATH}:\d+:|{_PATH}-\d+-"),
        # Log evidence at the start of a line: timestamps, levels, test results.
        "log": LinePattern(
            # (`[   12.345678]`: the kernel's seconds since boot, as dmesg stamps its lines)
            at_start=r"\d{6} \d{6}|\[ *\d+\.\d{3,}\]|(?:PASSED|FAILED|ERROR|ok|FAIL|---|===)\b",
            word=r"\d{10}\b|(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL|CRITICAL|SEVERE|NOTICE)\b",
            anywhere=r"\d\d:\d\d:\d\d|\[(?:notice|error|warn|info|debug)\]",
            head=_LOG_HEAD_CHARS,
        ),
        # Structure of tool and test-runner output beyond timestamps and levels:
        # tracebacks, test session banners and results, assertion lines.
        "run": LinePattern(
            at_start=(
                r'\s+File "[^"]+", line \d+|Traceback \(most recent call last\)|\w+(?:Error|Exception): '
                r"|=+ .* =+$|_{3,} .* _{3,}$|(?:E|>) |(?:PASSED|FAILED|ERROR|SKIPPED)\b"
            ),
            anywhere=r"::\S+ +(?:PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b",
            head=_LOG_HEAD_CHARS,
        ),
        "markdown": LinePattern(
            at_start=r"#{1,6} \S|```|\s*[-*+] \S|\s*\d+\. \S|[=-]{3,}\s*$",
            anywhere=r"\]\(https?://",
        ),
        "block_comment": LinePattern(at_start=r"\s*(/\*+|\*+/|\*(\s|$))"),
        # Statement endings, braces, keywords.
        "shape": LinePattern(
            at_start=r"\s*(?:}|\)|return\b|if\s*\(|for\s*\(|while\s*\(|else\b)",
            anywhere=r"[{};]\s*$",
        ),
        "diagnostic": DIAGNOSTIC_MESSAGE,
        **CODE_HINTS,
    }
)


@dataclass(frozen=True)
class Detection:
    """What a payload is: its kind, for code its language, and how sure the detector is."""

    kind: ContentKind
    language: str | None = None
    confidence: float = CERTAIN
    parsed: object = field(default=None, compare=False, repr=False)
    """The value the detector parsed (a JSON document, a code sample's syntax tree), handed
    to the compressor so the payload is parsed once; None when it parsed nothing."""


class Sample:
    """The bounded look a detector gets at a payload; each view is worked out once."""

    def __init__(self, text: str, filename: str | None = None) -> None:
        self.text = text
        """The whole payload (a detector should read `head`; JSON needs all of it)."""
        # Read past colour codes: `tsc --pretty` or `pytest --color=yes` is what it says.
        self.head = without_ansi(_past_comment_block(text)[:_SAMPLE_CHARS])
        self.filename = filename
        self.to_beat = 0.0
        """The confidence the detectors asked so far reached: a detector whose best answer
        is below it may skip its costly checks (it cannot win)."""

    @cached_property
    def lines(self) -> list[str]:
        """The non-blank lines of `head`, at most 400."""
        return [line for line in self.head.splitlines()[:_SAMPLE_LINES] if line.strip()]

    @cached_property
    def matches(self) -> LineMatches:
        """Which built-in line patterns each of `lines` matches (see `_LINES`)."""
        return _LINES.match(self.lines)

    @cached_property
    def binary(self) -> bool:
        return _looks_binary(self.head)


def _past_comment_block(text: str) -> str:
    """`text` from the end of the block of `#` comment lines it opens with, when the block
    is long (a license header says nothing of what follows) and something follows it."""
    if not text.startswith("#"):
        return text
    position = count = 0
    while position < len(text) and text[position] in "#\n":
        end = text.find("\n", position)
        position = len(text) if end < 0 else end + 1
        count += 1
    if count < _COMMENT_BLOCK_LINES or not text[position:].strip():
        return text
    return text[position:]


@runtime_checkable
class Detector(Protocol):
    """What a compressor brings to be asked about a payload."""

    def detect(self, sample: Sample) -> Detection | None: ...


def detect_with(
    detectors: Iterable[object], text: str, *, filename: str | None = None
) -> Detection:
    """The most confident answer of `detectors` (a tie goes to the one first in their
    order), `binary` for binary data, `FALLBACK_KIND` when none is sure enough. They are
    asked highest `max_confidence` first, so that once one is sure, those that could not
    beat it (or only tie it from later in the order) are not asked at all."""
    sample = Sample(text, filename)
    if sample.binary:
        return Detection("binary")
    if not sample.lines:
        return Detection(FALLBACK_KIND, confidence=0.0)
    unique: dict[int, Detector] = {}
    for detector in detectors:
        # What `isinstance(detector, Detector)` checks, without the runtime protocol check's
        # cost on every payload (and every block of a mixed one).
        if callable(getattr(detector, "detect", None)):
            unique.setdefault(id(detector), cast(Detector, detector))
    ranked = sorted(enumerate(unique.values()), key=lambda pair: -_ceiling(pair[1]))
    best: Detection | None = None
    best_position = 0
    for position, detector in ranked:
        if best is not None and (
            _ceiling(detector) < best.confidence
            or (_ceiling(detector) == best.confidence and position > best_position)
        ):
            continue  # it cannot win: not asked
        found = detector.detect(sample)
        if found is None or found.confidence < MIN_CONFIDENCE:
            continue
        if (
            best is None
            or found.confidence > best.confidence
            or (found.confidence == best.confidence and position < best_position)
        ):
            best, best_position = found, position
            sample.to_beat = found.confidence
    return best or Detection(FALLBACK_KIND, confidence=0.0)


def _ceiling(detector: object) -> float:
    """A detector's most confident answer (`max_confidence`; certain when it says none)."""
    return float(getattr(detector, "max_confidence", CERTAIN))


# Built-in evidence, one function per kind; each compressor's detector calls its own.


def json_document(sample: Sample) -> bool:
    return sample.head.lstrip()[:1] in ("{", "[") and _is_json(sample.text)


def diff_evidence(sample: Sample) -> bool:
    return (
        _at_a_line_start(_DIFF_START, sample.head) and sample.matches.share("diff") >= _DIFF_SHARE
    )


def search_evidence(sample: Sample) -> bool:
    return sample.matches.share("search") >= _SEARCH_SHARE


def html_evidence(sample: Sample) -> bool:
    """Tags on more than every line and densely (a minified script's `a<b` and quoted
    `"</div>"` are not markup), and an HTML start or closing tags of common elements."""
    head = sample.head
    if head.lstrip().startswith("<?xml") and not _HTML_START.search(head):
        return False  # declared XML whose root is not `html` (a POM quoting HTML in CDATA)
    lines = [line for line in sample.lines if line.strip()]
    if sum(1 for line in lines if line.lstrip()[:1] == "<") < _TAG_LED_SHARE * len(lines):
        return False  # markup inside values (YAML or JSON strings holding `<p>`): no page
    tags = len(_TAG_OPEN.findall(head))
    dense = tags * 1000 >= _MIN_TAGS_PER_KB * len(head)
    if not (tags > len(sample.lines) and dense and _looks_like_html(head)):
        return False
    # A page is markup to its end: a document that only opens with a block of it and goes
    # on in Markdown headings (a changelog with an HTML table at the top) is no page.
    tail = sample.text[-_TAIL_CHARS:] if len(sample.text) > len(head) else ""
    return not tail or bool(_PAGE_END.search(tail)) or len(_MD_HEADING.findall(tail)) < 2


def test_run_banner(sample: Sample) -> bool:
    head = sample.head
    return any(word in head for word in _TEST_RUN_WORDS) and _at_a_line_start(_TEST_RUN, head)


def log_evidence(sample: Sample) -> bool:
    return sample.matches.share("log", "run") >= _LOG_SHARE


def markdown_evidence(sample: Sample) -> bool:
    """Headings, list items, fences or links on a fair share of the lines (lines of
    /* ... */ comment blocks, " * @param x", are not list items)."""
    matches, lines = sample.matches, sample.lines
    if "/*" in sample.head and matches.share("shape") >= CODE_SHAPE_SHARE:
        prose = len(lines) - matches.count("block_comment")
        markdown = matches.count("markdown", unless="block_comment")
    else:
        prose, markdown = len(lines), matches.count("markdown")
    return bool(prose) and markdown / prose >= _MARKDOWN_SHARE


_FIELD = re.compile(r"\S+")
_ALIGNED_SHARE = 0.7  # share of rows whose last column starts at the same character


def listing_columns(lines: Sequence[str]) -> int | None:
    """The number of columns when `lines` are a column-aligned listing (`ls -la`, `ps`,
    `dpkg -l`, `kubectl get`, `pip list`), else None.

    Rows split on white space into `n` cells, the last one running to the end of the line;
    it is a listing when, in most rows, that last cell starts at the same character and the
    cells before it are padded (a run of two or more spaces somewhere between them). Prose
    neither lines its words up nor pads them."""
    rows = tuple(line for line in lines[:_SAMPLE_LINES] if line.strip())
    if len(rows) < _MIN_LISTING_ROWS:
        return None
    return _aligned_columns(rows)


@lru_cache(maxsize=4)
def _aligned_columns(rows: tuple[str, ...]) -> int | None:
    """`listing_columns` of the non-blank rows: asked of the sample to detect a listing,
    then of the payload's first lines to compress it (the same rows when it is short)."""
    # Padding is required below; without it in most rows nothing else needs measuring.
    if sum(1 for row in rows if "  " in row.lstrip()) < len(rows) * _ALIGNED_SHARE:
        return None
    starts = [[m.start() for m in _FIELD.finditer(row)] for row in rows]
    for columns in range(min(_MAX_LISTING_COLUMNS, max(len(s) for s in starts)), 1, -1):
        tails = Counter(s[columns - 1] for s in starts if len(s) >= columns)
        column_start, aligned = tails.most_common(1)[0] if tails else (0, 0)
        if aligned < len(rows) * _ALIGNED_SHARE:
            continue
        padded = sum(1 for row in rows if "  " in row[:column_start].lstrip())
        return columns if padded >= len(rows) * _ALIGNED_SHARE else None
    return None


def _at_a_line_start(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `pattern` (whose matches never span lines) matches at the start of a line."""
    return any(
        not found.start() or text[found.start() - 1] == "\n" for found in pattern.finditer(text)
    )


def _looks_like_html(sample: str) -> bool:
    """An HTML document start (after blank space only) or a closing tag of common elements."""
    if _HTML_CLOSE.search(sample):
        return True
    for found in _HTML_START.finditer(sample):
        line_start = sample.rfind("\n", 0, found.start()) + 1
        if not sample[line_start : found.start()].strip():
            return True
    return False


def _looks_binary(sample: str) -> bool:
    if "\x00" in sample:
        return True
    return len(_CONTROL.findall(sample)) > len(sample) * _BINARY_CONTROL_SHARE


def _is_json(text: str) -> bool:
    if parse_json_payload(text) is not None:
        return True
    rows = [line.strip() for line in text[:_SAMPLE_CHARS].splitlines() if line.strip()]
    return len(rows) >= 2 and all(row[0] in "[{" for row in rows[:-1]) and parses_as_json(rows[0])
