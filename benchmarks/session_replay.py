"""A session as the requests a client sends, one per turn (the whole conversation so far,
ending with the latest tool result), and its three replays: raw, headroom-ai 0.42 (in
its own virtualenv, through benchmarks/session_their_worker.py) and Headroom (the
engine's `compress` on each request, as the proxy or the SDK wrapper runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.session_agent import Session
from benchmarks.session_measure import Question, normalise, visible_text
from headroom import Headroom
from headroom.ccr.markers import find_markers

__all__ = [
    "Replay",
    "TheirWorker",
    "ask",
    "requests_of",
    "sent_outputs",
]

REPO = Path(__file__).resolve().parent.parent
THEIR_PYTHON = REPO / ".venv-compare" / "bin" / "python"
SYSTEM = "You are a coding agent. Use the bash tool to investigate and fix the task."


@dataclass
class Replay:
    """One way of sending a session: the requests as sent, one per turn."""

    name: str
    requests: list[list[Any]]
    error: str | None = None


def requests_of(session: Session, style: str) -> list[list[Any]]:
    """The request of each turn, OpenAI chat (`style` "openai") or Anthropic Messages."""
    messages: list[Any] = []
    if style == "openai":
        messages += [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": session.task},
        ]
    else:
        messages.append({"role": "user", "content": session.task})
    requests = []
    for index, step in enumerate(session.steps):
        arguments = {"command": step.command}
        if style == "openai":
            call = f"call_{index:03d}"
            function = {"name": "bash", "arguments": json.dumps(arguments)}
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": call, "type": "function", "function": function}],
                }
            )
            messages.append({"role": "tool", "tool_call_id": call, "content": step.output})
        else:
            call = f"toolu_{index:03d}"
            use = {"type": "tool_use", "id": call, "name": "bash", "input": arguments}
            result = {"type": "tool_result", "tool_use_id": call, "content": step.output}
            messages.append({"role": "assistant", "content": [use]})
            messages.append({"role": "user", "content": [result]})
        requests.append(json.loads(json.dumps(messages)))
    return requests


def sent_outputs(request: list[Any]) -> list[str]:
    """The tool results of a request as sent, in order (either wire format)."""
    found = []
    for message in request:
        if message.get("role") == "tool":
            found.append(_text(message.get("content")))
        elif isinstance(message.get("content"), list):
            for block in message["content"]:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    found.append(_text(block.get("content")))
    return found


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def ours(engine: Headroom, requests: list[list[Any]], model: str) -> Replay:
    return Replay("Headroom", [engine.compress(r, model=model).messages for r in requests])


class TheirWorker:
    """headroom-ai in .venv-compare, one request per line."""

    def __init__(self) -> None:
        if not THEIR_PYTHON.exists():
            raise SystemExit(
                "Run `make bench-session` (it creates .venv-compare with headroom-ai==0.42.0)."
            )
        self._log = tempfile.TemporaryFile(mode="w+")
        worker = REPO / "benchmarks" / "session_their_worker.py"
        self._process = subprocess.Popen(
            [str(THEIR_PYTHON), str(worker)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd="/",
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # its own headroom
        )
        self.version = str(self._answer()["version"])

    def replay(self, requests: list[list[Any]], model: str) -> Replay:
        sent = []
        for request in requests:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps({"model": model, "messages": request}) + "\n")
            self._process.stdin.flush()
            answer = self._answer()
            if "error" in answer:  # counted as sent unchanged, and said
                return Replay(f"headroom-ai {self.version}", requests, str(answer["error"]))
            sent.append(answer["messages"])
        return Replay(f"headroom-ai {self.version}", sent)

    def _answer(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._log.seek(0)
            raise SystemExit(f"headroom-ai worker failed:\n{self._log.read()[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)
        self._log.close()


@dataclass(frozen=True)
class Asked:
    """How the extractive model fared on one question."""

    visible: bool
    recoverable: bool  # hidden, and `headroom_retrieve` on a ref it sees returns it


def ask(
    request: list[Any], question: Question, retrieve: Callable[[str], str | None] | None
) -> Asked:
    """The model answers when the detail is in what it reads; else it calls
    `headroom_retrieve` on the refs it sees (resolved through `retrieve`, when given)."""
    text = visible_text(request)
    if question.detail in text:
        return Asked(True, True)
    if retrieve is None:
        return Asked(False, False)
    for ref in dict.fromkeys(m.ref for m in find_markers(text)):
        original = retrieve(ref)
        if original and any(normalise(line) == question.detail for line in original.splitlines()):
            return Asked(False, True)
    return Asked(False, False)
