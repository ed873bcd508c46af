"""Content-kind detection: cheap, deterministic, and bounded by a sample of the text."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from headroom.line_patterns import LineMatches, LinePattern, LineSet

__all__ = [
    "ContentKind",
    "Detection",
    "detect",
    "listing_columns",
    "parse_json_payload",
    "parses_as_json",
]

ContentKind = Literal["json", "code", "log", "search", "diff", "html", "listing", "text", "binary"]

_SAMPLE_CHARS = 32_768
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_SAMPLE_LINES = 400
# Shares of the sampled lines that decide a kind:
_DIFF_SHARE = 0.5  # diff lines (+, -, context, @@, diff/index headers), after a diff header
_SEARCH_SHARE = 0.6  # `path:line:` matches and `path-line-` context lines
_LOG_SHARE = 0.4  # log evidence (timestamps, levels, tracebacks, test results)
_MARKDOWN_SHARE = 0.2  # headings, list items, fences or links
_CODE_SHAPE_SHARE = 0.1  # statement endings, braces, keywords
_CODE_HINT_SHARE = 0.04  # lines with a language's own keywords (at least _MIN_CODE_HINTS)
_MIN_CODE_HINTS = 2
_DIALECT_SHARE = 0.5  # C++ (TypeScript) hints this many times C's (JavaScript's): the dialect
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

_CODE_HINTS: dict[str, LinePattern] = {
    "python": LinePattern(
        at_start=r"\s*(def \w+\(|class \w+[(:]|import \w+|from [\w.]+ import |async def |@\w+)"
    ),
    "go": LinePattern(
        at_start=r"(package \w+|func (\(\w+ \*?\w+\) )?\w+\(|import \(|type \w+ (struct|interface) \{)"
    ),
    "rust": LinePattern(
        at_start=r"\s*(pub(\(crate\))? )?(fn \w+|impl\b|use \w+::|struct \w+|enum \w+|mod \w+|trait \w+|let mut )"
    ),
    "java": LinePattern(
        at_start=r"\s*(public |private |protected )(static )?(final )?(class|interface|enum|[\w<>\[\]]+ \w+\()|package [\w.]+;|import java"
    ),
    "typescript": LinePattern(
        at_start=r"\s*(export )?(declare )?(interface \w+|type \w+(<.*>)? = |(abstract )?class \w+.*\{|enum \w+)",
        anywhere=r": (?:string|number|boolean)\b",
    ),
    "javascript": LinePattern(
        at_start=r"\s*(function \w*\(|const \w+ = |let \w+ = |var \w+ = |module\.exports|exports\.\w+ = |\w+\.prototype\.)",
        anywhere=r"=> \{|require\(['\"]",
    ),
    "cpp": LinePattern(
        at_start=r"\s*(#include [<\"]|#define |template ?<|namespace \w+|(static |inline |constexpr )*[\w:<>]+[ *&]+\w+\(.*\)\s*(const)?\s*\{?$)",
        anywhere=r"std::",
    ),
    "c": LinePattern(
        at_start=(
            r"\s*(#include [<\"]|#define |typedef |struct \w+ \{|(static )?(void|int|char|size_t) \*?\w+\()"
            r"|\s*(const\s+)?(struct\s+)?[A-Za-z_]\w*\s+\*+\w+\s*[;=,)\[(]"
            r"|\s*#\s*(if|ifdef|ifndef|endif|elif|pragma|undef)\b"
        ),
        anywhere=r"\w->\w",
    ),
}
# Every per-line test of detection, asked of each sampled line in one pass.
_LINES = LineSet(
    {
        "diff": LinePattern(at_start=r"[-+ @]|diff |index "),
        # `path:line:` matches and `path-line-` context lines
        "search": LinePattern(at_start=rf"{_PATH}:\d+:|{_PATH}-\d+-"),
        # Log evidence at the start of a line: timestamps, levels, test results.
        "log": LinePattern(
            at_start=r"\d{6} \d{6}|(?:PASSED|FAILED|ERROR|ok|FAIL|---|===)\b",
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
        **_CODE_HINTS,
    }
)


@dataclass(frozen=True)
class Detection:
    """What a payload is: its kind and, for code, its language."""

    kind: ContentKind
    language: str | None = None


def parse_json_payload(text: str) -> object | None:
    """The parsed JSON value of `text`, or None when it is not a JSON document."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{" or stripped[-1] not in "]}":
        return None
    try:
        value: object = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return value


def detect(text: str, *, filename: str | None = None) -> Detection:
    """Guess the kind of `text` from a bounded sample; the same text always gives the same answer."""
    sample = text[:_SAMPLE_CHARS]
    if _looks_binary(sample):
        return Detection("binary")
    stripped = sample.lstrip()
    if stripped[:1] in ("{", "["):
        if _is_json(text):
            return Detection("json")
    lines = [line for line in sample.splitlines()[:_SAMPLE_LINES] if line.strip()]
    if not lines:
        return Detection("text")
    matches = _LINES.match(lines)
    if _at_a_line_start(_DIFF_START, sample) and matches.share("diff") >= _DIFF_SHARE:
        return Detection("diff")
    if matches.share("search") >= _SEARCH_SHARE:
        return Detection("search")
    language = _language_from_name(filename) if filename else None
    if language:
        return Detection("code", language)
    shaped = _kind_by_structure(sample, lines, matches)
    if shaped is not None:
        return Detection(shaped)
    language = _guess_language(matches)
    if language:
        return Detection("code", language)
    return Detection("text")


def _kind_by_structure(sample: str, lines: list[str], matches: LineMatches) -> ContentKind | None:
    """Web page, log or test output, listing, or markdown prose: from per-line evidence."""
    if sample.count("<") > len(lines) and _looks_like_html(sample):
        return "html"
    if any(word in sample for word in _TEST_RUN_WORDS) and _at_a_line_start(_TEST_RUN, sample):
        return "log"
    if matches.share("log", "run") >= _LOG_SHARE:
        return "log"
    if listing_columns(lines) is not None:
        return "listing"
    # Lines of /* ... */ comment blocks (" * @param x") are not markdown list items.
    if "/*" in sample and matches.share("shape") >= _CODE_SHAPE_SHARE:
        prose = len(lines) - matches.count("block_comment")
        markdown = matches.count("markdown", unless="block_comment")
    else:
        prose, markdown = len(lines), matches.count("markdown")
    if prose and markdown / prose >= _MARKDOWN_SHARE:
        return "text"  # a README with code samples is still prose
    return None


_FIELD = re.compile(r"\S+")
_ALIGNED_SHARE = 0.7  # share of rows whose last column starts at the same character


def listing_columns(lines: Sequence[str]) -> int | None:
    """The number of columns when `lines` are a column-aligned listing (`ls -la`, `ps`,
    `dpkg -l`, `kubectl get`, `pip list`), else None.

    Rows split on white space into `n` cells, the last one running to the end of the line;
    it is a listing when, in most rows, that last cell starts at the same character and the
    cells before it are padded (a run of two or more spaces somewhere between them). Prose
    neither lines its words up nor pads them."""
    rows = [line for line in lines[:_SAMPLE_LINES] if line.strip()]
    if len(rows) < _MIN_LISTING_ROWS:
        return None
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


def parses_as_json(row: str) -> bool:
    """Whether `row` is one JSON value (too deep to parse counts as not)."""
    try:
        json.loads(row)
    except (ValueError, RecursionError):
        return False
    return True


def _guess_language(matches: LineMatches) -> str | None:
    scores = {name: matches.count(name) for name in _CODE_HINTS}
    best = max(scores, key=lambda name: (scores[name], name))
    shape = matches.share("shape")
    enough = max(_MIN_CODE_HINTS, len(matches) * _CODE_HINT_SHARE)
    if scores[best] < enough or (shape < _CODE_SHAPE_SHARE and best != "python"):
        return None
    if best == "c" and scores["cpp"] >= scores["c"] * _DIALECT_SHARE:
        return "cpp"
    if best == "javascript" and scores["typescript"] >= scores["javascript"] * _DIALECT_SHARE:
        return "typescript"
    return best


_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".c": "c",
    ".h": "cpp",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
}


def _language_from_name(filename: str) -> str | None:
    lowered = filename.lower()
    for extension, language in _EXTENSIONS.items():
        if lowered.endswith(extension):
            return language
    return None
