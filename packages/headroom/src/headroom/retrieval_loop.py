"""The one retrieval loop: every surface that makes the model call itself (the proxy, the
SDK wrapper, the LiteLLM hook and helpers, the LangChain middleware) runs it.

1. `prepare(body)` compresses the conversation in a request body and offers the
   `headroom_retrieve` tool whenever the request holds a marker (of this turn or an
   earlier one), so no marker reaches a model that cannot redeem it.
2. After each response, `follow_up(body, response, round)` answers the model's retrieve
   calls from the store and returns the next request, or None when the response is the
   caller's.
3. `final(response)` is what the caller gets. Mixed calls are handled one way everywhere:
   when the model calls `headroom_retrieve` together with the caller's own tools, the
   retrieve calls are dropped and the caller gets its own calls (the model asks again
   next turn if it still needs the original). After `max_rounds` rounds the reply goes
   to the caller as it is, retrieve calls dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, TypeVar

from headroom.ccr.markers import MARKER_RE
from headroom.pipeline import CompressResult, Headroom
from headroom.providers import Provider
from headroom.tokens import DEFAULT_MODEL

__all__ = ["DEFAULT_MAX_ROUNDS", "RetrievalLoop", "has_markers", "response_dict"]

DEFAULT_MAX_ROUNDS = 3
R = TypeVar("R")


def has_markers(value: Any) -> bool:
    """Whether any string in `value` (a request body, messages) holds a Headroom marker;
    walked iteratively, so any nesting depth is fine."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "[headroom: " in item and MARKER_RE.search(item) is not None:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def response_dict(response: Any) -> dict[str, Any]:
    """A provider reply (an SDK model or a dict) as a dict; {} for anything else."""
    data = response.model_dump() if hasattr(response, "model_dump") else response
    return data if isinstance(data, dict) else {}


class RetrievalLoop:
    """Compress a request for one provider and answer its retrieval rounds."""

    def __init__(
        self, engine: Headroom, provider: Provider, *, max_rounds: int = DEFAULT_MAX_ROUNDS
    ) -> None:
        self.engine = engine
        self.provider = provider
        self.max_rounds = max_rounds

    def prepare(self, body: dict[str, Any]) -> tuple[dict[str, Any], CompressResult | None]:
        """`body` with its conversation compressed (the result is returned too) and the
        retrieve tool offered if any marker is in it; `body` is not changed."""
        out = dict(body)
        key = self.provider.conversation_key
        conversation = out.get(key)
        result = None
        if isinstance(conversation, list):
            model = str(out.get("model") or DEFAULT_MODEL)
            result = self.engine.compress(conversation, model=model)
            out[key] = result.messages
        if has_markers(out.get(key)):
            tools = out.get("tools")
            out["tools"] = list(tools) if isinstance(tools, list) else []
            self.provider.inject_tool(out)
        return out, result

    def prepare_unanswerable(
        self, body: dict[str, Any]
    ) -> tuple[dict[str, Any], CompressResult | None]:
        """For a call whose retrieve calls nobody would answer (a stream an SDK relays as
        it comes): the compressed conversation when it holds no marker, else the original,
        so no marker reaches a model that cannot redeem it. (`headroom proxy` answers
        retrieval inside streams; use it to compress streamed calls with markers.)"""
        key = self.provider.conversation_key
        conversation = body.get(key)
        if not isinstance(conversation, list) or has_markers(conversation):
            return body, None
        result = self.engine.compress(conversation, model=str(body.get("model") or DEFAULT_MODEL))
        if has_markers(result.messages):
            return body, None
        return dict(body, **{key: result.messages}), result

    def follow_up(
        self, body: dict[str, Any], response: dict[str, Any], round_number: int
    ) -> dict[str, Any] | None:
        """The next request when the model called only `headroom_retrieve` (answered from
        the store) and rounds are left; else None."""
        answers = self.answers(response) if round_number < self.max_rounds else None
        return None if answers is None else self.provider.add_round(body, response, answers)

    def answers(self, response: dict[str, Any]) -> list[tuple[str, str]] | None:
        """(call id, answer) of each retrieve call when the model called only
        `headroom_retrieve`; None when the response is the caller's."""
        calls, others = self.provider.retrieve_calls(response)
        if not calls or others:
            return None
        return [(c.call_id, self.engine.answer_retrieval(c.ref, c.query)) for c in calls]

    def final(self, response: dict[str, Any]) -> dict[str, Any]:
        """The response the caller gets: without retrieve calls."""
        calls, _ = self.provider.retrieve_calls(response)
        return self.provider.strip_retrieve(response) if calls else response

    def run(
        self,
        body: dict[str, Any],
        send: Callable[[dict[str, Any]], R],
        as_dict: Callable[[R], dict[str, Any]],
    ) -> tuple[R, dict[str, Any] | None]:
        """Send `body` and answer the retrieval rounds: the last reply, and its dict with
        the retrieve calls dropped when it had any (None: the reply is the caller's as is)."""
        rounds = self._rounds(body)
        request = next(rounds)
        while True:
            response = send(request)
            try:
                request = rounds.send(as_dict(response))
            except StopIteration as done:
                return response, done.value

    async def arun(
        self,
        body: dict[str, Any],
        send: Callable[[dict[str, Any]], Awaitable[R]],
        as_dict: Callable[[R], dict[str, Any]],
    ) -> tuple[R, dict[str, Any] | None]:
        """`run` with an async `send`."""
        rounds = self._rounds(body)
        request = next(rounds)
        while True:
            response = await send(request)
            try:
                request = rounds.send(as_dict(response))
            except StopIteration as done:
                return response, done.value

    def _rounds(
        self, body: dict[str, Any]
    ) -> Generator[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
        """Yields each request to send and receives its reply as a dict."""
        data = yield body
        for round_number in range(self.max_rounds + 1):
            following = self.follow_up(body, data, round_number)
            if following is None:
                break
            body = following
            data = yield body
        stripped = self.final(data)
        return None if stripped is data else stripped
