"""The retrieval loop's stream driver in process: recorded upstream events (the fake
provider's) fed through `RetrievalLoop.stream` with a plain function as the transport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.engine.retrieval_loop import RetrievalLoop
from headroom.providers import ANTHROPIC, OPENAI_CHAT, OPENAI_RESPONSES, Provider, StreamEvent
from tests.conversations import SYNC_LOG, anthropic_body, openai_body, responses_body
from tests.fake_responses import responses_events, responses_retrieval_ref
from tests.fakes import MARKER, _anthropic_events, _openai_events, _wants_retrieval


def parsed(sse: list[str]) -> list[StreamEvent]:
    """The fake provider's SSE text as parsed events."""
    out = []
    for block in sse:
        name = None
        data = []
        for line in block.strip().splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        out.append(StreamEvent.parse(name, "\n".join(data)))
    return out


def fake_stream(provider: Provider, body: dict[str, Any], number: int) -> list[StreamEvent]:
    """What the fake provider streams for `body` (its `number`th request)."""
    if provider is OPENAI_RESPONSES:
        ref = responses_retrieval_ref(body)
        return parsed(responses_events(ref, {"ref": ref}, body, number))
    ref = _wants_retrieval(body)
    events = _openai_events if provider is OPENAI_CHAT else _anthropic_events
    return parsed(events(ref, {"ref": ref}, body, f"id_{number}"))


class Upstream:
    """Opens the fake provider's stream for a body; fails the `fail`th round after
    `fail_after` of its events (0: before any)."""

    def __init__(self, provider: Provider, fail: int | None = None, fail_after: int = 0):
        self.provider = provider
        self.bodies: list[dict[str, Any]] = []
        self.fail = fail
        self.fail_after = fail_after

    def __call__(self, body: dict[str, Any]) -> Iterator[StreamEvent]:
        self.bodies.append(body)
        events = fake_stream(self.provider, body, len(self.bodies))
        for index, event in enumerate(events):
            if len(self.bodies) == self.fail and index == self.fail_after:
                raise ConnectionError("the upstream went away")
            yield event
        if len(self.bodies) == self.fail:
            raise ConnectionError("the upstream went away")


BODIES = {OPENAI_CHAT: openai_body, ANTHROPIC: anthropic_body, OPENAI_RESPONSES: responses_body}


@pytest.fixture
def engine(store: SqlStore) -> Headroom:
    return Headroom(HeadroomConfig(), store=store)


def run(engine: Headroom, provider: Provider, upstream: Upstream) -> list[StreamEvent]:
    loop = RetrievalLoop(engine, provider)
    body, _ = loop.prepare(BODIES[provider](stream=True))
    assert MARKER.search(json.dumps(body))
    return list(loop.stream(body, upstream))


def closing(provider: Provider, events: list[StreamEvent]) -> list[Any]:
    if provider is OPENAI_CHAT:
        return [e.data for e in events[-2:]]
    return [e.payload.get("type") for e in events[-2:]]


@pytest.mark.parametrize("provider", [OPENAI_CHAT, ANTHROPIC, OPENAI_RESPONSES])
def test_a_retrieval_round_streams_as_one_answer(engine: Headroom, provider: Provider) -> None:
    upstream = Upstream(provider)
    events = run(engine, provider, upstream)
    text = json.dumps([e.data for e in events])
    assert "final" in text and "answer" in text and "headroom_retrieve" not in text
    assert len(upstream.bodies) == 2
    assert json.dumps(SYNC_LOG)[1:-1] in json.dumps(upstream.bodies[1])  # the original
    if provider is OPENAI_RESPONSES:
        ids = {e.payload["response"]["id"] for e in events if "response" in e.payload}
        assert ids == {"resp_1"} and events[-1].payload["type"] == "response.completed"
        assert len(events[-1].payload["response"]["output"]) == 1  # the message streamed
    elif provider is ANTHROPIC:
        assert closing(provider, events) == ["message_delta", "message_stop"]
    else:
        assert {e.payload.get("id") for e in events[:-1]} == {"id_1"}
        assert events[-1].data == "[DONE]"


@pytest.mark.parametrize("provider", [OPENAI_CHAT, ANTHROPIC, OPENAI_RESPONSES])
@pytest.mark.parametrize("fail_after", [0, 2])
def test_a_follow_up_round_failing_at_any_point_still_closes_the_answer(
    engine: Headroom, provider: Provider, fail_after: int
) -> None:
    events = run(engine, provider, Upstream(provider, fail=2, fail_after=fail_after))
    kinds = [e.payload.get("type") for e in events]
    if provider is OPENAI_CHAT:
        assert events[-1].data == "[DONE]"
        reasons = [c.get("finish_reason") for e in events for c in e.payload.get("choices", [])]
        assert [r for r in reasons if r] == ["stop"]
    elif provider is ANTHROPIC:
        assert kinds[-2:] == ["message_delta", "message_stop"]
        starts = kinds.count("content_block_start")
        assert kinds.count("content_block_stop") == starts  # every block opened is closed
        assert events[-2].payload["delta"]["stop_reason"] == "end_turn"
    else:
        assert kinds[-1] == "response.completed" and kinds.count("response.created") == 1
        numbers = [e.payload["sequence_number"] for e in events]
        assert numbers == list(range(len(events)))


def test_the_first_round_failing_is_the_callers_error(engine: Headroom) -> None:
    with pytest.raises(ConnectionError):
        run(engine, ANTHROPIC, Upstream(ANTHROPIC, fail=1))


def test_after_the_last_round_the_reply_goes_as_it_is_without_the_retrieve_call(
    store: SqlStore,
) -> None:
    engine = Headroom(HeadroomConfig(max_retrieval_rounds=0), store=store)
    upstream = Upstream(ANTHROPIC)
    events = run(engine, ANTHROPIC, upstream)
    assert len(upstream.bodies) == 1 and "headroom_retrieve" not in json.dumps(
        [e.data for e in events]
    )
    assert events[-2].payload["delta"]["stop_reason"] == "end_turn"
