"""Error-ness by shape: which lines `error_lines` finds."""

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.compressors import _line_shapes
from headroom.compressors._line_shapes import error_lines

# Pieces that make and unmake severity words: names around them, case, a lower case that
# is longer than its upper (`İ`), line starts that count (`E: `, `Caused by`).
PIECES = [
    "error", "Error", "ERROR", "fail", "ed", "warn", "ing", "can't", "Cannot", "exit code ",
    "returned ", "1", "0", "-", ".", "/", "lib", "gpg-", "Value", "Exception", "not found",
    "İ", "é", " ", "  ", "E: ", "Caused by", "ok", "timed out", "[", "E0425]",
]  # fmt: skip
LINES = st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), max_size=12)


def one_line_at_a_time(lines: list[str]) -> set[int]:
    """The definition: the severity pattern matches in the line (lower-cased), or the line
    starts like an error."""
    return {
        i
        for i, line in enumerate(lines)
        if _line_shapes._SEVERITY.search(line.lower()) or _line_shapes._SEVERITY_START.match(line)
    }


@settings(max_examples=300, deadline=None)
@given(LINES)
def test_error_lines_are_the_lines_the_pattern_matches_in_read_one_by_one(
    lines: list[str],
) -> None:
    assert error_lines(lines) == one_line_at_a_time(lines)


def test_severity_words_anywhere_on_a_line_names_aside() -> None:
    lines = [
        "İİ ok: connection refused by host",  # a longer lower case before the word
        "all good",
        "installed libgpg-error-dev and errors.py",  # names, not severities
        "x ValueError: bad value",
        "E: Unable to locate package foo",
        "make: *** [all] Error 2",
        "the job timed out",
        "the process exited with code 3",
        "the build step returned 1",
        "exit code 0 and returned 0",  # success
    ]
    assert error_lines(lines) == {0, 3, 4, 5, 6, 7, 8}
