"""A provider stand-in on loopback: records requests and answers like OpenAI / Anthropic.

It calls `headroom_retrieve` once (on the first marker's ref) when the tool is offered, then
answers with a final text; it streams when asked; each reply has its own id (numbered by
request); `fail_request = N` makes the Nth request (a follow-up round) fail with 500;
`x-test-status` / `x-test-sleep` headers make it fail or stall, `x-test-set-cookie: V` sets a cookie, `x-test-wire: crlf` / `x-test-pad: N` stream with \r\n line ends in
5-byte writes / a first line N characters longer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fake_responses import responses_events, responses_reply, responses_retrieval_ref

MARKER = re.compile(r"headroom_retrieve ref=([0-9a-f]{16})")


@dataclass
class Upstream:
    """A provider stand-in: records requests; calls headroom_retrieve once if offered."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    retrieve_query: str | None = None
    mix_in: str | None = None
    """Also call this tool of the caller's along with headroom_retrieve (OpenAI chat)."""
    fail_request: int | None = None
    """This request (1: the first) is answered 500, e.g. 2: only the follow-up round fails."""


def _all_text(messages: list[Any]) -> str:
    return json.dumps(messages)


def _wants_retrieval(body: dict[str, Any]) -> str | None:
    """The ref of the first marker, if the retrieve tool is offered and not called yet."""
    if "headroom_retrieve" not in json.dumps(body.get("tools") or []):
        return None
    if '"name": "headroom_retrieve"' in json.dumps(body["messages"]):
        return None  # already called it: now answer
    found = MARKER.search(json.dumps(body["messages"]))
    return found.group(1) if found else None


def _answer_text(body: dict[str, Any]) -> str:
    last = json.dumps(body["messages"][-1])
    return f"final answer after {len(body['messages'])} messages; last was {len(last)} chars"


def make_handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                self._json(400, {"error": {"message": "the body is not JSON"}})
                return
            upstream.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body}
            )
            number = len(upstream.requests)
            if number == upstream.fail_request:
                self._json(500, {"error": {"message": "the follow-up round failed"}})
                return
            if self.headers.get("x-test-sleep"):
                time.sleep(float(self.headers["x-test-sleep"]))
            if self.headers.get("x-test-status"):
                self._json(
                    int(self.headers["x-test-status"]), {"error": {"message": "upstream says no"}}
                )
                return
            if self.path.endswith("/responses"):
                self._responses(body, number)
                return
            if self.path.endswith("/count_tokens") or self.path.endswith("/embeddings"):
                self._json(200, {"path": self.path, "input_tokens": len(json.dumps(body)) // 4})
                return
            provider = "openai" if self.path.endswith("/chat/completions") else "anthropic"
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                self._json(400, {"error": {"message": "a provider wants a messages list"}})
                return
            if not body["messages"]:
                self._json(400, {"error": {"message": "messages must not be empty"}})
                return
            roles = [m.get("role") for m in body["messages"] if isinstance(m, dict)]
            if provider == "anthropic" and any(
                a == b for a, b in zip(roles, roles[1:], strict=False)
            ):
                # As Anthropic refuses it: two turns of one role in a row.
                self._json(400, {"error": {"message": "roles must alternate"}})
                return
            ref = _wants_retrieval(body)
            arguments = {
                "ref": ref,
                **({"query": upstream.retrieve_query} if upstream.retrieve_query else {}),
            }
            reply_id = f"{'chatcmpl' if provider == 'openai' else 'msg'}_{number}"
            if body.get("stream"):
                self._stream(provider, ref, arguments, body, reply_id)
            elif provider == "openai":
                reply = _openai_response(ref, arguments, body, upstream.mix_in)
                self._json(200, {**reply, "id": reply_id})
            else:
                self._json(200, {**_anthropic_response(ref, arguments, body), "id": reply_id})

        def do_GET(self) -> None:
            upstream.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": None}
            )
            self._json(200, {"object": "list", "data": [{"id": "fake-model"}], "path": self.path})

        def _responses(self, body: Any, number: int) -> None:
            if not isinstance(body, dict) or "input" not in body:
                self._json(400, {"error": {"message": "a Responses request wants an input"}})
                return
            ref = responses_retrieval_ref(body)
            arguments = {"ref": ref}
            if body.get("stream"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for event in responses_events(ref, arguments, body, number):
                    self.wfile.write(event.encode())
                    self.wfile.flush()
                return
            self._json(200, responses_reply(ref, arguments, body, number))

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            if self.headers.get("x-test-set-cookie"):  # as a provider's edge sets one
                self.send_header("set-cookie", f"edge={self.headers['x-test-set-cookie']}; Path=/")
            self.end_headers()
            self.wfile.write(data)

        def _stream(
            self,
            provider: str,
            ref: str | None,
            arguments: dict[str, Any],
            body: dict[str, Any],
            reply_id: str,
        ) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            events = (
                _openai_events(ref, arguments, body, reply_id)
                if provider == "openai"
                else _anthropic_events(ref, arguments, body, reply_id)
            )
            pad = int(self.headers.get("x-test-pad", 0))
            if pad:  # one very long line: the first event carries `pad` characters more
                events[0] = events[0].replace("data: {", f'data: {{"pad": "{"x" * pad}", ', 1)
            if self.headers.get("x-test-wire") == "crlf":  # \r\n line ends, in 5-byte writes
                wire = "".join(events).replace("\n", "\r\n").encode()
                for start in range(0, len(wire), 5):
                    self.wfile.write(wire[start : start + 5])
                    self.wfile.flush()
                return
            for event in events:
                self.wfile.write(event.encode())
                self.wfile.flush()

    return Handler


def _openai_response(
    ref: str | None, arguments: dict[str, Any], body: dict[str, Any], mix_in: str | None = None
) -> dict[str, Any]:
    if ref:
        calls = [
            {
                "id": "call_r1",
                "type": "function",
                "function": {"name": "headroom_retrieve", "arguments": json.dumps(arguments)},
            }
        ]
        if mix_in:
            calls.append(
                {
                    "id": "call_own",
                    "type": "function",
                    "function": {"name": mix_in, "arguments": "{}"},
                }
            )
        message = {"role": "assistant", "content": None, "tool_calls": calls}
        return {
            "id": "x",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        }
    message = {"role": "assistant", "content": _answer_text(body)}
    return {
        "id": "x",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


def _anthropic_response(
    ref: str | None, arguments: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    if ref:
        content = [
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "toolu_r1", "name": "headroom_retrieve", "input": arguments},
        ]
        return {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": str(body.get("model") or "claude"),
            "content": content,
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
    return {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "model": str(body.get("model") or "claude"),
        "stop_reason": "end_turn",
        "content": [{"type": "text", "text": _answer_text(body)}],
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def _openai_events(
    ref: str | None, arguments: dict[str, Any], body: dict[str, Any], reply_id: str
) -> list[str]:
    def data(payload: Any) -> str:
        return f"data: {json.dumps(payload)}\n\n"

    chunk = {
        "id": reply_id,
        "object": "chat.completion.chunk",
        "created": 1764150000,
        "model": str(body.get("model") or "gpt-4o"),
    }
    events = [
        data({**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
    ]
    if ref:
        args = json.dumps(arguments)
        events.append(
            data(
                {
                    **chunk,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [
                                    {
                                        "index": 0,
                                        "id": "call_r1",
                                        "type": "function",
                                        "function": {"name": "headroom_retrieve", "arguments": ""},
                                    }
                                ]
                            },
                        }
                    ],
                }
            )
        )
        for half in (args[: len(args) // 2], args[len(args) // 2 :]):
            events.append(
                data(
                    {
                        **chunk,
                        "choices": [
                            {
                                "index": 0,
                                "delta": {
                                    "tool_calls": [{"index": 0, "function": {"arguments": half}}]
                                },
                            }
                        ],
                    }
                )
            )
        events.append(
            data({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        )
    else:
        for word in _answer_text(body).split(" "):
            events.append(
                data({**chunk, "choices": [{"index": 0, "delta": {"content": word + " "}}]})
            )
        events.append(
            data({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
    return [*events, "data: [DONE]\n\n"]


def _anthropic_events(
    ref: str | None, arguments: dict[str, Any], body: dict[str, Any], reply_id: str
) -> list[str]:
    def event(name: str, payload: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n"

    events = [
        event(
            "message_start",
            {
                "message": {
                    "id": reply_id,
                    "type": "message",
                    "role": "assistant",
                    "model": str(body.get("model") or "claude"),
                    "content": [],
                    "stop_reason": None,
                    "usage": {"input_tokens": 10, "output_tokens": 1},
                }
            },
        )
    ]
    text = "Let me look." if ref else _answer_text(body)
    events += [
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}}),
        event("content_block_stop", {"index": 0}),
    ]
    if ref:
        args = json.dumps(arguments)
        events += [
            event(
                "content_block_start",
                {
                    "index": 1,
                    "content_block": {
                        "type": "tool_use",
                        "id": "toolu_r1",
                        "name": "headroom_retrieve",
                        "input": {},
                    },
                },
            ),
            event(
                "content_block_delta",
                {"index": 1, "delta": {"type": "input_json_delta", "partial_json": args[:10]}},
            ),
            event(
                "content_block_delta",
                {"index": 1, "delta": {"type": "input_json_delta", "partial_json": args[10:]}},
            ),
            event("content_block_stop", {"index": 1}),
        ]
    stop = "tool_use" if ref else "end_turn"
    return [
        *events,
        event("message_delta", {"delta": {"stop_reason": stop}, "usage": {"output_tokens": 5}}),
        event("message_stop", {}),
    ]


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on loopback in a thread, for the block: its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # A short poll: shutdown() waits one poll, after every test that used the server.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    record = Upstream(url="")
    with serving(make_handler(record)) as url:
        record.url = url
        yield record
