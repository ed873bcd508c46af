"""A Gemini stand-in on loopback (`generateContent`, `streamGenerateContent?alt=sse`).

Like the OpenAI / Anthropic fake of tests/fakes.py: when `headroom_retrieve` is offered it
calls it (a `functionCall`) for the first marker it sees; once it has the original (a
`functionResponse`), it answers quoting the first line of it that the compressed request
did not hold, so a test can tell the original was redeemed. Each reply has its own
`responseId`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.fakes import serving

MARKER = re.compile(r"headroom_retrieve ref=([0-9a-f]{16})")
ROUTE = re.compile(r"^/v1(?:beta)?/models/([^/:]+):(generateContent|streamGenerateContent)")


@dataclass
class GeminiUpstream:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


def _retrieved(contents: list[Any]) -> str | None:
    """The output of a headroom_retrieve functionResponse in `contents`, if any."""
    for turn in contents:
        for part in turn.get("parts") or []:
            answer = part.get("functionResponse") or part.get("function_response")
            if answer and answer.get("name") == "headroom_retrieve":
                return str((answer.get("response") or {}).get("output", ""))
    return None


def reply_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    """What the fake model says to `body`: a retrieve call, a quote, or a plain answer."""
    contents = body.get("contents") or []
    original = _retrieved(contents)
    if original is not None:
        earlier = json.dumps([t for t in contents if _retrieved([t]) is None])
        unseen = [line for line in original.splitlines() if json.dumps(line)[1:-1] not in earlier]
        return [{"text": f"The original says: {unseen[0] if unseen else '(nothing new)'}"}]
    offered = "headroom_retrieve" in json.dumps(body.get("tools") or [])
    found = MARKER.search(json.dumps(contents))
    if offered and found:
        call = {"name": "headroom_retrieve", "args": {"ref": found.group(1)}}
        return [{"text": "Let me look."}, {"functionCall": call}]
    return [{"text": f"plain answer to {len(contents)} turns"}]


def _response(parts: list[dict[str, Any]], number: int) -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5},
        "modelVersion": "gemini-fake",
        "responseId": f"resp-{number}",
    }


def _chunks(parts: list[dict[str, Any]], number: int) -> list[dict[str, Any]]:
    """A streamed reply: text in two pieces, a function call whole, the last chunk
    carrying the finish reason."""
    pieces: list[dict[str, Any]] = []
    for part in parts:
        if "text" in part:
            half = len(part["text"]) // 2
            pieces += [{"text": part["text"][:half]}, {"text": part["text"][half:]}]
        else:
            pieces.append(part)
    out = []
    for index, piece in enumerate(pieces):
        chunk = _response([piece], number)
        if index < len(pieces) - 1:
            del chunk["candidates"][0]["finishReason"]
        out.append(chunk)
    return out


def make_handler(upstream: GeminiUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            upstream.requests.append({"path": self.path, "headers": dict(self.headers)})
            self._send(200, "application/json", json.dumps({"models": [{"name": "fake"}]}))

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            upstream.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body}
            )
            route = ROUTE.match(self.path)
            if route is None or not isinstance(body.get("contents"), list):
                self._send(400, "application/json", json.dumps({"error": {"code": 400}}))
                return
            parts = reply_parts(body)
            number = len(upstream.requests)
            if route.group(2) == "generateContent":
                self._send(200, "application/json", json.dumps(_response(parts, number)))
                return
            events = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in _chunks(parts, number))
            self._send(200, "text/event-stream", events)

        def _send(self, status: int, content_type: str, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def gemini_upstream() -> Iterator[GeminiUpstream]:
    record = GeminiUpstream(url="")
    with serving(make_handler(record)) as url:
        record.url = url
        yield record
