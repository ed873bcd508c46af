"""The LiteLLM proxy itself, a process started from the repository's example config with
the Headroom callback, in front of the fake provider on loopback; the real OpenAI and
Anthropic SDKs call it. Retrieval is answered inside the proxy, streamed or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from tests.conftest import SMALL_FIXTURE_BUDGET
from tests.conversations import (
    SYNC_LOG,
    anthropic_body,
    openai_body,
    responses_body,
    unredeemable,
)
from tests.fakes import Upstream, make_handler, serving
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[3]
CONFIG = REPO / "examples" / "litellm_proxy_config.yaml"
MASTER = "sk-master-test"


@pytest.fixture(scope="module")
def module_upstream() -> Iterator[Upstream]:
    """One fake provider for the module's one proxy (a proxy takes ~10 s to start)."""
    record = Upstream(url="")
    with serving(make_handler(record)) as url:
        record.url = url
        yield record


@pytest.fixture
def upstream(module_upstream: Upstream) -> Upstream:
    """The module's fake provider, its record of requests fresh for each test."""
    module_upstream.requests.clear()
    return module_upstream


@pytest.fixture(scope="module")
def litellm_proxy(
    module_upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    upstream, tmp_path = module_upstream, tmp_path_factory.mktemp("litellm_proxy")
    port = free_port()
    # Started before any test's `clean_environ`: the same environment made here (no
    # HEADROOM_* setting of the caller's, the small fixtures' budget).
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEADROOM_")},
        **{f"HEADROOM_{k.upper()}": v for k, v in SMALL_FIXTURE_BUDGET.items()},
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MASTER_KEY": MASTER,
        "OPENAI_API_KEY": "sk-openai-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "OPENAI_API_BASE": f"{upstream.url}/v1",
        "ANTHROPIC_API_BASE": upstream.url,
        "HEADROOM_HOME": str(tmp_path / "headroom"),
        "HEADROOM_ADD_CACHE_BREAKPOINTS": "true",
    }
    litellm_cli = Path(sys.executable).parent / "litellm"
    log = (tmp_path / "proxy.log").open("w")
    command = [str(litellm_cli), "--config", str(CONFIG), "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError((tmp_path / "proxy.log").read_text()[-3000:])
            try:
                if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the LiteLLM proxy did not start")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_chat_through_the_litellm_proxy_answers_retrieval_streamed_or_not(
    litellm_proxy: str, upstream: Upstream
) -> None:
    client = openai.OpenAI(base_url=f"{litellm_proxy}/v1", api_key=MASTER, max_retries=0)
    messages = openai_body()["messages"]
    for model in ("gpt-4o", "claude-sonnet"):  # follow-ups go without the proxy's objects
        reply = client.chat.completions.create(model=model, messages=messages)
        assert reply.choices[0].message.content.startswith("final answer")
        assert not reply.choices[0].message.tool_calls
    for model in ("gpt-4o", "claude-sonnet"):
        chunks = list(client.chat.completions.create(model=model, messages=messages, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert "final answer" in text, (model, text)  # was a headroom_retrieve call and no text
        assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert len(upstream.requests) == 8  # each call: the compressed request, then the answer
    # Cache breakpoints as each model's provider takes them (the alias resolved).
    openai_first, anthropic_first = upstream.requests[0], upstream.requests[2]
    assert openai_first["body"]["prompt_cache_key"]
    assert anthropic_first["path"].endswith("/v1/messages")
    assert '"cache_control"' in json.dumps(anthropic_first["body"]["messages"][-1])
    assert unredeemable(upstream.requests) == []
    answers = [r for r in upstream.requests if json.dumps(SYNC_LOG)[1:-1] in json.dumps(r["body"])]
    assert len(answers) == 4  # the original reached the model only as the retrieval answer


def test_anthropic_messages_stream_through_the_litellm_proxy(
    litellm_proxy: str, upstream: Upstream
) -> None:
    client = anthropic.Anthropic(base_url=litellm_proxy, api_key=MASTER, max_retries=0)
    body = anthropic_body()
    with client.messages.stream(
        model="claude-sonnet", max_tokens=100, messages=body["messages"]
    ) as stream:
        message = stream.get_final_message()
    assert [b.type for b in message.content] == ["text", "text"]
    assert message.content[-1].text.startswith("final answer")
    assert message.stop_reason == "end_turn" and len(upstream.requests) == 2


def test_anthropic_messages_through_the_litellm_proxy(
    litellm_proxy: str, upstream: Upstream
) -> None:
    client = anthropic.Anthropic(base_url=litellm_proxy, api_key=MASTER, max_retries=0)
    body = anthropic_body()
    message = client.messages.create(
        model="claude-sonnet", max_tokens=100, messages=body["messages"]
    )
    assert message.content[-1].text.startswith("final answer")
    assert all(block.type == "text" for block in message.content)
    assert len(upstream.requests) == 2 and unredeemable(upstream.requests) == []


def test_responses_through_the_litellm_proxy_streamed_or_not(
    litellm_proxy: str, upstream: Upstream
) -> None:
    client = openai.OpenAI(base_url=f"{litellm_proxy}/v1", api_key=MASTER, max_retries=0)
    items = responses_body()["input"][:1] + responses_body()["input"][2:]  # no reasoning item
    reply = client.responses.create(model="gpt-4o", input=items)
    assert reply.output_text.startswith("final answer")
    events = list(client.responses.create(model="gpt-4o", input=items, stream=True))
    completed = [e for e in events if e.type == "response.completed"]
    assert len(completed) == 1 and completed[0].response.output_text.startswith("final answer")
    assert "headroom_retrieve" not in repr(events)
    assert len(upstream.requests) == 4 and unredeemable(upstream.requests) == []
