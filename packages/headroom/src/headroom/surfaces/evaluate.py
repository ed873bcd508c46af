"""`headroom eval`: does compression change the answers on your own traffic?

Each recorded request goes to your provider twice: as recorded, and compressed through
the engine with the retrieval loop every surface runs (the model may call
`headroom_retrieve`; each call is answered from the store and counted). The two answers
are compared exactly, after normalisation, and (optionally) by a judge model; every
share comes with a 95% Wilson interval. Tokens are counted with the engine's tokenizer
over every request sent, retrieval rounds included.

Only the standard library talks to the provider (urllib), so the engine needs no HTTP
dependency; nothing is sent unless a key is given.
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headroom.engine.pipeline import Headroom, count_message_tokens
from headroom.engine.retrieval_loop import RetrievalLoop
from headroom.errors import HeadroomError
from headroom.providers import Provider, provider_named
from headroom.providers.endpoint import upstream_url
from headroom.tokens import DEFAULT_MODEL, counter_for

__all__ = [
    "Endpoint",
    "EvalCase",
    "agree_normalised",
    "answer_text",
    "evaluate",
    "read_requests",
    "requests_from_store",
    "wilson",
]

_TIMEOUT_S = 120
_JUDGE = (
    "Two answers to the same request follow. Do they state the same facts and reach the "
    "same conclusion? Reply with YES or NO only.\n\nAnswer A:\n{a}\n\nAnswer B:\n{b}"
)
STORE_QUESTION = "Look at this output. What are its most important facts? Answer briefly."
"""The question asked of each recorded payload replayed from the store."""


@dataclass(frozen=True)
class Endpoint:
    """Where requests go: the wire format, its base URL and the key."""

    provider: str  # "openai" | "anthropic"
    base_url: str
    api_key: str

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """One non-streamed request; a provider error is a HeadroomError naming it."""
        endpoint = provider_named(self.provider).endpoint
        url = upstream_url(self.base_url, endpoint.path)
        headers = {"content-type": "application/json"}
        if endpoint.credential_header.lower() == "authorization":
            headers["authorization"] = f"Bearer {self.api_key}"
        else:
            headers[endpoint.credential_header] = self.api_key
        if self.provider == "anthropic":
            headers["anthropic-version"] = "2023-06-01"
        data = json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                answer: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise HeadroomError(f"{url} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise HeadroomError(f"Could not reach {url}: {exc}.") from None
        return answer


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a share (95% by default); (0, 1) when nothing was seen."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    denominator = 1 + z * z / total
    return max(0.0, (centre - margin) / denominator), min(1.0, (centre + margin) / denominator)


def answer_text(response: dict[str, Any]) -> str:
    """The text of a reply (OpenAI chat or Anthropic Messages); tool calls as JSON."""
    choices = response.get("choices")
    if isinstance(choices, list) and choices:
        message = choices[0].get("message") or {}
        text = message.get("content") or ""
        calls = message.get("tool_calls")
        return str(text) + (json.dumps(calls, sort_keys=True) if calls else "")
    parts = []
    for block in response.get("content") or []:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, dict) and block.get("type") == "tool_use":
            parts.append(json.dumps({"tool": block.get("name"), "input": block.get("input")}))
    return "".join(parts)


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def agree_normalised(a: str, b: str) -> bool:
    """Equal once case, punctuation and spacing are set aside."""
    return _normalise(a) == _normalise(b)


def read_requests(path: Path) -> Iterator[dict[str, Any]]:
    """Request bodies from a JSONL file: one body per line, or {"body": {...}}."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise HeadroomError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise HeadroomError(f"{path}:{number} is not JSON.") from None
        body = item.get("body", item) if isinstance(item, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            raise HeadroomError(f"{path}:{number}: a request needs a 'messages' list.")
        yield body


def requests_from_store(
    engine: Headroom, provider: str, model: str, limit: int
) -> list[dict[str, Any]]:
    """The latest recorded payloads, each as the result of a tool call answering
    `STORE_QUESTION`. The activity log keeps payloads, not whole requests."""
    namespace = engine.config.namespace
    rows = engine.store.dashboard(namespace).get("recent", [])[:limit]
    bodies = []
    for index, row in enumerate(rows):
        original = engine.store.get(namespace, row["ref"])
        if original is None:
            continue
        bodies.append(_tool_request(provider, model, original, f"call_{index}"))
    return bodies


def _tool_request(provider: str, model: str, output: str, call: str) -> dict[str, Any]:
    arguments = {"ref": call}
    if provider == "anthropic":
        use = {"type": "tool_use", "id": call, "name": "fetch_output", "input": arguments}
        result = {"type": "tool_result", "tool_use_id": call, "content": output}
        messages: list[Any] = [
            {"role": "user", "content": STORE_QUESTION},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [result]},
        ]
        return {"model": model, "max_tokens": 1024, "messages": messages}
    function = {"name": "fetch_output", "arguments": json.dumps(arguments)}
    messages = [
        {"role": "user", "content": STORE_QUESTION},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call, "type": "function", "function": function}],
        },
        {"role": "tool", "tool_call_id": call, "content": output},
    ]
    return {"model": model, "messages": messages}


@dataclass
class EvalCase:
    """One request, sent both ways."""

    index: int
    original_answer: str = ""
    compressed_answer: str = ""
    tokens_original: int = 0
    tokens_compressed: int = 0  # every round sent, retrieval rounds included
    retrieval_calls: int = 0
    exact: bool = False
    normalised: bool = False
    judged: bool | None = None
    error: str | None = None
    refs: list[str] = field(default_factory=list)


def _prepared(body: dict[str, Any], provider: str) -> dict[str, Any]:
    """The body as the eval sends it: not streamed, deterministic where the caller did
    not say otherwise, with Anthropic's required `max_tokens`."""
    out = dict(body, stream=False)
    out.setdefault("temperature", 0)
    if provider == "anthropic":
        out.setdefault("max_tokens", 1024)
    return out


def _run_case(
    engine: Headroom, endpoint: Endpoint, body: dict[str, Any], index: int, judge: str | None
) -> EvalCase:
    case = EvalCase(index)
    provider: Provider = provider_named(endpoint.provider)
    counter = counter_for(str(body.get("model") or DEFAULT_MODEL))
    body = _prepared(body, endpoint.provider)
    try:
        case.original_answer = answer_text(endpoint.post(body))
        case.tokens_original = count_message_tokens(body["messages"], counter)
        loop = RetrievalLoop(engine, provider)
        prepared, result = loop.prepare(body)
        case.refs = list(result.refs) if result is not None else []
        sent: list[dict[str, Any]] = []
        replies: list[dict[str, Any]] = []

        def send(request: dict[str, Any]) -> dict[str, Any]:
            sent.append(request)
            replies.append(endpoint.post(request))
            return replies[-1]

        reply, stripped = loop.run(prepared, send, lambda r: r)
        case.retrieval_calls = sum(len(provider.retrieve_calls(r)[0]) for r in replies)
        case.compressed_answer = answer_text(stripped if stripped is not None else reply)
        case.tokens_compressed = sum(count_message_tokens(r["messages"], counter) for r in sent)
        case.exact = case.original_answer == case.compressed_answer
        case.normalised = agree_normalised(case.original_answer, case.compressed_answer)
        if judge:
            case.judged = _judge(endpoint, judge, case)
    except HeadroomError as exc:
        case.error = str(exc)
    return case


def _judge(endpoint: Endpoint, model: str, case: EvalCase) -> bool:
    prompt = _JUDGE.format(a=case.original_answer, b=case.compressed_answer)
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": prompt}]}
    reply = endpoint.post(_prepared(body, endpoint.provider))
    return answer_text(reply).strip().upper().startswith("YES")


def evaluate(
    engine: Headroom,
    endpoint: Endpoint,
    bodies: list[dict[str, Any]],
    *,
    judge: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[EvalCase]:
    """Every body sent both ways, in order."""
    cases = []
    for index, body in enumerate(bodies):
        cases.append(_run_case(engine, endpoint, body, index, judge))
        if progress is not None:
            progress(index + 1, len(bodies))
    return cases
