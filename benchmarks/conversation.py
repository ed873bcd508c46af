"""The agent conversation every benchmark wraps a payload in: the payload is the result of a
neutrally named tool (`fetch_output`), so no tool-specific rule applies."""

from __future__ import annotations

from typing import Any

__all__ = ["tool_conversation"]


def tool_conversation(text: str, *, follow_up: str | None = None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Look at this output and answer my question."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "fetch_output", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": text},
    ]
    if follow_up:
        messages.append({"role": "user", "content": follow_up})
    return messages
