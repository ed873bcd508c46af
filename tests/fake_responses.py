"""What the fake upstream (tests/fakes.py) answers to OpenAI Responses requests: a
`headroom_retrieve` function call when the tool is offered and the input holds a marker
not yet fetched, else a final message; as one JSON object or as `response.*` events."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["responses_events", "responses_reply", "responses_retrieval_ref"]

MARKER = re.compile(r"headroom_retrieve ref=([0-9a-f]{16})")


def responses_retrieval_ref(body: dict[str, Any]) -> str | None:
    """The ref of the first marker, if the retrieve tool is offered and not called yet."""
    if "headroom_retrieve" not in json.dumps(body.get("tools") or []):
        return None
    items = body.get("input")
    called = [i for i in items or [] if isinstance(i, dict) and i.get("type") == "function_call"]
    answered = [
        i for i in items or [] if isinstance(i, dict) and i.get("call_id") == "call_r1"
    ]  # the output of its own retrieve call: sent chained or with the whole input
    if answered or any(i.get("name") == "headroom_retrieve" for i in called):
        return None  # answered already: now reply
    found = MARKER.search(json.dumps(items))
    return found.group(1) if found else None


def _output(ref: str | None, arguments: dict[str, Any], body: dict[str, Any]) -> list[dict]:
    if ref:
        return [
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_r1",
                "name": "headroom_retrieve",
                "arguments": json.dumps(arguments),
                "status": "completed",
            }
        ]
    items = body.get("input")
    count = len(items) if isinstance(items, list) else 1
    text = f"final answer after {count} input items"
    return [
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    ]


def responses_reply(
    ref: str | None, arguments: dict[str, Any], body: dict[str, Any], number: int = 1
) -> dict:
    return {
        "id": f"resp_{number}",
        "object": "response",
        "created_at": 1764150000,
        "model": str(body.get("model") or "gpt-4.1"),
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "output": _output(ref, arguments, body),
        "usage": {
            "input_tokens": 10,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 15,
        },
    }


def responses_events(
    ref: str | None, arguments: dict[str, Any], body: dict[str, Any], number: int = 1
) -> list[str]:
    reply = responses_reply(ref, arguments, body, number)
    (item,) = reply["output"]
    started = dict(item, **({"arguments": ""} if ref else {"content": []}))
    payloads: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**reply, "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "output_index": 0, "item": started},
    ]
    if ref:
        args = item["arguments"]
        for half in (args[: len(args) // 2], args[len(args) // 2 :]):
            payloads.append(
                {
                    "type": "response.function_call_arguments.delta",
                    "output_index": 0,
                    "item_id": "fc_1",
                    "delta": half,
                }
            )
        payloads.append(
            {
                "type": "response.function_call_arguments.done",
                "output_index": 0,
                "item_id": "fc_1",
                "arguments": args,
            }
        )
    else:
        part = item["content"][0]
        where = {"output_index": 0, "content_index": 0, "item_id": "msg_1"}
        payloads += [
            {"type": "response.content_part.added", **where, "part": dict(part, text="")},
            {"type": "response.output_text.delta", **where, "delta": part["text"]},
            {"type": "response.output_text.done", **where, "text": part["text"]},
            {"type": "response.content_part.done", **where, "part": part},
        ]
    payloads += [
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": reply},
    ]
    return [
        f"event: {p['type']}\ndata: {json.dumps({**p, 'sequence_number': n})}\n\n"
        for n, p in enumerate(payloads)
    ]
