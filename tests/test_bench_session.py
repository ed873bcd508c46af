"""The measures of `make bench-session` (benchmarks/session_measure.py, session_prices.py)."""

import pytest
from benchmarks.session_measure import questions, repeated_span_tokens, turn_figures
from benchmarks.session_prices import PRICES, bill

from headroom.tokens import counter_for


def test_bill_prices_cache_reads_writes_and_openai_steps() -> None:
    sonnet, gpt = PRICES["claude-sonnet-5"], PRICES["gpt-5.4"]
    # Anthropic: 10,000 cached at 0.1x, the 2,000 new written at 1.25x.
    assert bill(sonnet, 12_000, 10_000) == pytest.approx((10_000 * 0.20 + 2_000 * 2.50) / 1e6)
    assert bill(sonnet, 900, 900) == pytest.approx(900 * 2.50 / 1e6)  # below 1,024: no cache
    # OpenAI: the cached prefix counts in 128-token steps; the rest at the base price.
    assert bill(gpt, 5_000, 4_100) == pytest.approx((4_096 * 0.25 + 904 * 2.50) / 1e6)


def _turns(changed: bool) -> list[list[dict]]:
    log = "\n".join(f"line {i} of the build log" for i in range(400))
    first = [{"role": "user", "content": "fix it"}, {"role": "tool", "content": log}]
    second = [*first, {"role": "tool", "content": "more output " * 50}]
    if changed:
        second[1] = {"role": "tool", "content": log.replace("line 399", "line 0399")}
    return [first, second]


def test_common_prefix_and_cached_share() -> None:
    counter = counter_for("gpt-4o")
    stable = turn_figures(_turns(False), counter)
    assert stable[1].prefix_ratio == 1.0 and stable[1].cached_anthropic == stable[0].tokens
    moved = turn_figures(_turns(True), counter)
    assert 0.9 < moved[1].prefix_ratio < 1.0  # the log's end changed
    assert moved[1].cached_anthropic == 0  # no earlier request is a prefix of it
    assert moved[1].bills["claude-sonnet-5"] > stable[1].bills["claude-sonnet-5"]


def test_repeated_spans_count_re_reads_with_line_numbers() -> None:
    code = "\n".join(f"    value_{i} = compute({i})" for i in range(6))
    numbered = "\n".join(f"{i + 1:>6}\t{line}" for i, line in enumerate(code.splitlines()))
    raw, sent = repeated_span_tokens(
        [code, numbered], [code, "[pointer]"], lambda s: len(s.split())
    )
    assert raw == sum(len(line.split()) for line in code.splitlines()) and sent == 0
    _, kept = repeated_span_tokens([code, numbered], [code, numbered], lambda s: len(s.split()))
    assert kept == raw


def test_questions_are_deterministic_and_about_rare_earlier_lines() -> None:
    outputs = [f"header\nunique detail number {i} here\nshared footer line" for i in range(6)]
    asked = questions(outputs, seed=3)
    assert asked == questions(outputs, seed=3) and len(asked) == 4
    for q in asked:
        assert q.source < q.turn and q.detail in outputs[q.source]
        assert q.detail.startswith("unique detail")
