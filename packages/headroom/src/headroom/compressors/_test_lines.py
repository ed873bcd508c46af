"""What each line of a test run is, by shape: a pass, a failure, a summary, a banner, a
warning; the lines only a test runner writes (its signatures), its banners, and the titles
of failures as only a runner writes them. The test-run compressor's detector and selection
read lines through these."""

from __future__ import annotations

import re
from collections.abc import Sequence

from headroom.compressors._runs import alternation, first_class

__all__ = [
    "BANNER",
    "FAIL",
    "FAILURE_SECTION",
    "FAILURE_TITLE",
    "OTHER",
    "PASS",
    "SUMMARY",
    "WARNING",
    "classify",
    "has_banner_signature",
    "is_section_banner",
    "is_signature",
    "signature_count",
]

OTHER, PASS, FAIL, SUMMARY, BANNER, WARNING = range(6)
_PASS = re.compile(
    r"\S+::\S.*\bPASSED\b|ok \d+\b|\s*--- PASS: |=== (?:RUN|PAUSE|CONT) |"
    r"\s*(?:✓|✔|√) |test \S+ \.\.\. ok\b|\S.* \.\.\. ok$|PASS(?:ED)? |\s+ok \d+ |\s*<testcase\b(?!.*</testcase>.*<(?:failure|error))"
)
_FAIL = re.compile(
    r"\S+::\S.*\b(?:FAILED|ERROR)\b|(?:\s*)not ok \d+|\s*--- FAIL: |FAIL(?:ED)?\b|ERROR\b|"
    r"\s*(?:✕|✖|✗|×) |test \S+ \.\.\. FAILED|\S.* \.\.\. (?:FAIL|ERROR)$|\s*● |"
    r"_{3,} .+ _{3,}$|E {2,}\S|E\s*$|\s*\w*(?:Error|Exception)\b.*:|\s*[^\s:]+:\d+: \w*(?:Error|Exception|Failure)|"
    r"\s*<(?:failure|error)\b|\s*\d+\) \S"  # mocha numbers its failures: `  3) suite`
    r"|(?:>|&gt;) {3,}\S"  # pytest's failing statement (`&gt;` escaped in junit XML)
    r"|\s*The above exception was the direct cause|\s*During handling of the above exception"
)
_SUMMARY = re.compile(
    r"=+ .*\b(?:passed|failed|errors?|skipped|deselected|xfailed|warnings?|no tests ran)\b.*=+$|"
    r"\s*(?:# )?(?:tests|pass|fail|cancelled|skipped|todo|suites|duration_ms)\s+\d|"
    r"\s*ℹ (?:tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) |"
    r"Tests?:\s+\d|Test Suites:|Snapshots:|Time:|Ran \d+ tests?|OK(?: \(.*\))?$|FAILED \(|"
    r"test result:|ok\s+\S+\s+[\d.]+s|FAIL\s+\S+\s+[\d.]+s|\d+\.\.\d+$|running \d+ tests?|"
    r"\s*\d+ (?:passing|failing|pending)\b|\s*Test Files\s+\d|\s*Tests\s+\d+ (?:failed|passed)|"
    r"TOTAL\s+\d|"  # a coverage report's totals row
    r"\s*<testsuites?\b|\s*</testsuites?>|<\?xml"
)
_BANNER = re.compile(r"(?:=|-|_){3,} .*(?:=|-|_){3,}$")
FAILURE_SECTION = re.compile(r"=+ (?:FAILURES|ERRORS)\b")
PASS_SECTION = re.compile(r"=+ PASSES\b")
_TITLE = re.compile(r"_{3,} .+ _{3,}$")  # an entry's title in a section of entries
# A word ending in `warning`, in any case (`DeprecationWarning`, `warning:`), anywhere in
# the line (which holds no newline): searched for, not matched after a `.*` walking back.
_WARNING = re.compile(r"warning\b", re.I)
_SIGNATURE_STARTS = (
    "TAP version ",
    "Ran ",
    "test result: ",
    "--- PASS: ",
    "--- FAIL: ",
    "=== RUN ",
    "Test Suites: ",
    "running ",
    "ℹ tests ",
    "<testsuite",
    "● ",  # jest's failure title
    "✓ ",  # a check mark (jest, vitest, mocha), a cross
    "✔ ",
    "× ",
    "✕ ",
    "✗ ",
    "Test Files ",
)
# A runner's verdict on one test file (`FAIL tests/a.test.js`), its pass / fail counts
# (mocha's `145 passing (260ms)`, `55 failing`).
_FILE_VERDICT = re.compile(r"(?:PASS|FAIL) +\S*[/.]\S*$|\d+ (?:passing \(|failing$|pending$)")
_SIGNATURE_ENDS = (" ... ok", " ... FAIL", " ... ERROR")
_SIGNATURE_OUTCOMES = (" PASSED", " FAILED", " ERROR")


def is_signature(line: str) -> bool:
    """A line only a test runner writes: a TAP `ok 3`, a pytest `path::test PASSED`, a
    unittest `test_x ... ok`, a banner or a summary (plain string tests, no regex)."""
    stripped = line.strip()
    if stripped.startswith(_SIGNATURE_STARTS) or stripped.endswith(_SIGNATURE_ENDS):
        return True
    if stripped.startswith(("ok ", "not ok ")):
        number = stripped[3:] if stripped.startswith("ok ") else stripped[7:]
        return number[:1].isdigit()
    if "::" in stripped and any(word in stripped for word in _SIGNATURE_OUTCOMES):
        return True
    if _FILE_VERDICT.match(stripped):
        return True
    return "test session starts" in stripped and stripped.startswith("=")


# Where a signature line may be: one of `is_signature`'s tests holds only on a line
# holding one of these (after its indentation, for the starts). `(?!\s)` stops the
# indentation's backtracking at once: every start begins with a non-space.
_SIGNATURE_LEAD = re.compile(
    r"\n\s*(?!\s)(?:"
    + "|".join(map(re.escape, _SIGNATURE_STARTS))
    + r"|(?:not )?ok |(?:PASS|FAIL) |\d+ (?:passing|failing|pending))"
)


def signature_count(lines: Sequence[str]) -> int:
    """How many of `lines` are signature lines (`is_signature`): none, without a look at
    each line, when no line holds what a signature holds."""
    text = "\n" + "\n".join(lines)
    maybe = (
        _SIGNATURE_LEAD.search(text)
        or any(end in text for end in _SIGNATURE_ENDS)
        or ("::" in text and any(outcome in text for outcome in _SIGNATURE_OUTCOMES))
        or "test session starts" in text
    )
    return sum(1 for line in lines if is_signature(line)) if maybe else 0


# A line that opens a test run's output (searched after a newline, a literal the regex
# engine skips to, rather than at every character as `^` under re.M is).
_BANNER_SIGNATURE = re.compile(
    r"\n(?:=+ test session starts =+|TAP version \d+|Ran \d+ tests? in |test result: |"
    r"Test Suites: |running \d+ tests?$|<testsuites?\b|"
    r"=+ (?:FAILURES|ERRORS|short test summary info) =+$|"  # pytest -q: no session banner
    r"[.FEsxX]{8,} +\[ *\d+%\]$)",  # pytest's progress line
    re.M,
)


def has_banner_signature(text: str) -> bool:
    """Whether a line of `text` opens with a test runner's banner, summary or progress."""
    return _BANNER_SIGNATURE.search("\n" + text) is not None


# A failure's title as only a test runner writes it: jest's `● Suite › test`, go's
# `--- FAIL: TestX`, TAP's `not ok 3`, pytest's `path::test FAILED`, a file's `FAIL path`.
FAILURE_TITLE = re.compile(
    r"\s*● .+ › |\s*--- FAIL: |\s*not ok \d+|\S+::\S+ (?:FAILED|ERROR)\b|FAIL +\S*[/.]\S*$"
)


def is_section_banner(kind: int, line: str) -> bool:
    """Whether a line of class `kind` opens a section of the run: a `===` banner
    (FAILURES, PASSES, the summary), not an entry's own `--- Captured stdout call ---`."""
    return kind == BANNER and line.startswith("=")


def classify(lines: Sequence[str]) -> list[int]:
    """The class of each line (OTHER, PASS, FAIL, SUMMARY, BANNER, WARNING). Under a
    section banner of passes (`pytest -rA`'s PASSES, with each passing test's title and
    captured output), an entry's outcome is the section's: titles are passes, a captured
    `ERROR` log line is no failure."""
    out: list[int] = []
    passes = False
    for line in lines:
        kind = _shape(line) if line.strip() else OTHER
        if kind == BANNER and is_section_banner(BANNER, line):
            passes = bool(PASS_SECTION.match(line))
        elif kind == FAIL and passes:
            kind = PASS if _TITLE.match(line) else OTHER
        out.append(kind)
    return out


# A line's shape, by the first of these it matches; an entry's title (`___ test_x ___`) is
# no banner: it is read by the patterns after it.
_SHAPES = alternation([(SUMMARY, _SUMMARY), (BANNER, _BANNER), (FAIL, _FAIL), (PASS, _PASS)])
_SHAPES_PAST_BANNER = alternation([(FAIL, _FAIL), (PASS, _PASS)])


def _shape(line: str) -> int:
    """The class of a non-blank line, outside any section."""
    kind = first_class(_SHAPES, line, 0, OTHER)
    if kind == BANNER and line.startswith("___"):
        kind = first_class(_SHAPES_PAST_BANNER, line, 0, OTHER)
    return WARNING if kind == OTHER and _WARNING.search(line) else kind
