"""The conversations tests and benchmarks wrap payloads in: plain data, no imports of the
engine, so the benchmark that runs in another project's virtualenv can use them too."""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "OPENAI_KEY",
    "SYNC_LOG",
    "WORKER_LOG",
    "anthropic_body",
    "junit_output",
    "openai_body",
    "openai_conversation",
    "tool_call",
    "tool_output",
    "turn_messages",
    "unredeemable",
]

# 3000 sync lines; one of them records the checksum a question asks about.
SYNC_LOG = "\n".join(
    f"2026-11-25 09:{i // 60 % 60:02d}:{i % 60:02d} INFO shard-{i % 9} synced {i} rows"
    if i != 1234
    else "2026-11-25 09:20:34 INFO shard-1 synced rows, checksum 0xDEADBEEF7 recorded"
    for i in range(3000)
)
# 1500 worker lines; one of them is the error a question asks about.
WORKER_LOG = "\n".join(
    f"2024-05-01 12:{i // 60:02d}:{i % 60:02d} INFO worker-{i % 7} processed batch {i} in {i % 13}ms"
    if i != 731
    else "2024-05-01 12:12:11 ERROR worker-3 failed: disk quota exceeded on /var/data"
    for i in range(1500)
)
OPENAI_KEY = {"authorization": "Bearer sk-tenant-a"}


def junit_output(passes: int = 59) -> str:
    """A junit report of `passes` passing cases and one failing case."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<testsuites>",
        f'<testsuite name="pytest" errors="0" failures="1" tests="{passes + 1}">',
    ]
    lines += [f'<testcase classname="t" name="test_{i}" time="0.01" />' for i in range(passes)]
    lines += [
        '<testcase classname="t" name="test_bad" time="0.02">',
        '<failure message="assert 1 == 2">def test_bad():',
        "&gt;  assert 1 == 2",
        "</failure>",
        "</testcase>",
        "</testsuite>",
        "</testsuites>",
    ]
    return "\n".join(lines)


def tool_call(
    output: str,
    *,
    call_id: str = "call_1",
    name: str = "fetch_output",
    arguments: str = "{}",
) -> list[dict[str, Any]]:
    """An OpenAI assistant turn calling one tool, and that tool's result."""
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": output},
    ]


def openai_conversation(
    output: str,
    question: str = "What failed?",
    *,
    system: str | None = "You are a careful assistant.",
    follow_up: str | None = None,
    **call: str,
) -> list[dict[str, Any]]:
    """[system], the user's question, one tool call with `output`, [a follow-up question]."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": question}, *tool_call(output, **call)]
    if follow_up:
        messages.append({"role": "user", "content": follow_up})
    return messages


def openai_body(**extra: object) -> dict[str, Any]:
    """A chat completions request whose tool result is SYNC_LOG."""
    messages = openai_conversation(
        SYNC_LOG, "Which checksum was recorded?", system=None, call_id="c1"
    )
    return {"model": "gpt-4o", **extra, "messages": messages}


def anthropic_body(**extra: object) -> dict[str, Any]:
    """An Anthropic messages request whose tool result is SYNC_LOG."""
    return {
        "model": "claude-headroom-test",
        "max_tokens": 100,
        "system": "be brief",
        **extra,
        "messages": [
            {"role": "user", "content": "Which checksum was recorded?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "fetch_output", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": SYNC_LOG}],
            },
        ],
    }


# A build agent's conversation, turn after turn: every turn adds a tool call whose log
# grows, asks about a job seen in an earlier output (the query changes every turn), and the
# system prompt carries the current time.


def tool_output(turn: int) -> str:
    """The log of turn `turn`: 200 + 40 * turn lines, one error in the middle."""
    lines = [
        f"2026-11-25 10:{turn:02d}:{i % 60:02d} INFO job-{turn}-{i} finished in {i % 17}ms"
        for i in range(200 + 40 * turn)
    ]
    lines[len(lines) // 2] = (
        f"2026-11-25 10:{turn:02d}:30 ERROR job-{turn}-x failed: quota exceeded"
    )
    return "\n".join(lines)


def turn_messages(turn: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": f"You are a build agent. Current time: 2026-11-25T10:{turn:02d}:00Z.",
        },
        {"role": "user", "content": "Watch the nightly build and tell me what fails."},
    ]
    for step in range(turn + 1):
        messages += tool_call(tool_output(step), call_id=f"call_{step}")
        messages.append({"role": "user", "content": f"What happened to job-{max(0, step - 1)}-7?"})
    return messages


def unredeemable(requests: list[dict[str, Any]]) -> list[str]:
    """The paths of recorded upstream requests that hold a marker but offer no
    `headroom_retrieve` tool (a model could not redeem it): none, when all is well."""
    bad = []
    for request in requests:
        body = json.dumps(request.get("body"))
        tools = json.dumps((request.get("body") or {}).get("tools"))
        if "headroom_retrieve ref=" in body and "headroom_retrieve" not in tools:
            bad.append(str(request.get("path")))
    return bad


REASONING = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "opaque"}


def responses_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "gpt-4.1",
        **extra,
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Which checksum?"}]},
            REASONING,
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "fetch_output",
                "arguments": "{}",
            },
            {"type": "function_call_output", "call_id": "call_1", "output": SYNC_LOG},
        ],
    }
