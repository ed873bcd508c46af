"""The fast readings of repeats within one output, each held to the plain one it stands in
for. own_runs: every start tried against its most recent showings line by line, every
longest run asked whether it is worth a pointer (the fast one skips the asking when a run
holds too few characters, and extends a run by comparing what each line shows as a later
line of one). repeats_hold: every repeated block counted (the fast one stops at enough).
A plain payload's contents: its output lines as they read (the fast one takes the
contents the lines show)."""

from collections.abc import Sequence
from itertools import accumulate
from zlib import crc32

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.engine.dedup import _contents
from headroom.engine.repeats import (
    _OWN_CANDIDATES,
    Run,
    RunWorth,
    own_runs,
    repeats_hold,
    shown_positions,
)


def plain_own_runs(
    keys: Sequence[str | None],
    positions: Sequence[int | None],
    worth: RunWorth,
    taken: Sequence[Run],
    source: int,
) -> list[Run]:
    gone = [False] * len(keys)
    for run in taken:
        gone[run.start : run.start + run.length] = [True] * run.length
    joined = [False] + [
        a is not None and b is not None and b == a + 1
        for a, b in zip(positions, positions[1:], strict=False)
    ]
    earlier: dict[str, list[int]] = {}
    found: list[Run] = []
    start = 0
    while start < len(keys):
        key = keys[start]
        best_line = best_length = 0
        if key is not None and not gone[start]:
            for line in reversed(earlier.get(key, [])[-_OWN_CANDIDATES:]):
                length = 1
                while (
                    start + length < len(keys)
                    and line + length < start
                    and keys[start + length] is not None
                    and keys[line + length] == keys[start + length]
                    and joined[start + length]
                    and joined[line + length]
                    and not gone[start + length]
                    and not gone[line + length]
                ):
                    length += 1
                if length > best_length:
                    best_line, best_length = line, length
        if best_length:
            at = positions[best_line]
            run = Run(start, best_length, source, at if at is not None else 0)
            if worth(run):
                found.append(run)
                gone[start : start + best_length] = [True] * best_length
                start += best_length
                continue
        if key is not None and not gone[start]:
            earlier.setdefault(key, []).append(start)
        start += 1
    return found


@st.composite
def outputs(draw: st.DrawFn) -> tuple[list[str | None], list[int | None], RunWorth, list[Run]]:
    size = draw(st.integers(0, 40))
    keys = draw(st.lists(st.sampled_from([None, "a", "b", "c", "}"]), min_size=size, max_size=size))
    steps = draw(st.lists(st.sampled_from([None, 1, 1, 1, 2]), min_size=size, max_size=size))
    positions: list[int | None] = []
    at = 0
    for step in steps:
        positions.append(None if step is None else at)
        at += step or 0
    widths = draw(st.lists(st.sampled_from([0, 1, 5, 30]), min_size=size, max_size=size))
    lines = ["x" * width + (key or "") for width, key in zip(widths, keys, strict=True)]
    floor = draw(st.sampled_from([0, 2, 12, 40]))
    salt = draw(st.integers(0, 9))
    ends = list(accumulate((len(line) + 1 for line in lines), initial=0))

    def tokens(text: str) -> int:
        return (crc32(text.encode()) + salt) % (2 * floor + 3)

    taken: list[Run] = []
    cursor = 0
    for gap, length in draw(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4)), max_size=4)):
        if cursor + gap + length > size:
            break
        taken.append(Run(cursor + gap, length, 0, 0))
        cursor += gap + length
    return keys, positions, RunWorth(lines, ends, floor, tokens), taken


@settings(max_examples=600, deadline=None)
@given(outputs(), st.integers(0, 3))
def test_own_runs_are_found_as_the_plain_reading_finds_them(
    output: tuple[list[str | None], list[int | None], RunWorth, list[Run]], source: int
) -> None:
    keys, positions, worth, taken = output
    assert own_runs(keys, positions, worth, taken, source) == plain_own_runs(
        keys, positions, worth, taken, source
    )


def repeated_chars(lines: list[str | None]) -> int:
    seen: set[tuple[str | None, str | None, str | None]] = set()
    total = 0
    for window in zip(lines, lines[1:], lines[2:], strict=False):
        if window[2] is None:
            continue
        if window in seen:
            total += len(window[2]) + 1
        else:
            seen.add(window)
    return total


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([None, "", "}", "a", "ccc dd"]), max_size=40), st.integers(-2, 2))
def test_repeats_hold_as_counted_whole(lines: list[str | None], off_by: int) -> None:
    counted = repeated_chars(lines)
    for chars in (counted + off_by, off_by * 7):
        assert repeats_hold(lines, chars) == (counted >= chars)


LINES = ["", " ", "a", "a ", "a  ", " a", "}", "x = 1", "x = 1\t", "[headroom: 2 lines]"]


@st.composite
def shown_payloads(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    original = draw(st.lists(st.sampled_from(LINES), max_size=25))
    output: list[str] = []
    for line in original:
        shown = draw(st.sampled_from(["kept", "kept", "stripped", "gone", "marker", "other"]))
        if shown == "kept":
            output.append(line)
        elif shown == "stripped":
            output.append(line.rstrip())
        elif shown == "marker":
            output.append("[headroom: 1 line]")
        elif shown == "other":
            output.append(draw(st.sampled_from(LINES)))
    return original, output


@settings(max_examples=600, deadline=None)
@given(shown_payloads())
def test_a_plain_payloads_output_lines_read_as_their_contents(
    payload: tuple[list[str], list[str]],
) -> None:
    original, output = payload
    contents = _contents(original, framed=False)
    keys = [None if p is None else contents[p] for p in shown_positions(original, output, contents)]
    verbatim = [None if k is None else line.rstrip() for k, line in zip(keys, output, strict=True)]
    assert verbatim == keys
