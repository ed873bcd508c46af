"""The trace compressor's shortcuts, each held to the reading it stands in for: remembered
line classes to `_line_class`, the code-frame pre-check to `_CODE_FRAME`, `_ranked` reading
each distinct line once to the line-by-line ranking, `_collapsible` skipping the library
check of a frame already shown to the check made for every frame."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.compressors._ranking import ERROR_RE, spread_order
from headroom.compressors._runs import message_template
from headroom.compressors.trace import (
    _CLASS_BY_LINE,
    _CODE_FRAME,
    _RECURRING,
    _collapsible,
    _frame_units,
    _is_library,
    _line_class,
    _line_classes,
    _raise_sites,
    _ranked,
    _read,
    classify,
)
from headroom.engine.line_patterns import MAX_REMEMBERED_CHARS, MAX_REMEMBERED_LINES

PIECES = [
    " ", "    ", "\t", "\r", "\u00a0", "é", "x", "1", ":", "| ", "+ ", "> 3 | ", "  3 | ",
    'File "/app/main.py", line 3, in f', 'File "/usr/lib/python3.11/x.py", line 9',
    "at foo (/app/a.js:1:2)", "at Object.<anonymous> (node_modules/x/y.js:3:4)",
    "at java.base/java.lang.Thread.run(Thread.java:833)", "... 3 more",
    "[Previous line repeated 996 more times]", "Traceback (most recent call last):",
    "ValueError: bad", "error: no", "Caused by: java.io.IOException: x", "panic: boom",
    "goroutine 1 [running]:", "\tmain.go:12 +0x1d", "main.main()", "  12: std::rt::x",
    "Exception Group Traceback (most recent call last):", "+---------------- 1 ----------------",
    "During handling of the above exception, another exception occurred:",
]  # fmt: skip


def joined(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=6).map("".join)


LINES = st.lists(joined(PIECES), max_size=16)


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_remembered_classes_are_the_classes_read_afresh(lines: list[str]) -> None:
    expected = [_line_class(line) for line in lines]
    assert _line_classes(lines) == expected  # some read, some remembered
    assert _line_classes(lines) == expected  # all remembered
    assert _line_classes([*lines, *reversed(lines)]) == [*expected, *reversed(expected)]


def test_the_memo_is_bounded_and_keeps_no_long_line() -> None:
    long_line = '  File "/app/' + "x" * MAX_REMEMBERED_CHARS + '.py", line 1, in f'
    assert _line_classes([long_line]) == [_line_class(long_line)]
    assert long_line not in _CLASS_BY_LINE
    _line_classes([f"ValueError: {n}" for n in range(MAX_REMEMBERED_LINES + 10)])
    assert len(_CLASS_BY_LINE) <= MAX_REMEMBERED_LINES


@settings(max_examples=400, deadline=None)
@given(LINES, LINES)
def test_a_payloads_classes_do_not_depend_on_what_was_classified_before(
    before: list[str], lines: list[str]
) -> None:
    _CLASS_BY_LINE.clear()
    fresh = classify(lines)
    classify(before)
    assert classify(lines) == fresh


@settings(max_examples=400, deadline=None)
@given(joined([" ", "\t", ">", "1", "12", " |", "|", "x", "\u00a0"]))
def test_a_code_frame_holds_a_space_and_bar(line: str) -> None:
    if _CODE_FRAME.match(line):
        assert " |" in line


def ranked_line_by_line(lines: list[str], indices: list[int]) -> list[int]:
    errors = [i for i in indices if ERROR_RE.search(lines[i])]
    templates: dict[str, int] = {}
    for i in indices:
        templates.setdefault(message_template(lines[i]), i)
    spread = [indices[k] for k in spread_order(len(indices))]
    return list(dict.fromkeys([*errors, *templates.values(), *spread]))


MESSAGES = ["error", "failed", "timeout", " ", "'a'", "'b'", "12", "7", "/usr/x", "ok", "^^^"]


@settings(max_examples=400, deadline=None)
@given(st.lists(joined(MESSAGES), max_size=16), st.data())
def test_ranking_each_distinct_line_once_ranks_as_line_by_line(
    lines: list[str], data: st.DataObject
) -> None:
    indices = sorted(data.draw(st.sets(st.integers(0, max(0, len(lines) - 1)))) if lines else [])
    assert _ranked(lines, indices) == ranked_line_by_line(lines, indices)


def collapsible_frame_by_frame(lines: list[str], units: list[list[int]]) -> set[int]:
    keys = [tuple(lines[i].strip() for i in unit) for unit in units]
    occurrences = Counter(keys)
    raised = _raise_sites(lines, units)
    seen: set[tuple[str, ...]] = set()
    out: set[int] = set()
    for unit, key in zip(units, keys, strict=True):
        recurs = occurrences[key] >= _RECURRING
        library = not recurs and unit[0] not in raised and _is_library(lines[unit[0]])
        if key in seen or library:
            out.add(unit[0])
        seen.add(key)
    return out


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_collapsing_checks_a_frame_shown_above_as_every_frame(lines: list[str]) -> None:
    read = _read(lines)
    units = _frame_units(classify(read))
    assert _collapsible(read, classify(read), units) == collapsible_frame_by_frame(read, units)
