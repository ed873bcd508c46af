"""Gemini's wire format in process: compress() recognises `contents`, the relay holds a
retrieve call back, and a new wire format needs one module and one registration."""

from __future__ import annotations

import json
from typing import Any

import pytest

from headroom import Headroom
from headroom.conversation.messages import Conversation
from headroom.engine.retrieval_loop import RetrievalLoop
from headroom.errors import InputError
from headroom.providers import GEMINI, StreamEvent, provider_of
from tests.conversations import SYNC_LOG
from tests.gemini_conversations import QUESTION, gemini_contents


def output_of(contents: list[Any]) -> str:
    return str(contents[2]["parts"][0]["functionResponse"]["response"]["output"])


def test_compress_recognises_gemini_contents_and_keeps_every_other_field(
    engine: Headroom,
) -> None:
    contents = gemini_contents()
    contents[1]["parts"][0]["thoughtSignature"] = "c2lnbmF0dXJl"  # must come back as it was
    assert provider_of(contents) is GEMINI
    result = engine.compress(contents, model="gemini-2.5-flash")
    sent = output_of(result.messages)
    assert len(sent) < len(SYNC_LOG) / 4 and result.refs
    assert engine.retrieve(result.refs[0]) == SYNC_LOG  # the round trip
    assert result.messages[:2] == contents[:2]
    assert result.messages[1]["parts"][0]["thoughtSignature"] == "c2lnbmF0dXJl"
    assert output_of(contents) == SYNC_LOG  # the caller's list is not changed


def test_a_named_provider_is_used_and_a_wrong_name_is_a_clear_error(engine: Headroom) -> None:
    named = engine.compress(gemini_contents(), provider="gemini")
    assert named.refs and "headroom_retrieve ref=" in output_of(named.messages)
    with pytest.raises(InputError, match="No provider 'gemeni'"):
        engine.compress(gemini_contents(), provider="gemeni")


def test_the_query_of_a_payload_is_the_user_text_before_it() -> None:
    """Read from Gemini `parts` (the functionResponse turn is not a question)."""
    conversation = Conversation(gemini_contents())
    assert conversation.query() == QUESTION
    (segment,) = conversation.segments(include_user=False, include_assistant=False)
    assert segment.query.strip() == QUESTION and segment.tool_name == "fetch_log"  # + its args
    assert segment.path == (2, "parts", 0, "functionResponse", "response", "output")


def test_the_loop_offers_the_tool_answers_a_call_and_strips_a_mixed_one(
    engine: Headroom,
) -> None:
    loop = RetrievalLoop(engine, GEMINI)
    body, result = loop.prepare({"contents": gemini_contents()})
    assert result is not None
    declaration = body["tools"][-1]["functionDeclarations"][0]
    assert declaration["name"] == "headroom_retrieve"
    assert declaration["parameters"]["type"] == "OBJECT"
    call = {"functionCall": {"name": "headroom_retrieve", "args": {"ref": result.refs[0]}}}
    reply = {"candidates": [{"content": {"role": "model", "parts": [call]}}]}
    following = loop.follow_up(body, reply, 0)
    assert following is not None
    answer = following["contents"][-1]["parts"][0]["functionResponse"]
    assert answer == {"name": "headroom_retrieve", "response": {"output": SYNC_LOG}}
    own = {"functionCall": {"name": "fetch_log", "args": {}}}
    mixed = {"candidates": [{"content": {"role": "model", "parts": [call, own]}}]}
    assert loop.follow_up(body, mixed, 0) is None
    assert loop.final(mixed)["candidates"][0]["content"]["parts"] == [own]


def event(chunk: dict[str, Any]) -> StreamEvent:
    data = json.dumps(chunk)
    return StreamEvent.parse(None, data, f"data: {data}\r\n\r\n".encode())


def chunk(parts: list[Any], finish: bool, response_id: str) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    if finish:
        candidate["finishReason"] = "STOP"
    return {"candidates": [candidate], "responseId": response_id}


def test_relay_holds_the_retrieve_call_and_its_close_then_continues() -> None:
    relay = GEMINI.stream_relay()
    call = {"functionCall": {"name": "headroom_retrieve", "args": {"ref": "0" * 16}}}
    relay.start_round()
    sent = relay.feed(event(chunk([{"text": "Let "}], False, "r1")))
    sent += relay.feed(event(chunk([{"text": "me look."}, call], True, "r1")))
    assert not relay.other
    texts = [e.payload for e in sent]
    assert [t["candidates"][0]["content"]["parts"] for t in texts] == [
        [{"text": "Let "}],
        [{"text": "me look."}],
    ]
    assert all("finishReason" not in t["candidates"][0] for t in texts)
    assert relay.assistant_response()["candidates"][0]["content"]["parts"] == [
        {"text": "Let me look."},
        call,
    ]
    relay.start_round()  # the next round: its own id is replaced by the first one
    after = relay.feed(event(chunk([{"text": "done"}], True, "r2")))
    assert [e.payload["candidates"][0]["content"]["parts"] for e in after] == [[{"text": "done"}]]
    assert after[0].payload["responseId"] == "r1"
    (closing,) = [e.payload for e in relay.finish()]  # the answer's one ending, held till now
    assert closing["responseId"] == "r1" and closing["candidates"][0]["finishReason"] == "STOP"


def test_relay_of_a_round_that_also_calls_the_callers_tool() -> None:
    relay = GEMINI.stream_relay()
    relay.start_round()
    call = {"functionCall": {"name": "headroom_retrieve", "args": {"ref": "0" * 16}}}
    own = {"functionCall": {"name": "fetch_log", "args": {}}}
    sent = relay.feed(event(chunk([call, own], True, "r1")))
    assert relay.other
    assert sent[0].payload["candidates"][0]["content"]["parts"] == [own]
    closing = relay.finish()[0].payload
    assert closing["candidates"][0]["finishReason"] == "STOP"
