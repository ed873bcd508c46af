"""The two engines of line patterns (RE2 sets, Python's `re`) give the same answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headroom.compressors import _log_lines
from headroom.engine import detect
from headroom.engine.line_patterns import LinePattern, LineSet, native_engine

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "data"

# Every pattern set the engine asks of lines.
PATTERN_SETS = {
    "detection": detect._LINES.patterns,
    "log lines": _log_lines.LINE_CLASSES.patterns,
}

# Pieces of the patterns' own words, spaces of every kind and non-ASCII look-alikes, so
# random lines hit branches, word starts and the ASCII / Unicode class edges.
PIECES = [
    "ERROR",
    "error:",
    ":12:3:",
    ":7:",
    " - ",
    "F401",
    " [*] ",
    "^-- SC2034 (",
    "(3,14)",
    "WARN",
    "warning:",
    "FAILED",
    "failed",
    " passed",
    "=== ",
    " ===",
    "--- FAIL: ",
    "Traceback (most recent call last)",
    '  File "x.py", line 3',
    "def f(",
    "class A:",
    "import os",
    "#include <x>",
    "std::",
    "a->b",
    "=> {",
    ": string",
    "fn main",
    "func (s *S) Run(",
    "src/a.py:12:",
    "lib/b-3-",
    "2024-01-02 03:04:05",
    "081109 203615",
    "1234567890",
    "[error]",
    "## Title",
    "- item",
    "](https://x)",
    "/* ",
    " * ",
    "};",
    "\t",
    "\x0b",
    "\x0c",
    "\r",
    "é",
    "١٢٣",  # Arabic-Indic digits: not \d in ASCII
    "İ",
    "_",
    "x",
    "9",
    " ",
]


def _both(patterns: dict[str, LinePattern]) -> tuple[LineSet, LineSet]:
    assert native_engine(), "google-re2 is part of the dev install (headroom[speed])"
    return LineSet(patterns, native=True), LineSet(patterns, native=False)


@pytest.mark.parametrize("name", sorted(PATTERN_SETS))
@given(lines=st.lists(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), max_size=20))
def test_engines_agree_on_random_lines(name: str, lines: list[str]) -> None:
    native, python = _both(PATTERN_SETS[name])
    for line in lines:
        assert native.names_in(line) == python.names_in(line), repr(line)


@pytest.mark.parametrize("name", sorted(PATTERN_SETS))
def test_engines_agree_on_every_example_line(name: str) -> None:
    native, python = _both(PATTERN_SETS[name])
    lines = [
        line
        for path in sorted(EXAMPLES.rglob("*"))
        if path.is_file()
        for line in path.read_text("utf-8", "replace").split("\n")
    ]
    assert len(lines) > 1000
    differing = [line for line in lines if native.names_in(line) != python.names_in(line)]
    assert differing == []


def test_matches_count_lines_of_any_name_and_respect_unless() -> None:
    patterns = {
        "digit": LinePattern(anywhere=r"\d"),
        "star": LinePattern(at_start=r"\s*\*"),
        "word": LinePattern(word=r"err\b"),
    }
    lines = ["a1", " * 2", "* b", "xerr", "an err", "plain"]
    for engine in _both(patterns):
        matches = engine.match(lines)
        assert matches.hits("word") == [False, False, False, False, True, False]
        assert matches.count("digit") == 2
        assert matches.count("digit", "star") == 3
        assert matches.count("digit", unless="star") == 1
        assert matches.share("star") == pytest.approx(2 / 6)


def test_a_headed_pattern_looks_at_the_head_of_long_lines_only() -> None:
    patterns = {"level": LinePattern(word=r"ERROR\b", head=10)}
    for engine in _both(patterns):
        assert engine.names_in("ERROR at start") == {"level"}
        assert engine.names_in("x" * 20 + " ERROR late") == frozenset()


def test_lone_surrogates_and_huge_lines_are_answered_by_python() -> None:
    patterns = {"level": LinePattern(word=r"ERROR\b")}
    native, _ = _both(patterns)
    assert native.names_in("bad \udc80 ERROR here") == {"level"}
    assert native.names_in("y " * 20_000 + "ERROR") == {"level"}


def test_hints_only_skip_lines_no_branch_could_match() -> None:
    hinted = LinePattern(word=r"(?:FATAL|fatal)\b", hints=("fatal",))
    assert hinted.found("a FATAL thing")
    assert not hinted.found("prefatal thing")
    assert not hinted.found("nothing here")


def test_a_pattern_re2_refuses_leaves_the_set_to_python(caplog: pytest.LogCaptureFixture) -> None:
    patterns = {"after_a": LinePattern(anywhere=r"(?<=a)b")}  # RE2 has no look-behind
    engine = LineSet(patterns, native=True)
    assert "could not compile" in caplog.text
    assert engine.names_in("ab") == {"after_a"}
    assert engine.names_in("cb") == frozenset()


def test_python_white_space_is_spelled_out_for_re2() -> None:
    from headroom.engine.line_patterns import _for_re2

    space = r"\t\n\x0b\f\r "
    assert _for_re2(r"\s+x\S") == f"[{space}]+x[^{space}]"
    assert _for_re2(r"[^\s:]{0,3}") == f"[^{space}:]{{0,3}}"
    assert _for_re2(r"[]\s]") == f"[]{space}]"  # a leading ] is a literal, the class goes on
    with pytest.raises(ValueError, match="not supported"):
        _for_re2(r"[\S]")


def test_counts_over_long_lines_of_a_headed_pattern() -> None:
    # A line longer than a headed pattern's head is re-read by hand: its names still count.
    patterns = {
        "level": LinePattern(word=r"ERROR\b", head=10),
        "digit": LinePattern(anywhere=r"\d"),
    }
    lines = [
        "ERROR at the start of a long line 1",
        "later on, an ERROR far past the head",
        "ERROR 2",
    ]
    for engine in _both(patterns):
        matches = engine.match(lines)
        assert matches.count("level") == 2
        assert matches.count("digit", unless="level") == 0
        assert matches.share("level", "digit") == pytest.approx(2 / 3)
