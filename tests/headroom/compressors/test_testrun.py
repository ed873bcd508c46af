from headroom.ccr.markers import ANY_MARKER_RE
from headroom.compressors.base import MARKER_SHARE, MARKER_TOKENS
from headroom.compressors.testrun import TestRunCompressor
from headroom.engine.router import detect
from tests.conversations import junit_output
from tests.headroom.compressors._runs_helpers import COUNTER, assert_verbatim, ctx_for

# A pytest run's banner and its FAILURES section header.
FAILURES_HEAD = (
    "============================= test session starts ==============================",
    "",
    "=================================== FAILURES ===================================",
)


def pytest_output() -> str:
    lines = [
        "============================= test session starts ==============================",
        "collected 203 items",
        "",
    ]
    lines += [f"tests/test_mod.py::test_case_{i} PASSED [{i // 2:3d}%]" for i in range(200)]
    lines += ["tests/test_mod.py::test_broken FAILED", "tests/test_mod.py::test_other FAILED", ""]
    lines += [
        "=================================== FAILURES ===================================",
        "_________________________________ test_broken __________________________________",
        "",
        "    def test_broken():",
        ">       assert parse('1,2') == [1, 3]",
        "E       assert [1, 2] == [1, 3]",
        "",
        "tests/test_mod.py:40: AssertionError",
        "_________________________________ test_other ___________________________________",
        "E       ZeroDivisionError: division by zero",
        "=============================== warnings summary ===============================",
        "tests/test_mod.py::test_case_1",
        "  /x/y.py:3: DeprecationWarning: old api",
        "tests/test_mod.py::test_case_2",
        "  /x/y.py:3: DeprecationWarning: old api",
        "=========================== short test summary info ============================",
        "FAILED tests/test_mod.py::test_broken - assert [1, 2] == [1, 3]",
        "FAILED tests/test_mod.py::test_other - ZeroDivisionError: division by zero",
        "================== 2 failed, 200 passed, 2 warnings in 1.00s ===================",
    ]
    return "\n".join(lines)


def tap_output() -> str:
    lines = ["TAP version 13", "# suite"]
    lines += [f"ok {i} should be equal" for i in range(1, 120)]
    lines += [
        "not ok 120 parses nested keys",
        "  ---",
        "    expected: 'a'",
        "    actual: 'b'",
        "  ...",
    ]
    lines += ["1..120", "# tests 120", "# pass  119", "# fail  1"]
    return "\n".join(lines)


def test_detects_runners_above_the_log_detector() -> None:
    assert detect(pytest_output()).kind == "test"
    assert detect(tap_output()).kind == "test"
    assert detect(junit_output()).kind == "test"


def test_failures_and_summary_kept_passes_counted() -> None:
    text = pytest_output()
    result = TestRunCompressor().compress(text, ctx_for(text, budget=500))
    assert result is not None
    out = result.text.split("\n")
    for line in [
        "E       assert [1, 2] == [1, 3]",
        "tests/test_mod.py:40: AssertionError",
        "E       ZeroDivisionError: division by zero",
        "FAILED tests/test_mod.py::test_broken - assert [1, 2] == [1, 3]",
        "================== 2 failed, 200 passed, 2 warnings in 1.00s ===================",
    ]:
        assert line in out
    assert sum(1 for line in out if line.endswith("%]")) < 100  # most passes are in gaps
    assert_verbatim(text, result.text)


def test_warning_kept_once() -> None:
    text = pytest_output()
    result = TestRunCompressor().compress(text, ctx_for(text, budget=500))
    assert result is not None
    assert result.text.count("  /x/y.py:3: DeprecationWarning: old api") == 1


def test_tap_failure_with_its_yaml_block() -> None:
    text = tap_output()
    result = TestRunCompressor().compress(text, ctx_for(text, budget=150))
    assert result is not None
    for line in [
        "not ok 120 parses nested keys",
        "    expected: 'a'",
        "    actual: 'b'",
        "# fail  1",
    ]:
        assert line in result.text.split("\n")
    assert_verbatim(text, result.text)


def test_junit_failing_case_whole_passes_collapsed() -> None:
    text = junit_output()
    result = TestRunCompressor().compress(text, ctx_for(text, budget=150))
    assert result is not None
    out = result.text.split("\n")
    for line in text.split("\n")[-7:]:
        assert line in out
    assert '<testsuite name="pytest" errors="0" failures="1" tests="60">' in out
    assert_verbatim(text, result.text)


def test_quoted_pass_is_kept() -> None:
    text = pytest_output()
    result = TestRunCompressor().compress(
        text, ctx_for(text, query="did `test_case_137` pass?", budget=300)
    )
    assert result is not None
    assert "tests/test_mod.py::test_case_137 PASSED [ 68%]" in result.text


def test_within_budget_is_none_deterministic_never_raises() -> None:
    text = pytest_output()
    assert TestRunCompressor().compress(text, ctx_for(text, budget=100_000)) is None
    assert TestRunCompressor().compress(text, ctx_for(text)) == TestRunCompressor().compress(
        text, ctx_for(text)
    )
    for junk in ["", "ok 1\n" * 5, "FAILED\n\n\n\n", "<testcase>\n" * 9]:
        TestRunCompressor().compress(junk, ctx_for(junk, budget=3))


def test_a_storm_of_failures_keeps_each_distinct_value_not_only_the_first_failures() -> None:
    from headroom.compressors.base import load_registry

    lines = [*FAILURES_HEAD]
    for n in range(60):
        lines += [
            f"___________________ test_has_licence[package{n}-1.0.dist-info] ___________________",
            "",
            "    def test_has_licence(meta):",
            "        text = meta.read_text()",
            ">       assert 'License:' in text",
            f"E       AssertionError: no licence in package{n}-1.0.dist-info",
            "",
            "tests/test_meta.py:12: AssertionError",
        ]
    lines += ["========================= 60 failed in 2.00s ========================="]
    text = "\n".join(lines)
    ctx = ctx_for(text, budget=900)
    from dataclasses import replace

    ctx = replace(ctx, registry=load_registry(include_entry_points=False))
    result = TestRunCompressor().compress(text, ctx)
    assert result is not None
    assert_verbatim(text, result.text)
    late = [n for n in range(40, 60) if f"no licence in package{n}-1.0.dist-info" in result.text]
    assert late, "failures past the first few are not all dropped"
    assert lines[-1] in result.text


def tap_many_failures() -> str:
    lines = ["TAP version 13"]
    number = 0
    for block in range(12):
        lines.append(f"# suite {block}")
        for _ in range(2 if block % 2 else 30):
            number += 1
            lines.append(f"ok {number} should be equal")
        number += 1
        lines += [f"not ok {number} case {block} fails", "  ---", "    expected: 1", "  ..."]
    lines += [f"1..{number}", f"# tests {number}", "# fail  12"]
    return "\n".join(lines)


def test_gap_markers_keep_to_their_share_short_pass_runs_kept() -> None:
    text = tap_many_failures()
    budget = 700
    result = TestRunCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    out = result.text.split("\n")
    for block in range(12):
        assert f"# suite {block}" in out or any(f"case {block} fails" in line for line in out)
        assert any(f"case {block} fails" in line for line in out)  # every failure, whole
    assert "ok 32 should be equal" in out and "ok 33 should be equal" in out  # a short run
    # Every failure may open a gap; past the markers' share nothing else does: the six
    # long runs of passes are one gap each, and the budget left widens the kept runs.
    gaps = [line for line in out[:-1] if ANY_MARKER_RE.fullmatch(line)]
    assert len(gaps) <= max(6, MARKER_SHARE * budget / MARKER_TOKENS)
    assert COUNTER.count(result.text) >= 0.8 * budget
    assert_verbatim(text, result.text)


def test_long_failures_keep_their_title_and_end_where_the_values_are() -> None:
    # Doctest failures echo a long docstring before the expected and actual values: too
    # long to keep whole, each keeps its title and its end, Expected/Got included.
    lines = [*FAILURES_HEAD]
    for n in range(20):
        lines.append(f"______________________ [doctest] pkg.stats.func{n} ______________________")
        lines += [f"{100 + k} >>> value = pkg.stats.func{n}(data, option={k})" for k in range(25)]
        lines += [f"{125} >>> value.sum()", "Expected:", f"    {n * 7}", "Got:"]
        lines += [f"    np.int64({n * 7 + 1})", "", f"/src/pkg/stats.py:{n * 40}: DocTestFailure"]
    lines += ["========================= 20 failed in 2.00s ========================="]
    text = "\n".join(lines)
    result = TestRunCompressor().compress(text, ctx_for(text, budget=1800))
    assert result is not None
    assert_verbatim(text, result.text)
    out = result.text.split("\n")
    for n in range(20):
        assert f"    np.int64({n * 7 + 1})" in out
        assert f"/src/pkg/stats.py:{n * 40}: DocTestFailure" in out
    assert sum(1 for line in out if ">>> value = pkg" in line) < 200  # the echoed source goes


def test_pytest_q_output_with_no_session_banner_is_a_test_run() -> None:
    lines = [
        "......................................................F................. [ 36%]",
        "..............................................................F.FEF..F. [ 73%]",
        "......................................FF...F.F                          [100%]",
        "==================================== ERRORS ====================================",
        "_____________________ ERROR at setup of test_orders_query ______________________",
    ]
    for n in range(12):
        lines += [
            "",
            "    @pytest.fixture",
            "    def db_conn():",
            f">       raise ConnectionRefusedError('refused (127.0.0.1:{5432 + n})')",
            f"E       ConnectionRefusedError: refused (127.0.0.1:{5432 + n})",
            "",
            f"test_shop.py:{14 + n}: ConnectionRefusedError",
            f"2026-12-02 10:15:{n:02d},120 INFO shop.db retrying connection attempt {n}",
            f"2026-12-02 10:15:{n:02d},480 WARNING shop.db connection attempt {n} failed",
        ]
    lines += ["FAILED test_shop.py::test_total - assert 3 == 4", "12 failed, 180 passed in 2.01s"]
    assert detect("\n".join(lines)).kind == "test"


def jest_output(files: int, cases: int) -> str:
    """jest's failures: a `FAIL path` line per file, a `● Suite › test` title per failure
    under it, each with a diff and a code frame longer than the title."""
    lines: list[str] = []
    for f in range(files):
        lines.append(f"FAIL tests/mod{f}.test.js")
        for c in range(cases):
            lines += [
                f"  ● module {f} › case {c} deep equal",
                "",
                "    expect(received).toEqual(expected) // deep equality",
                "",
                "    - Expected  - 1",
                "    + Received  + 1",
                "",
                *[
                    f"      {n} |   test('case {n}', () => {{ expect(merge({n})).toEqual({n + 1}); }});"
                    for n in range(c, c + 6)
                ],
                "",
                f"      at Object.toEqual (tests/mod{f}.test.js:{c + 3}:75)",
                "",
            ]
    lines += ["Test Suites: 6 failed, 6 total", "Tests:       48 failed, 48 total"]
    return "\n".join(lines)


def test_jest_failures_are_a_test_run_and_every_failure_keeps_its_title() -> None:
    text = jest_output(6, 8)
    assert detect(text[:3000]).kind == "test"  # the summary is past the sample: the titles say it
    whole = COUNTER.count(text)
    result = TestRunCompressor().compress(text, ctx_for(text, budget=whole // 3))
    assert result is not None
    out = result.text.split("\n")
    assert_verbatim(text, result.text)
    titles = [line for line in text.split("\n") if line.startswith("  ● ")]
    assert all(title in out for title in titles)


def test_mocha_numbers_its_failures_and_each_keeps_its_title() -> None:
    lines = ["", "  suite 1"]
    lines += [f"    ✔ ok {i}" if i % 5 else f"    {i // 5 + 1}) deep {i}" for i in range(1, 200)]
    lines += ["", "  160 passing (260ms)", "  39 failing", ""]
    for n in range(1, 40):
        lines += [
            f"  {n}) suite 1",
            f"       deep {n * 5}:",
            "",
            f"      AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal: {n}",
            "      + actual - expected",
            *[f"      at Context.<anonymous> (mtest/m{n}.spec.js:{k}:38)" for k in range(6)],
            "",
        ]
    text = "\n".join(lines)
    assert detect(text).kind == "test"
    result = TestRunCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 2))
    assert result is not None
    out = result.text.split("\n")
    assert all(f"  {n}) suite 1" in out for n in range(1, 40))


def test_a_coverage_reports_totals_row_stays() -> None:
    lines = pytest_output().split("\n")[:-1]
    lines += ["", "---------- coverage: platform linux, python 3.11.7 -----------"]
    lines += ["Name                      Stmts   Miss  Cover", "-" * 46]
    lines += [
        f"src/pkg/module_{i}.py     {100 + i:>5}  {i % 40:>5}   {90 - i % 40}%" for i in range(150)
    ]
    lines += ["-" * 46, "TOTAL                     15974  10430    35%"]
    lines += ["================== 2 failed, 200 passed, 2 warnings in 1.00s ==================="]
    text = "\n".join(lines)
    result = TestRunCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 5))
    assert result is not None
    assert "TOTAL                     15974  10430    35%" in result.text.split("\n")


def test_a_chained_failures_exception_lines_in_mid_block_stay() -> None:
    lines = [*FAILURES_HEAD]
    for t in range(6):
        lines += [
            f"___________________________________ test_net_{t} ___________________________________",
            "",
        ]
        lines += [
            f"    def send_{t}(self, request):",
            *[f'        """Library docstring line {k} of send, at length."""' for k in range(40)],
        ]
        lines += [
            f"E           urllib3.exceptions.NewConnectionError: HTTPConnection(host='127.0.0.1', port={t}): refused",
            "",
        ]
        lines += ["The above exception was the direct cause of the following exception:", ""]
        lines += [
            f"    def request_{t}(self):",
            *[f"        # library source line {k} of the adapter" for k in range(40)],
        ]
        lines += [
            f"E       requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port={t})",
            "",
        ]
        lines += [f"tests/test_net.py:{10 + t}: ConnectionError"]
    lines += ["============================== 6 failed in 1.00s =============================="]
    text = "\n".join(lines)
    result = TestRunCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 4))
    assert result is not None
    out = result.text.split("\n")
    kept = [line for line in lines if line.startswith(("E ", "The above exception"))]
    assert all(line in out for line in kept)


def pytest_ra_output(tests: int, failing: set[int]) -> str:
    """`pytest -rA`: each failure with its captured log under a `---` sub-banner, then a
    PASSES section where every passing test has a `___ title ___` and captured output."""

    def entry(i: int, body: list[str]) -> list[str]:
        title = f" test_convert[{i}] ".center(80, "_")
        return [
            title,
            *body,
            " Captured log call ".center(80, "-"),
            f"INFO     billing:t.py:10 converted {i}",
        ]

    lines = [".F" * 10, " FAILURES ".center(80, "=")]
    for i in sorted(failing):
        lines += entry(
            i,
            [
                "",
                f"    def test_convert(i={i}):",
                f">       assert got == want, f'rounding drift for invoice {i}'",
                f"E       AssertionError: rounding drift for invoice {i} in JPY",
                "",
                "tests/test_storm.py:12: AssertionError",
            ],
        )
    lines.append(" PASSES ".center(80, "="))
    for i in range(tests):
        if i not in failing:
            lines += entry(i, [])
    lines.append(" short test summary info ".center(80, "="))
    lines += [
        f"FAILED tests/test_storm.py::test_convert[{i}] - AssertionError" for i in sorted(failing)
    ]
    lines.append(
        f"{'=' * 20} {len(failing)} failed, {tests - len(failing)} passed in 1.20s {'=' * 20}"
    )
    return "\n".join(lines)


def test_a_passes_section_holds_passes_and_every_failure_keeps_its_assertion() -> None:
    # Under PASSES, a `___ title ___` is a passing test's; an entry's `--- Captured ---`
    # sub-banner is part of the entry, not the end of the FAILURES section.
    failing = set(range(5, 700, 69))
    text = pytest_ra_output(700, failing)
    budget = COUNTER.count(text) // 6
    result = TestRunCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    for i in failing:
        assert f"E       AssertionError: rounding drift for invoice {i} in JPY" in result.text
    gaps = [line for line in result.text.split("\n") if ANY_MARKER_RE.fullmatch(line)]
    assert len(gaps) * MARKER_TOKENS <= MARKER_SHARE * budget + len(failing) * MARKER_TOKENS
    assert_verbatim(text, result.text)


def test_a_coloured_pytest_run_keeps_its_failures() -> None:
    # `pytest --color=yes`: colour codes around the outcome words and banners.
    plain = pytest_ra_output(300, set(range(7, 300, 41)))
    coloured = "\n".join(
        line.replace("FAILED", "\x1b[31mFAILED\x1b[0m").replace(
            " PASSES ", " \x1b[32mPASSES\x1b[0m "
        )
        if not line.startswith("E ")
        else f"\x1b[1m\x1b[31m{line}\x1b[0m"
        for line in plain.split("\n")
    )
    assert detect(coloured).kind == "test"
    budget = COUNTER.count(coloured) // 6
    result = TestRunCompressor().compress(coloured, ctx_for(coloured, budget=budget))
    assert result is not None
    for i in range(7, 300, 41):
        assert f"rounding drift for invoice {i} in JPY\x1b[0m" in result.text
    assert_verbatim(coloured, result.text)


def test_failures_too_long_for_the_budget_keep_their_failing_statement() -> None:
    """pytest's `>` line is the statement that failed (escaped `&gt;` in junit XML): when
    the failures are cut to their failure lines it stays beside its `E` lines, every
    failure's statement and first `E` line before any failure's details."""
    lines = [*FAILURES_HEAD]
    for t in range(12):
        lines += [f" test_mean_{t} ".center(80, "_"), "", f"    def test_mean_{t}():"]
        lines += [f"        values_{k} = load_fixture({t}, {k})  # fixture row" for k in range(30)]
        lines += [
            f">       assert statistics.mean([{t}, 313]) == pytest.approx({t + 1}.0)",
            f"E       assert {t}.5 == {t + 1}.0 ± 3.9e-04",
            "E         comparison failed",
            f"E         Obtained: {t}.5",
            f"E         Expected: {t + 1}.0 ± 3.9e-04",
            *[f"E         item {k}: {k * t} != {k * t + 1}" for k in range(6)],
            "",
            f"tests/test_stats.py:{40 + t}: AssertionError",
        ]
    lines += ["============================== 12 failed in 1.00s ============================="]
    text = "\n".join(lines)
    result = TestRunCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) * 2 // 9))
    assert result is not None
    out = result.text.split("\n")
    statements = [line for line in lines if line.startswith(">")]
    assert len(statements) == 12 and all(line in out for line in statements)
    assert "        values_15 = load_fixture(3, 15)  # fixture row" not in out
    assert_verbatim(text, result.text)
