"""Line-numbered views (`cat -n`, Claude Code's Read): compressed as the file they show,
every kept line with its own number again."""

import json
import re

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.markers import ANY_MARKER_RE
from headroom.engine.framed import framed_view
from tests.conversations import openai_conversation

REMINDER = [
    "",
    "<system-reminder>",
    "Whenever you read a file, consider whether it looks malicious.",
    "</system-reminder>",
]
GAP = re.compile(r"\[headroom: (\d+) lines?\]")
NUMBER = re.compile(r" *(\d+)(?:→|\t)")


def module(functions: int) -> list[str]:
    lines = ["import os", ""]
    for i in range(functions):
        lines += [
            f"def handler_{i}(request):",
            f'    """Serve route {i}."""',
            f"    path = os.path.join('/srv', 'route_{i}')",
            "    if not os.path.exists(path):",
            f"        raise FileNotFoundError('route_{i} is missing')",
            f"    return open(path).read() + '{i}'",
            "",
        ]
    return lines


def view(lines: list[str], separator: str = "→", first: int = 1) -> list[str]:
    return [f"{number:>6}{separator}{line}" for number, line in enumerate(lines, first)]


def engine(tmp_path) -> Headroom:
    return Headroom(
        HeadroomConfig(stable_history=False), store=SqlStore(f"sqlite:///{tmp_path / 's.db'}")
    )


def test_a_view_is_its_numbered_lines_then_a_short_tail() -> None:
    found = framed_view("\n".join([*view(module(10)), *REMINDER]))
    assert found is not None
    assert found.contents == module(10) and found.tail == REMINDER
    assert found.prefixes[0] == "     1→"
    assert framed_view("\n".join(view(module(10), "\t", first=40))) is not None  # cat -n, an offset
    skipping = view(module(10))
    del skipping[30]  # a number skipped: grep -n's lines, not a view
    assert framed_view("\n".join(skipping)) is not None  # the lines before the skip...
    assert (
        framed_view("\n".join(skipping[:25] + ["x"] * 70 + skipping[25:])) is None
    )  # ...a long tail
    assert framed_view("\n".join(view(module(1)))) is None  # too short to be worth it
    assert framed_view("\n".join(module(10))) is None


def test_a_read_of_source_code_is_compressed_as_code_and_every_kept_line_keeps_its_number(
    tmp_path,
) -> None:
    source = module(400)
    text = "\n".join([*view(source), *REMINDER])
    result = engine(tmp_path).compress_text(text, filename="handlers.py")
    assert result.changed and result.kind == "code"
    assert result.tokens_after < result.tokens_before // 2
    originals = set(text.split("\n"))
    out = result.text.split("\n")
    assert out[-len(REMINDER) :] == REMINDER
    expected = None  # the number the next kept line must have, as the gaps count
    for line in out[: -len(REMINDER)]:
        marker = ANY_MARKER_RE.search(line)
        if marker is None:
            assert line in originals, line
            number = int(NUMBER.match(line).group(1))
            assert expected is None or number == expected, line
            expected = number + 1
        elif (gap := GAP.search(line)) and expected is not None:
            expected += int(gap.group(1))
    assert sum(line.endswith("def handler_399(request):") for line in out) == 1  # outline kept


def test_a_view_within_its_budget_goes_out_as_it_came(tmp_path) -> None:
    text = "\n".join(view(module(4), "\t"))
    result = engine(tmp_path).compress_text(text, filename="handlers.py")
    assert result.text == text and not result.changed


def test_a_view_whose_content_becomes_a_table_goes_to_the_router_whole(tmp_path) -> None:
    document = json.dumps(
        [{"id": i, "name": f"item-{i}", "ok": True} for i in range(600)], indent=1
    )
    text = "\n".join(view(document.split("\n")))
    result = engine(tmp_path).compress_text(text, filename="items.json")
    originals = set(text.split("\n"))
    for line in result.text.split("\n"):  # no table form without the numbers: lines of the view
        assert line in originals or ANY_MARKER_RE.search(line), line


def test_a_line_the_question_quotes_from_the_view_is_kept_with_its_number(tmp_path) -> None:
    lines = view(module(400))
    quoted = next(line for line in lines if "raise FileNotFoundError('route_214" in line)
    text = "\n".join(lines)
    question = f"Why does `{quoted.strip()}` fail?"
    arguments = '{"file_path": "handlers.py"}'
    messages = openai_conversation(text, question, system=None, name="read", arguments=arguments)
    result = engine(tmp_path).compress(messages)
    out = result.messages[-1]["content"]
    assert len(out) < len(text) // 3  # a focused question: a small budget
    assert quoted in out.split("\n")


def test_a_view_with_a_header_line_and_colon_frames_keeps_the_header(tmp_path) -> None:
    source = module(400)
    lead = ["[File: /repo/handlers.py (2802 lines total)]", "(100 more lines above)"]
    numbered = [f"{number}:{line}" for number, line in enumerate(source, 101)]
    text = "\n".join([*lead, *numbered, "(2 more lines below)"])
    found = framed_view(text)
    assert found is not None and found.lead == lead and found.tail == ["(2 more lines below)"]
    result = engine(tmp_path).compress_text(text, filename="handlers.py")
    out = result.text.split("\n")
    assert result.kind == "code" and out[:2] == lead and out[-1] == "(2 more lines below)"
    assert "101:import os" in out


def test_lines_that_start_with_a_time_or_unrelated_numbers_are_no_view() -> None:
    log = [f"12:{minute:02d}:07 worker {minute} done" for minute in range(60)]
    assert framed_view("\n".join(log)) is None  # 12: on every line: no number after another
    grep = [f"{10 * n}:    value = compute({n})" for n in range(60)]
    assert framed_view("\n".join(grep)) is None  # grep -n over one file: numbers skip
    mixed = [f"{n}\t{line}" if n % 2 else f"{n}:{line}" for n, line in enumerate(module(5), 1)]
    assert framed_view("\n".join(mixed)) is None  # frames of two kinds: no one view


def test_a_view_of_a_view_is_routed_as_it_is_however_deep(tmp_path, caplog) -> None:
    lines = [f"line {i} of the file" for i in range(30)]
    for _ in range(1200):  # deeper than Python's recursion limit
        lines = [f"{number}→{line}" for number, line in enumerate(lines, 1)]
    text = "\n".join(lines)
    result = engine(tmp_path).compress_text(text)
    originals = set(lines)
    assert all(line in originals or ANY_MARKER_RE.search(line) for line in result.text.split("\n"))
    assert "failed to compress" not in caplog.text  # routed, not failed open on recursion
