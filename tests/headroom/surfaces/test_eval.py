"""`headroom eval` end to end against the fake provider on loopback (tests/fakes.py)."""

import json
from pathlib import Path

import pytest

from headroom.engine.pipeline import count_message_tokens
from headroom.surfaces.cli import main
from headroom.surfaces.evaluate import agree_normalised, wilson
from headroom.tokens import counter_for
from tests.conversations import SYNC_LOG, openai_conversation
from tests.fakes import Upstream


def test_wilson_interval_known_values() -> None:
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10)[1] == 1.0 and wilson(0, 0) == (0.0, 1.0)


def test_normalised_agreement_ignores_case_punctuation_spacing() -> None:
    assert agree_normalised("The checksum is 0xBEEF.", "the  checksum is 0xbeef")
    assert not agree_normalised("shard 1 failed", "shard 2 failed")


def _header(request: dict, name: str) -> str | None:
    return {k.lower(): v for k, v in request["headers"].items()}.get(name)


def _requests(path: Path) -> list[dict]:
    big = openai_conversation(SYNC_LOG, "Which checksum was recorded?", system=None, follow_up=None)
    small = [{"role": "user", "content": "Say hello."}]
    bodies = [
        {"model": "gpt-4o", "messages": big},
        {"body": {"model": "gpt-4o", "messages": small}},
    ]
    path.write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
    return bodies


def test_eval_replays_both_ways_and_reports_agreement_with_intervals(
    upstream: Upstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-eval")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{upstream.url}/v1")
    _requests(tmp_path / "requests.jsonl")
    out = tmp_path / "report"
    assert main(["eval", "--requests", str(tmp_path / "requests.jsonl"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    # The small request is sent unchanged (same answer); the log is compressed, the fake
    # model calls headroom_retrieve once, and answers after more messages (another answer).
    assert "| exact | 1 of 2 (50.0%) | 9.5% - 90.5% |" in captured.out
    assert "| requests needing a retrieval | 1 of 2 (50.0%) |" in captured.out
    assert captured.err.splitlines()[:2] == ["eval: 1/2", "eval: 2/2"]
    report = json.loads((out / "report.json").read_text())
    assert (out / "report.md").read_text() in captured.out
    paths = [r["path"] for r in upstream.requests]
    assert paths == ["/v1/chat/completions"] * 5  # 2 original + 2 rounds + 1
    assert all(_header(r, "authorization") == "Bearer sk-eval" for r in upstream.requests)
    first_compressed = upstream.requests[1]["body"]
    assert "headroom_retrieve ref=" in json.dumps(first_compressed["messages"])
    assert any(t["function"]["name"] == "headroom_retrieve" for t in first_compressed["tools"])
    counter = counter_for("gpt-4o")
    sent = [upstream.requests[i]["body"]["messages"] for i in (1, 2)]
    summary, big = report["summary"], report["cases"][0]
    assert big["retrieval_calls"] == 1 == summary["retrieval_calls"]
    assert big["tokens_compressed"] == sum(count_message_tokens(m, counter) for m in sent)
    assert big["tokens_original"] == count_message_tokens(
        upstream.requests[0]["body"]["messages"], counter
    )
    assert big["exact"] is False and report["cases"][1]["exact"] is True
    assert summary["tokens_saved"] == summary["tokens_original"] - summary["tokens_compressed"]


def test_without_a_key_nothing_is_sent(
    upstream: Upstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HEADROOM_EVAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{upstream.url}/v1")
    _requests(tmp_path / "requests.jsonl")
    assert (
        main(["eval", "--requests", str(tmp_path / "requests.jsonl"), "--out", str(tmp_path)]) == 1
    )
    assert "set OPENAI_API_KEY" in capsys.readouterr().err
    assert upstream.requests == [] and not (tmp_path / "report.json").exists()


def test_anthropic_from_the_store_with_a_judge(
    upstream: Upstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = tmp_path / "sync.log"
    log.write_text(SYNC_LOG)
    assert main(["compress", str(log), "--json"]) == 0  # recorded in the store
    capsys.readouterr()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-eval")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", upstream.url)
    out = tmp_path / "report"
    assert main(["eval", "--from-store", "5", "--judge-model", "judge-1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "anthropic at " in text and "| judge model | 0 of 1 (0.0%) | 0.0% - 79.3% |" in text
    bodies = [r["body"] for r in upstream.requests]
    assert all(
        r["path"] == "/v1/messages" and _header(r, "x-api-key") == "ak-eval"
        for r in upstream.requests
    )
    assert json.dumps(bodies[0]["messages"]).count("shard-1 synced rows, checksum 0xDEADBEEF7") == 1
    assert bodies[-1]["model"] == "judge-1" and "Answer A:" in bodies[-1]["messages"][0]["content"]
    assert all(b["max_tokens"] == 1024 and b["stream"] is False for b in bodies)
