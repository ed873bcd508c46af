"""LiteLLM answers headroom_retrieve: the SDK helpers and the proxy hooks, against a fake
provider on loopback that calls the tool on its first reply and answers on its second."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import headroom
from headroom.ccr import SqlStore
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG, anthropic_body, openai_body, unredeemable
from tests.fakes import Upstream
from tests.lazy import lazy

# litellm (and headroom_litellm, which imports it) load when a test first uses them.
litellm, headroom_litellm = lazy("litellm"), lazy("headroom_litellm")
DualCache = lazy("litellm.caching.dual_cache", "DualCache")
UserAPIKeyAuth = lazy("litellm.proxy._types", "UserAPIKeyAuth")

TENANT = "sk-team-a"  # the caller's LiteLLM key


@pytest.fixture
def engine(store: SqlStore) -> headroom.Headroom:
    return headroom.Headroom(small_fixture_config(), store=store)


def openai_call(upstream: Upstream) -> dict[str, Any]:
    return {
        "model": "openai/gpt-4o",
        "messages": openai_body()["messages"],
        "api_base": f"{upstream.url}/v1",
        "api_key": "sk-test",
    }


def test_sdk_completion_answers_retrieval(upstream: Upstream, engine: headroom.Headroom) -> None:
    response = headroom_litellm.completion(**openai_call(upstream), engine=engine)
    assert response.choices[0].message.content.startswith("final answer")
    first, second = upstream.requests
    assert "headroom_retrieve" in str(first["body"]["tools"])
    assert second["body"]["messages"][-1]["content"] == SYNC_LOG  # the original, answered
    assert unredeemable(upstream.requests) == []


def test_sdk_acompletion_answers_retrieval(upstream: Upstream, engine: headroom.Headroom) -> None:
    response = asyncio.run(headroom_litellm.acompletion(**openai_call(upstream), engine=engine))
    assert response.choices[0].message.content.startswith("final answer")
    assert len(upstream.requests) == 2 and unredeemable(upstream.requests) == []


def run_proxy_call(hook: Any, data: dict[str, Any], call_type: str, send: Any) -> Any:
    """What the LiteLLM proxy does around one call: pre-call hook, the call, post-call hook."""
    key = UserAPIKeyAuth(api_key=TENANT)

    async def flow() -> Any:
        prepared = await hook.async_pre_call_hook(key, DualCache(), data, call_type)
        response = await send(**prepared)
        replaced = await hook.async_post_call_success_hook(prepared, key, response)
        return response if replaced is None else replaced

    return asyncio.run(flow())


def test_proxy_hooks_answer_retrieval_for_chat_completions(
    upstream: Upstream, engine: headroom.Headroom
) -> None:
    hook = headroom_litellm.HeadroomHandler(engine=engine)
    final = run_proxy_call(hook, openai_call(upstream), "acompletion", litellm.acompletion)
    assert final.choices[0].message.content.startswith("final answer")
    assert len(upstream.requests) == 2 and unredeemable(upstream.requests) == []


def test_proxy_hooks_answer_retrieval_for_anthropic_messages(
    upstream: Upstream, engine: headroom.Headroom
) -> None:
    from litellm.anthropic_interface import messages

    hook = headroom_litellm.HeadroomHandler(engine=engine)
    data = {
        "model": "anthropic/claude-sonnet-4-5",
        "max_tokens": 100,
        "messages": anthropic_body()["messages"],
        "api_base": upstream.url,
        "api_key": "sk-ant-test",
    }
    final = run_proxy_call(hook, data, "anthropic_messages", messages.acreate)
    text = final["content"][0]["text"] if isinstance(final, dict) else final.content[0].text
    assert text.startswith("final answer")
    first, second = upstream.requests
    assert second["body"]["messages"][-1]["content"][0]["content"] == SYNC_LOG
    assert unredeemable(upstream.requests) == []


def test_proxy_hooks_answer_retrieval_for_responses(
    upstream: Upstream, engine: headroom.Headroom
) -> None:
    hook = headroom_litellm.HeadroomHandler(engine=engine)
    data = {
        "model": "openai/gpt-4.1",
        "input": [
            {"role": "user", "content": "Which checksum was recorded?"},
            {"type": "function_call", "call_id": "c1", "name": "fetch_output", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": SYNC_LOG},
        ],
        "api_base": f"{upstream.url}/v1",
        "api_key": "sk-test",
    }
    final = run_proxy_call(hook, data, "aresponses", litellm.aresponses)
    output = final.output if hasattr(final, "output") else final["output"]
    types = [getattr(item, "type", None) or item["type"] for item in output]
    assert types == ["message"]
    first, second = upstream.requests
    assert second["body"]["input"][-1]["output"] == SYNC_LOG
    assert unredeemable(upstream.requests) == []


def test_sdk_streamed_completion_is_compressed_and_answers_retrieval_in_the_stream(
    upstream: Upstream, engine: headroom.Headroom
) -> None:
    from litellm.types.utils import ModelResponseStream

    chunks = list(headroom_litellm.completion(**openai_call(upstream), stream=True, engine=engine))
    assert chunks and all(isinstance(c, ModelResponseStream) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("final answer") and "headroom_retrieve" not in repr(chunks)
    first, second = upstream.requests
    assert "headroom_retrieve ref=" in str(first["body"]["messages"])  # compressed
    assert second["body"]["messages"][-1]["content"] == SYNC_LOG
    assert unredeemable(upstream.requests) == []


# LiteLLM leaves an event loop open after a sync call followed by an async one in one
# process (the plain litellm functions do it too, and the tests above did before this
# one); the warning surfaces in whichever test the collector runs in.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_sdk_streamed_acompletion_answers_retrieval_in_the_stream(
    upstream: Upstream, engine: headroom.Headroom
) -> None:
    async def run() -> str:
        stream = await headroom_litellm.acompletion(
            **openai_call(upstream), stream=True, engine=engine
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(run()).startswith("final answer")
    assert len(upstream.requests) == 2 and unredeemable(upstream.requests) == []


@pytest.mark.parametrize("model", ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"])
def test_sdk_completion_adds_cache_breakpoints_by_setting(
    upstream: Upstream, store: SqlStore, model: str
) -> None:
    engine = headroom.Headroom(headroom.HeadroomConfig(add_cache_breakpoints=True), store=store)
    call = dict(openai_call(upstream), model=model)
    if model.startswith("anthropic/"):
        call["api_base"] = upstream.url
    response = headroom_litellm.completion(**call, engine=engine)
    assert response.choices[0].message.content.startswith("final answer")
    first = upstream.requests[0]
    if model.startswith("openai/"):
        assert first["body"]["prompt_cache_key"]
    else:  # Anthropic's own breakpoints, as the model's provider takes them
        assert first["path"].endswith("/v1/messages")
        assert '"cache_control"' in json.dumps(first["body"]["messages"][-1])
