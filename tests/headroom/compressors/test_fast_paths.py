"""Fast paths and quick noes, each held to the definition it stands in for: the answer the
plain reading gives, on inputs built from the pieces that decide it."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from headroom.compressors._csv_read import _may_share, first_records, records_of, split_cells
from headroom.compressors._listing_keys import _LETTER, _is_word, _letters_and_words
from headroom.compressors._ranking import holders, lines_finding, shape_keys, signatures
from headroom.compressors._table_rows import typed_cell, typed_column
from headroom.compressors._test_lines import is_signature, signature_count
from headroom.compressors.trace import FRAME, MORE, _classes, _frame_candidates, _read


def joined(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=8).map("".join)


NUMBERS = ["", "0", "-1", "12", "3.5", "-0.25", "1e5", "2E-3", "1.5e3", "٣", " 1", '"2"', "x"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(NUMBERS), max_size=12))
def test_a_column_is_typed_as_each_of_its_cells(cells: list[str]) -> None:
    expected = [typed_cell(cell) for cell in cells]
    found = typed_column(cells)
    assert [(type(v), v) for v in found] == [(type(v), v) for v in expected]


KEY_PIECES = ["a", "Z", "é", "1", "٣", "deadbeef", "0123456789abcdef", ":", "-", ".", "_", "+"]


@settings(max_examples=400, deadline=None)
@given(st.lists(joined(KEY_PIECES), max_size=10))
def test_letters_and_words_are_counted_as_cell_by_cell(cells: list[str]) -> None:
    lettered, words = _letters_and_words(cells)
    assert lettered == [_LETTER.search(cell) is not None for cell in cells]
    assert words == [_is_word(cell) for cell in cells]


SHAPE_PIECES = ["a", "f", "0", "9", "#", "x", " ", "ID-", "0x1f", "é", "\t"]


@settings(max_examples=400, deadline=None)
@given(st.lists(joined(SHAPE_PIECES), max_size=10))
def test_shape_keys_group_texts_as_their_signatures_do(texts: list[str]) -> None:
    keys, shapes = shape_keys(texts), signatures(texts)
    for i in range(len(texts)):
        for j in range(len(texts)):
            assert (keys[i] == keys[j]) == (shapes[i] == shapes[j])


TERM_PIECES = ["ab", "b", "a", " ", "x", "\n"]


@settings(max_examples=400, deadline=None)
@given(st.lists(joined(TERM_PIECES), max_size=8), st.lists(joined(["a", "b", "x"]), max_size=3))
def test_holders_are_the_texts_holding_each_term(texts: list[str], terms: list[str]) -> None:
    found = holders(terms, texts)
    for term in terms:
        assert found[term] == {i for i, text in enumerate(texts) if term in text}


@settings(max_examples=400, deadline=None)
@given(st.lists(joined(["ab", "a", "b", " "]), max_size=8), joined(["a", "b"]))
def test_lines_finding_finds_each_line_holding_the_needle_once(
    lines: list[str], needle: str
) -> None:
    text = "\n".join(lines)  # (no lines: one empty line)
    assert lines_finding(text, needle, "\n") == [
        i for i, line in enumerate(text.split("\n")) if needle in line
    ]


SIGNATURE_PIECES = [
    "=== test session starts ===",
    "TAP version 13",
    "Ran 3 tests in 0.1s",
    "ok ",
    "not ok ",
    "PASS ",
    "FAIL ",
    "3 passing",
    "t.py::test_a PASSED",
    "::",
    " PASSED",
    " ... ok",
    "--- PASS: ",
    "✓ ",
    "src/a.test.js",
    "3",
    "  ",
    "\t",
    "\u00a0",
    "x",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(joined(SIGNATURE_PIECES), max_size=8))
# One line of each kind `is_signature` reads, alone (random lines rarely hold one alone).
@example(["ok 3"])
@example(["not ok 12 - fails"])
@example(["t.py::test_a PASSED"])
@example(["test_x (m.T) ... ok"])
@example(["PASS src/a.test.js"])
@example(["\u00a0TAP version 13"])
@example(["====== test session starts ======"])
def test_signature_lines_are_counted_as_line_by_line(lines: list[str]) -> None:
    assert signature_count(lines) == sum(1 for line in lines if is_signature(line))


FRAME_PIECES = [
    "  ",
    "\t",
    'File "a.py", line 3, in f',
    "at com.x.Y.z(Y.java:3)",
    "at f (a.js:1:2)",
    "12: ",
    "0x1 - std::rt",
    "... 4 more",
    "[Previous line repeated 9 more times]",
    "a.go:12",
    "main.f()",
    "ValueError: x",
    "Traceback (most recent call last):",
    "x",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(joined(FRAME_PIECES), max_size=10))
def test_the_frame_count_quick_no_never_undercounts(lines: list[str]) -> None:
    read = _read(lines)
    classes = _classes(read)
    assert _frame_candidates(read) >= sum(1 for c in classes if c in (FRAME, MORE))


RECORD_PIECES = ['"', ",", "\t", ";", "a", " ", '""', "1", ""]


@settings(max_examples=600, deadline=None)
@example(['a,"b', "c", 'd",e', "f,g"], 2, True)
@given(st.lists(joined(RECORD_PIECES), max_size=14), st.integers(1, 6), st.booleans())
def test_a_samples_first_records_are_those_all_its_records_begin_with(
    lines: list[str], count: int, cut: bool
) -> None:
    every = [record for record in records_of(lines, cut=cut) if record.strip()]
    assert first_records(lines, count, cut=cut) == every[:count]


@settings(max_examples=600, deadline=None)
@given(st.lists(joined(RECORD_PIECES), min_size=5, max_size=12), st.sampled_from([",", "\t", ";"]))
def test_a_delimiter_too_few_records_hold_gives_no_table_share(
    records: list[str], delimiter: str
) -> None:
    header = split_cells(records[0], delimiter)
    if len(header) < 2 or _may_share(records, delimiter, len(header) - 1):
        return
    share = sum(1 for r in records if len(split_cells(r, delimiter)) == len(header)) / len(records)
    assert share < 0.8
