"""Runs of sibling XML elements on one line (compact XML: pytest's junit report)."""

import re
import xml.dom.minidom

from headroom.ccr.markers import ANY_MARKER_RE, make_ref
from headroom.compressors._xml_runs import longest_run
from headroom.compressors.base import CompressContext
from headroom.compressors.config import ConfigCompressor
from headroom.compressors.testrun import TestRunCompressor
from headroom.engine.query import focus_of
from headroom.engine.router import detect
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")


def ctx_for(text: str, budget: int, query: str = "") -> CompressContext:
    return CompressContext(
        ref=make_ref(text),
        query=query,
        focus=focus_of(query, text),
        budget_tokens=budget,
        counter=COUNTER,
    )


def case(i: int) -> str:
    return f'<testcase classname="test_mod" name="test_case[{i}]" time="0.00{i % 7}" />'


def junit(cases: int, failing: int | None = None, every: int = 0) -> str:
    """pytest's compact report: one line, unless a failure's text breaks it. Case `failing`
    fails, and every `every`-th case when `every` is given."""
    body = []
    failures = 0
    for i in range(cases):
        if i == failing or (every and i % every == every - 1):
            failures += 1
            body.append(
                f'<testcase classname="test_mod" name="test_case[{i}]" time="0.002">'
                f'<failure message="assert {i} == 4">def test_case():\n'
                f">       assert add({i}, 0) == 4\nE       assert {i} == 4\n\n"
                "test_mod.py:9: AssertionError</failure></testcase>"
            )
        else:
            body.append(case(i))
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" errors="0" failures="{failures}" tests="{cases}">'
        + "".join(body)
        + "</testsuite></testsuites>"
    )


def test_the_longest_run_keeps_its_first_and_last_elements() -> None:
    line = "<a><b>x</b><b>y</b>" + "".join(case(i) for i in range(20)) + "</a>"
    run = longest_run(line)
    assert run is not None and len(run.ends) == 19
    collapsed = run.collapsed(line)
    assert collapsed.startswith(
        "<a><b>x</b><b>y</b>" + case(0) + "<!-- [headroom: 18 elements] -->"
    )
    assert collapsed.endswith(case(19) + "</a>")
    assert run.collapsed(line, room=len(case(1)) * 3).count("<testcase") == 5  # room for 3 more
    assert longest_run("<a>" + case(1) + case(2) + "</a>") is None  # two are no run


def test_a_run_whose_end_reads_as_a_comment_is_left_whole() -> None:
    line = "".join(case(i) for i in range(10)) + '<failure message="a&#10;b">'
    assert longest_run(line) is None


def test_compact_junit_is_a_test_run_and_its_passes_go_first() -> None:
    text = junit(400, failing=233)
    assert detect(text).kind == "test"
    result = TestRunCompressor().compress(text, ctx_for(text, budget=900))
    assert result is not None
    assert 'name="test_case[233]"' in result.text and "E       assert 233 == 4" in result.text
    assert 'failures="1" tests="400"' in result.text  # the summary attributes
    dropped = sum(
        int(m.group(1)) for m in re.finditer(r"\[headroom: (\d+) elements\]", result.text)
    )
    shown = result.text.count("<testcase")
    assert dropped + shown == 400  # exact counts
    assert COUNTER.count(result.text) < COUNTER.count(text) / 3


def test_compact_xml_of_one_line_is_config_and_still_parses() -> None:
    deps = "".join(
        f'<dependency group="org.example" name="lib{i}" version="1.{i}.0"/>' for i in range(300)
    )
    text = f'<?xml version="1.0"?><project name="app"><dependencies>{deps}</dependencies></project>'
    assert detect(text).kind == "config"
    result = ConfigCompressor().compress(text, ctx_for(text, budget=1500))
    assert result is not None
    body = ANY_MARKER_RE.sub("", result.text)
    xml.dom.minidom.parseString(body.replace("<!--  -->", ""))  # markers sit in comments
    kept = result.text.count("<dependency ")
    dropped = int(re.search(r"\[headroom: (\d+) elements\]", result.text).group(1))
    assert kept + dropped == 300 and 3 <= kept < 300
    assert COUNTER.count(result.text) <= 1500 * 1.1


def test_a_line_holding_what_the_question_quotes_is_not_collapsed() -> None:
    text = junit(400, failing=233)
    quoted = 'name="test_case[100]"'
    result = TestRunCompressor().compress(text, ctx_for(text, budget=900, query=f"`{quoted}`?"))
    assert result is not None
    first, *rest = result.text.split("\n")
    assert quoted in first and "elements]" not in first  # its line, whole
    assert any("elements]" in line for line in rest)  # the other long line still collapsed


def test_a_storm_of_failures_keeps_the_passes_collapsed() -> None:
    from dataclasses import replace

    from headroom.compressors.base import load_registry

    text = junit(900, every=15)  # 60 failures, each after a run of 14 passing cases
    ctx = replace(ctx_for(text, budget=1200), registry=load_registry(include_entry_points=False))
    result = TestRunCompressor().compress(text, ctx)
    assert result is not None
    assert "elements] -->" in result.text  # the runs of passes stay collapsed in a storm
    shown = ANY_MARKER_RE.sub("", result.text)
    assert shown.count("<testcase") < 300
    assert "E       assert 899 == 4" in result.text  # the last failure's assertion


def junit_with_messages(cases: int, every: int) -> str:
    """pytest's compact report where each failure's message runs over lines (`&#10;`), so
    the line a failure opens on cannot lose its run of passes."""
    body = []
    for i in range(cases):
        if i % every == every - 1:
            body.append(
                f'<testcase classname="test_mod" name="test_case[{i}]" time="0.002">'
                f'<failure message="assert {i} == 4&#10;  where {i} = add({i}, 0)">'
                f"def test_case():\n>       assert add({i}, 0) == 4\n"
                f"E       assert {i} == 4\nE        +  where {i} = add({i}, 0)\n\n"
                "test_mod.py:9: AssertionError</failure></testcase>"
            )
        else:
            body.append(case(i))
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" errors="0" failures="{cases // every}" tests="{cases}">'
        + "".join(body)
        + "</testsuite></testsuites>"
    )


def test_a_junit_storm_whose_titles_overflow_keeps_every_assertion() -> None:
    from dataclasses import replace

    from headroom.compressors.base import load_registry

    text = junit_with_messages(1200, every=12)  # 100 failures behind long lines of passes
    ctx = replace(ctx_for(text, budget=COUNTER.count(text) // 4), registry=load_registry())
    result = TestRunCompressor().compress(text, ctx)
    assert result is not None
    for i in range(11, 1200, 12):
        assert f"E       assert {i} == 4" in result.text.split("\n")
    assert COUNTER.count(result.text) <= COUNTER.count(text) // 4 * 1.05
