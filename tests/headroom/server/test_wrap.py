"""`headroom wrap` with default settings, driving a Claude-Code-like agent against a fake
Anthropic upstream: tool results get compressed, and each turn's request keeps the bytes
of the turn before, so the provider's prompt cache keeps hitting."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conversations import unredeemable
from tests.fakes import Upstream
from tests.servers import free_port

# An agent in the shape of Claude Code: a cached system prompt, and `cache_control` moved to
# the newest tool result every turn. It prints nothing; the upstream records what it got.
AGENT = r"""
import json, os, urllib.request

def log(turn):
    rows = [f"2026-11-26 08:{turn:02d}:{i % 60:02d} INFO build step {i} of target-{turn} ok"
            for i in range(2500)]
    rows[1234] = f"2026-11-26 08:{turn:02d}:34 ERROR target-{turn} link failed: undefined symbol zz{turn}"
    return "\n".join(rows)

system = [{"type": "text", "text": "You are a coding agent.", "cache_control": {"type": "ephemeral"}}]
messages = [{"role": "user", "content": "Build every target and tell me what fails."}]
for turn in range(4):
    messages.append({"role": "assistant", "content": [
        {"type": "tool_use", "id": f"toolu_{turn}", "name": "Bash", "input": {"command": f"make target-{turn}"}}]})
    for message in messages:
        for block in message["content"] if isinstance(message["content"], list) else []:
            block.pop("cache_control", None)
    messages.append({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": f"toolu_{turn}", "content": log(turn),
         "cache_control": {"type": "ephemeral"}}]})
    body = {"model": "claude-sonnet-4-5", "max_tokens": 512, "system": system, "messages": messages}
    request = urllib.request.Request(
        os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages", data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-api-key": "sk-ant-test",
                 "anthropic-version": "2023-06-01"})
    reply = json.loads(urllib.request.urlopen(request, timeout=60).read())
    messages.append({"role": "assistant", "content": [{"type": "text", "text": reply["content"][-1]["text"]}]})
    messages.append({"role": "user", "content": "Next target."})
"""


def run_wrapped(agent: str, home: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """`headroom wrap -- python -c AGENT` with default settings but `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADROOM_")}
    env.update(HEADROOM_HOME=str(home / "home"), **settings)
    return subprocess.run(
        [sys.executable, "-m", "headroom", "wrap", "--port", str(free_port()), "--"]
        + [sys.executable, "-c", agent],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def tool_results(body: dict[str, Any]) -> list[str]:
    return [
        block["content"]
        for message in body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


def without_cache_control(messages: list[Any]) -> list[Any]:
    text = json.dumps(messages)
    return json.loads(text.replace(', "cache_control": {"type": "ephemeral"}', ""))


def test_wrap_compresses_claude_code_tool_results_and_keeps_the_prefix(
    upstream: Upstream, tmp_path: Path
) -> None:
    run = run_wrapped(AGENT, tmp_path, HEADROOM_ANTHROPIC_BASE_URL=upstream.url)
    assert run.returncode == 0, run.stderr[-3000:]
    # The agent's own requests (not the proxy's retrieval rounds, which add a tool_use).
    turns = [
        r["body"]
        for r in upstream.requests
        if '"name": "headroom_retrieve"' not in json.dumps(r["body"]["messages"])
    ]
    assert len(turns) == 4
    for number, body in enumerate(turns):
        results = tool_results(body)
        assert len(results) == number + 1
        newest = results[-1] if isinstance(results[-1], str) else json.dumps(results[-1])
        assert "headroom_retrieve ref=" in newest, "the newest tool result is compressed"
        assert f"undefined symbol zz{number}" in newest, "its error line stays visible"
        assert len(newest) < 60_000 / 3
    for earlier, later in zip(turns, turns[1:], strict=False):
        # Byte-stable history: every earlier tool result goes out exactly as it did before.
        assert tool_results(later)[: len(tool_results(earlier))] == tool_results(earlier)
        assert later["system"] == earlier["system"]
        # And the whole earlier conversation is where it was (the agent moved cache_control).
        moved = without_cache_control(earlier["messages"])
        assert without_cache_control(later["messages"])[: len(moved)] == moved


# An agent in the shape of Codex in API-key mode: the Responses API at $OPENAI_BASE_URL,
# the whole conversation re-sent as `input` items each turn; it prints the final answers.
CODEX_AGENT = r"""
import json, os, urllib.request

def log(turn):
    rows = [f"2026-11-26 09:{turn:02d}:{i % 60:02d} INFO test {i} of suite-{turn} passed"
            for i in range(2500)]
    rows[1500] = f"2026-11-26 09:{turn:02d}:40 ERROR suite-{turn} test 1500 failed: off by {turn}"
    return "\n".join(rows)

items = [{"role": "user", "content": [{"type": "input_text", "text": "Run the suites."}]}]
for turn in range(3):
    items.append({"type": "function_call", "call_id": f"call_{turn}", "name": "shell",
                  "arguments": json.dumps({"command": ["make", f"suite-{turn}"]})})
    items.append({"type": "function_call_output", "call_id": f"call_{turn}", "output": log(turn)})
    body = {"model": "gpt-5-codex", "input": items, "tools": [{"type": "function", "name": "shell",
            "parameters": {"type": "object", "properties": {}}}]}
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/responses", data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": "Bearer sk-test"})
    reply = json.loads(urllib.request.urlopen(request, timeout=60).read())
    print(json.dumps([item["type"] for item in reply["output"]]))
    items += reply["output"]
"""


def test_wrap_compresses_codex_responses_requests_and_answers_retrieval(
    upstream: Upstream, tmp_path: Path
) -> None:
    run = run_wrapped(CODEX_AGENT, tmp_path, HEADROOM_OPENAI_BASE_URL=upstream.url)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ['["message"]'] * 3  # retrieval never reaches the agent
    first = upstream.requests[0]["body"]
    sent = first["input"][2]["output"]
    assert "headroom_retrieve ref=" in sent and "suite-0 test 1500 failed" in sent
    assert unredeemable(upstream.requests) == []
