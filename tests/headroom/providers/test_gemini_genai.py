"""withHeadroom around the real google-genai client, against the fake Gemini on loopback:
`generate_content` sends compressed contents and the retrieve call is answered locally;
`generate_content_stream` too, with the retrieve call answered inside the stream."""

from __future__ import annotations

import asyncio
from typing import Any

from google import genai
from google.genai import types

from headroom import Headroom, withHeadroom
from headroom.ccr import SqlStore
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG
from tests.fake_gemini import GeminiUpstream
from tests.gemini_conversations import GENAI_AIOHTTP, QUESTION, gemini_contents, quoted_line


def wrapped(upstream: GeminiUpstream, engine: Headroom) -> Any:
    client = genai.Client(api_key="g-key", http_options=types.HttpOptions(base_url=upstream.url))
    return withHeadroom(client, engine=engine)


def check_redeemed(upstream: GeminiUpstream, answer: str) -> None:
    first, second = upstream.requests
    sent = first["body"]["contents"][2]["parts"][0]["functionResponse"]["response"]["output"]
    assert len(sent) < len(SYNC_LOG) / 4 and "headroom_retrieve ref=" in sent
    returned = second["body"]["contents"][-1]["parts"][0]["functionResponse"]
    assert returned["name"] == "headroom_retrieve" and returned["response"]["output"] == SYNC_LOG
    line = quoted_line(answer)
    assert line in SYNC_LOG.splitlines() and line not in sent


def test_generate_content_is_compressed_and_retrieval_answered(
    gemini_upstream: GeminiUpstream, store: SqlStore
) -> None:
    client = wrapped(gemini_upstream, Headroom(small_fixture_config(), store=store))
    config = types.GenerateContentConfig(system_instruction="be brief", temperature=0.0)
    response = client.models.generate_content(
        model="gemini-fake", contents=gemini_contents(), config=config
    )
    check_redeemed(gemini_upstream, response.text or "")
    assert not response.function_calls
    first = gemini_upstream.requests[0]["body"]
    assert first["systemInstruction"]["parts"][0]["text"] == "be brief"  # the config stays
    assert client.files is client._inner.files  # everything else passes through


def test_sdk_shapes_of_contents_are_read_too(
    gemini_upstream: GeminiUpstream, store: SqlStore
) -> None:
    """`Content` objects (and a plain string) go through the SDK's own conversion."""
    client = wrapped(gemini_upstream, Headroom(small_fixture_config(), store=store))
    contents = [types.Content.model_validate(turn) for turn in gemini_contents()]
    response = client.models.generate_content(model="gemini-fake", contents=contents)
    check_redeemed(gemini_upstream, response.text or "")
    plain = client.models.generate_content(model="gemini-fake", contents=QUESTION)
    assert plain.text == "plain answer to 1 turns"


@GENAI_AIOHTTP
def test_async_generate_content(gemini_upstream: GeminiUpstream, store: SqlStore) -> None:
    async def run() -> str:
        client = wrapped(gemini_upstream, Headroom(small_fixture_config(), store=store))
        response = await client.aio.models.generate_content(
            model="gemini-fake", contents=gemini_contents()
        )
        return response.text or ""

    check_redeemed(gemini_upstream, asyncio.run(run()))


def test_streams_are_compressed_and_retrieval_answered_inside_them(
    gemini_upstream: GeminiUpstream, store: SqlStore
) -> None:
    engine = Headroom(small_fixture_config(), store=store)
    client = wrapped(gemini_upstream, engine)
    chunks = list(
        client.models.generate_content_stream(model="gemini-fake", contents=gemini_contents())
    )
    assert all(isinstance(c, types.GenerateContentResponse) for c in chunks)
    assert not any(c.function_calls for c in chunks)  # the retrieve call never reaches us
    assert len({c.response_id for c in chunks}) == 1  # one answer, one id
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    check_redeemed(gemini_upstream, "".join(c.text or "" for c in chunks))
    assert all(":streamGenerateContent" in r["path"] for r in gemini_upstream.requests)


@GENAI_AIOHTTP
def test_async_streams_are_answered_inside_them(
    gemini_upstream: GeminiUpstream, store: SqlStore
) -> None:
    async def run() -> str:
        client = wrapped(gemini_upstream, Headroom(small_fixture_config(), store=store))
        stream = await client.aio.models.generate_content_stream(
            model="gemini-fake", contents=gemini_contents()
        )
        return "".join([c.text or "" async for c in stream])

    check_redeemed(gemini_upstream, asyncio.run(run()))
