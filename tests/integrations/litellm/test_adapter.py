"""The LiteLLM proxy hook called as the proxy calls it, and the SDK path with mock_response."""

import asyncio
import functools
import threading
from typing import Any

import pytest

import headroom
from headroom.ccr import SqlStore
from headroom.compressed import CompressStatsDict
from headroom.tokens import count_tokens
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG as LOG
from tests.conversations import openai_body
from tests.lazy import lazy

# litellm (and headroom_litellm, which imports it) load when a test first uses them.
litellm, headroom_litellm = lazy("litellm"), lazy("headroom_litellm")
DualCache = lazy("litellm.caching.dual_cache", "DualCache")
UserAPIKeyAuth = lazy("litellm.proxy._types", "UserAPIKeyAuth")


@functools.cache
def capture_logger() -> Any:
    """One logger that records what litellm sent (litellm keeps its own copies of registered
    loggers: register one, once)."""

    from litellm.integrations.custom_logger import CustomLogger

    class Capture(CustomLogger):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[Any] = []
            self.seen = threading.Event()

        def log_success_event(
            self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            self.messages.append(kwargs.get("messages"))
            self.seen.set()

        async def async_log_success_event(
            self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            self.log_success_event(kwargs, response_obj, start_time, end_time)

    return Capture()


def test_proxy_hook_compresses_per_tenant(store: SqlStore) -> None:
    hook = headroom_litellm.HeadroomHandler(
        engine=headroom.Headroom(small_fixture_config(), store=store)
    )
    data = {
        "model": "gpt-4o",
        "messages": openai_body()["messages"],
        "metadata": {"user_api_key_alias": "team-a"},
        "litellm_call_id": "abc",
        "stream": False,
    }
    out = asyncio.run(
        hook.async_pre_call_hook(
            UserAPIKeyAuth(api_key="sk-team-a"), DualCache(), data, "acompletion"
        )
    )
    sent = out["messages"][2]["content"]
    assert count_tokens(sent) < count_tokens(LOG) / 4
    info = out["metadata"]["headroom"]
    assert set(info) == {"refs", "stats", "provider"}  # the request's record, less its messages
    assert set(info["stats"]) == set(CompressStatsDict.__annotations__)
    assert (
        out["metadata"]["user_api_key_alias"] == "team-a"
        and info["stats"]["tokens_after"] < info["stats"]["tokens_before"]
    )
    tenant = hook.engine_for(UserAPIKeyAuth(api_key="sk-team-a"))
    assert tenant.retrieve(info["refs"][0]) == LOG
    assert hook.engine_for(UserAPIKeyAuth(api_key="sk-team-b")).retrieve(info["refs"][0]) is None
    asyncio.run(
        hook.async_log_success_event(
            {"litellm_params": {"metadata": out["metadata"]}}, None, None, None
        )
    )
    assert list(hook.savings) == [info]
    assert (
        hook.savings.maxlen == lazy("headroom_litellm.handler", "SAVINGS_KEPT").resolve()
    )  # bounded
    untouched = {"model": "text-embedding-3-small", "input": ["x"]}
    assert (
        asyncio.run(
            hook.async_pre_call_hook(UserAPIKeyAuth(), DualCache(), dict(untouched), "aembedding")
        )
        == untouched
    )


@pytest.fixture
def capture() -> Any:
    logger = capture_logger()
    if logger not in litellm.callbacks:
        litellm.callbacks.append(logger)
    logger.messages.clear()
    logger.seen.clear()
    return logger


def test_sdk_completion_sends_compressed_messages(capture: Any) -> None:
    response = headroom_litellm.completion(
        model="gpt-4o", messages=openai_body()["messages"], mock_response="a checksum"
    )
    assert response.choices[0].message.content == "a checksum"
    assert capture.seen.wait(10), "litellm logs success on a worker thread"
    sent = capture.messages[-1][2]["content"]
    assert count_tokens(sent) < count_tokens(LOG) / 4
    ref = sent.split("headroom_retrieve ref=")[1][:16]
    assert headroom.retrieve(ref) == LOG


def test_sdk_completion_takes_positional_arguments_and_an_engine(
    capture: Any, store: SqlStore
) -> None:
    engine = headroom.Headroom(small_fixture_config(), store=store)
    response = headroom_litellm.completion(
        "gpt-4o", openai_body()["messages"], engine=engine, mock_response="positional"
    )
    assert response.choices[0].message.content == "positional"
    assert capture.seen.wait(10)
    sent = capture.messages[-1][2]["content"]
    ref = sent.split("headroom_retrieve ref=")[1][:16]
    assert engine.retrieve(ref) == LOG
    with pytest.raises(TypeError, match="multiple values"):
        headroom_litellm.completion("gpt-4o", model="gpt-4o", messages=[])


def test_sdk_acompletion(capture: Any) -> None:
    async def run() -> Any:
        response = await headroom_litellm.acompletion(
            model="gpt-4o", messages=openai_body()["messages"], mock_response="ok"
        )
        for _ in range(200):  # the success callback runs as a task on this loop
            if capture.seen.is_set():
                break
            await asyncio.sleep(0.05)
        return response

    assert asyncio.run(run()).choices[0].message.content == "ok"
    assert capture.seen.wait(10), "litellm logs success on a worker thread"
    assert (
        capture.messages
        and count_tokens(capture.messages[-1][2]["content"]) < count_tokens(LOG) / 4
    )
