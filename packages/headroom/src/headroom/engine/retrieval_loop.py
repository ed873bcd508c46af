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
   to the caller as it is, retrieve calls dropped (`HeadroomConfig.max_retrieval_rounds`,
   the one setting for every surface).

`run` / `arun` drive the rounds for a whole reply; `stream` / `astream` for a streamed
one, whatever the transport: they take a function that opens the upstream stream for a
body and yield the parsed events to send the caller (the proxy writes them as SSE, the
SDK wrapper as the SDK's typed events). The provider's relay holds back the retrieve calls
and joins the rounds into one answer that is always closed, also when a round fails.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, TypeVar

from headroom.ccr.markers import MARKER_RE
from headroom.engine.aligner import canonical_tools, conversation_key
from headroom.engine.pipeline import CompressResult, Headroom
from headroom.providers import Provider
from headroom.providers.base import StreamEvent, StreamRelay
from headroom.tokens import DEFAULT_MODEL

__all__ = ["RetrievalLoop", "has_markers", "response_dict"]

logger = logging.getLogger("headroom.retrieval")
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
        self, engine: Headroom, provider: Provider, *, cache_layout: Provider | None = None
    ) -> None:
        """`provider`: the request's wire format; `cache_layout`: whose cache breakpoints
        the body gets, when another provider serves the model (LiteLLM sends OpenAI chat
        bodies to Anthropic models); by default the wire format's own."""
        self.engine = engine
        self.provider = provider
        self.cache_layout = cache_layout or provider
        self.max_rounds = engine.config.max_retrieval_rounds

    def prepare(self, body: dict[str, Any]) -> tuple[dict[str, Any], CompressResult | None]:
        """`body` as it goes upstream, with the body policy every surface shares: the
        conversation compressed (the result is returned too), the retrieve tool offered if
        any marker is in it, and by setting tools in canonical order and cache breakpoints
        added. `body` is not changed."""
        config = self.engine.config
        out = dict(body)
        key = self.provider.conversation_key
        conversation = out.get(key)
        result = None
        if config.align_dynamic and isinstance(out.get("tools"), list):
            out["tools"] = canonical_tools(out["tools"])
        if isinstance(conversation, list):
            model = str(out.get("model") or DEFAULT_MODEL)
            result = self.engine.compress(conversation, model=model, provider=self.provider)
            out[key] = result.messages
        if has_markers(out.get(key)):
            tools = out.get("tools")
            out["tools"] = list(tools) if isinstance(tools, list) else []
            self.provider.inject_tool(out)
        if config.add_cache_breakpoints and conversation is not None:
            listed = conversation if isinstance(conversation, list) else [conversation]
            out = self.cache_layout.add_cache_breakpoints(out, conversation_key(listed))
        return out, result

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
        *,
        sent: tuple[R] | None = None,
    ) -> tuple[R, dict[str, Any] | None]:
        """Send `body` and answer the retrieval rounds: the last reply, and its dict with
        the retrieve calls dropped when it had any (None: the reply is the caller's as is).
        `sent`: the reply to `body` when it went out already (a proxy hook's)."""
        rounds = self._rounds(body)
        request = next(rounds)
        while True:
            response = sent[0] if sent is not None else send(request)
            sent = None
            done, step = _step(rounds, as_dict(response))
            if done:
                return response, step
            request = step

    async def arun(
        self,
        body: dict[str, Any],
        send: Callable[[dict[str, Any]], Awaitable[R]],
        as_dict: Callable[[R], dict[str, Any]],
        *,
        sent: tuple[R] | None = None,
    ) -> tuple[R, dict[str, Any] | None]:
        """`run` with an async `send` (store reads stay off the event loop)."""
        rounds = self._rounds(body)
        request = next(rounds)
        while True:
            response = sent[0] if sent is not None else await send(request)
            sent = None
            done, step = await asyncio.to_thread(_step, rounds, as_dict(response))
            if done:
                return response, step
            request = step

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

    def stream(
        self, body: dict[str, Any], open_stream: Callable[[dict[str, Any]], Iterable[StreamEvent]]
    ) -> Iterator[StreamEvent]:
        """Send `body` streamed, answer the retrieval rounds inside the stream, and yield
        the caller's events. An error opening the first round is raised; a later round's
        is logged and the answer closed with what was sent."""
        rounds = _StreamRounds(self, body)
        while (request := rounds.next_request()) is not None:
            try:
                for event in open_stream(request):
                    yield from rounds.relay.feed(event)
            except Exception:
                if rounds.number == 0:
                    raise
                logger.warning(
                    "headroom: a retrieval round failed; closing the answer", exc_info=True
                )
                break
        yield from rounds.relay.finish()

    async def astream(
        self,
        body: dict[str, Any],
        open_stream: Callable[[dict[str, Any]], AsyncIterable[StreamEvent]],
    ) -> AsyncIterator[StreamEvent]:
        """`stream` with an async upstream (store reads stay off the event loop)."""
        rounds = _StreamRounds(self, body)
        while (request := await asyncio.to_thread(rounds.next_request)) is not None:
            try:
                async for event in open_stream(request):
                    for out in rounds.relay.feed(event):
                        yield out
            except Exception:
                if rounds.number == 0:
                    raise
                logger.warning(
                    "headroom: a retrieval round failed; closing the answer", exc_info=True
                )
                break
        for out in rounds.relay.finish():
            yield out


Rounds = Generator[dict[str, Any], dict[str, Any], "dict[str, Any] | None"]


def _step(rounds: Rounds, reply: dict[str, Any]) -> tuple[bool, Any]:
    """(False, the next request) or (True, the caller's stripped reply or None)."""
    try:
        return False, rounds.send(reply)
    except StopIteration as done:  # returned, not raised, so it may cross a thread
        return True, done.value


class _StreamRounds:
    """The round logic of a streamed answer, free of transport: which request goes next."""

    def __init__(self, loop: RetrievalLoop, body: dict[str, Any]) -> None:
        self.loop = loop
        self.relay: StreamRelay = loop.provider.stream_relay()
        self.body: dict[str, Any] | None = body
        self.number = -1

    def next_request(self) -> dict[str, Any] | None:
        """The next round's request (the first: the body), or None when the answer is done:
        the model called a tool of the caller's too, or did not call only the retrieve
        tool, or no rounds are left."""
        if self.number >= 0 and self.body is not None and not self.relay.other:
            reply = self.relay.assistant_response()
            self.body = self.loop.follow_up(self.body, reply, self.number)
        elif self.number >= 0:
            self.body = None
        if self.body is not None:
            self.number += 1
            self.relay.start_round()
        return self.body
