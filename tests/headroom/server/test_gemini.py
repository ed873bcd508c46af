"""The proxy's Gemini routes with the real google-genai client, against a fake Gemini on
loopback: compressed `contents`, retrieval answered with a `functionResponse` round, plain
and streamed, and other `/v1beta` paths passed through."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from google import genai
from google.genai import types

from headroom.ccr import SqlStore
from headroom.server.app import ServerSettings
from tests.conversations import SYNC_LOG
from tests.fake_gemini import GeminiUpstream
from tests.gemini_conversations import GENAI_AIOHTTP, gemini_contents, quoted_line
from tests.servers import RunningServer, free_port, start_server


@pytest.fixture
def gemini_proxy(gemini_upstream: GeminiUpstream, tmp_path: Path) -> Iterator[RunningServer]:
    store = SqlStore(f"sqlite:///{tmp_path / 'server.db'}")
    settings = ServerSettings(port=free_port(), gemini_base_url=gemini_upstream.url)
    server, thread = start_server(settings, store)
    yield RunningServer(f"http://127.0.0.1:{settings.port}", store)
    server.should_exit = True
    thread.join(timeout=10)


def client_of(server: RunningServer) -> genai.Client:
    return genai.Client(api_key="g-key", http_options=types.HttpOptions(base_url=server.url))


def check_rounds(upstream: GeminiUpstream, answer: str, stream: bool) -> None:
    """Two upstream rounds: compressed contents offering the tool, then the original in a
    functionResponse; the answer quotes a line only the original holds."""
    first, second = upstream.requests
    verb = "streamGenerateContent" if stream else "generateContent"
    assert first["path"].split("/", 2)[2].startswith(f"models/gemini-fake:{verb}")
    assert first["headers"]["x-goog-api-key"] == "g-key"
    sent = first["body"]["contents"][2]["parts"][0]["functionResponse"]["response"]["output"]
    assert len(sent) < len(SYNC_LOG) / 4 and "headroom_retrieve ref=" in sent
    names = [d["name"] for t in first["body"]["tools"] for d in t["functionDeclarations"]]
    assert names == ["headroom_retrieve"]
    answer_turn = second["body"]["contents"][-1]["parts"][0]["functionResponse"]
    assert answer_turn["name"] == "headroom_retrieve"
    assert answer_turn["response"]["output"] == SYNC_LOG
    line = quoted_line(answer)
    assert line in SYNC_LOG.splitlines() and line not in sent


def test_generate_content_is_compressed_and_retrieval_answered(
    gemini_proxy: RunningServer, gemini_upstream: GeminiUpstream
) -> None:
    client = client_of(gemini_proxy)  # kept: a dropped client closes its connection
    response = client.models.generate_content(model="gemini-fake", contents=gemini_contents())
    check_rounds(gemini_upstream, response.text or "", stream=False)
    assert not response.function_calls  # the retrieve call never reaches the caller


def test_streamed_generate_content_keeps_one_stream_and_one_identity(
    gemini_proxy: RunningServer, gemini_upstream: GeminiUpstream
) -> None:
    client = client_of(gemini_proxy)
    chunks = list(
        client.models.generate_content_stream(model="gemini-fake", contents=gemini_contents())
    )
    text = "".join(c.text or "" for c in chunks)
    assert text.startswith("Let me look.")
    check_rounds(gemini_upstream, text.removeprefix("Let me look."), stream=True)
    assert all(not c.function_calls for c in chunks)
    assert {c.response_id for c in chunks} == {"resp-1"}
    finished = [c for c in chunks if c.candidates and c.candidates[0].finish_reason]
    assert len(finished) == 1 and finished[0] is chunks[-1]


@GENAI_AIOHTTP
def test_async_client_through_the_proxy(
    gemini_proxy: RunningServer, gemini_upstream: GeminiUpstream
) -> None:
    async def run() -> str:
        client = client_of(gemini_proxy)
        response = await client.aio.models.generate_content(
            model="gemini-fake", contents=gemini_contents()
        )
        return response.text or ""

    check_rounds(gemini_upstream, asyncio.run(run()), stream=False)


def test_other_gemini_paths_and_json_array_streams_pass_through(
    gemini_proxy: RunningServer, gemini_upstream: GeminiUpstream
) -> None:
    with httpx.Client(timeout=30) as http:
        listed = http.get(f"{gemini_proxy.url}/v1beta/models", headers={"x-goog-api-key": "k"})
        assert listed.json() == {"models": [{"name": "fake"}]}
        body = {"contents": gemini_contents()}
        raw = http.post(
            f"{gemini_proxy.url}/v1beta/models/gemini-fake:streamGenerateContent",
            content=json.dumps(body),
            headers={"x-goog-api-key": "k", "content-type": "application/json"},
        )
        assert raw.status_code == 200
    # Not asked as SSE: sent as it came (no retrieval could be answered in that form).
    assert gemini_upstream.requests[-1]["body"] == body
    assert gemini_upstream.requests[0]["path"] == "/v1beta/models"
