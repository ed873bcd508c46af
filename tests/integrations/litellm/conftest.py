"""litellm leaves resources behind that it never closes: the clients it builds stay in a
module cache, and its sync path opens the main thread's default event loop. Their
ResourceWarnings surface whenever the garbage collector happens to run, failing whatever
test is running then (warnings are errors here). Each LiteLLM test therefore ends by
closing what litellm left and collecting it, so leftovers are settled where they arose."""

from __future__ import annotations

import asyncio
import gc
import inspect
import sys
import warnings
from collections.abc import Iterator

import pytest


def close_cached_clients() -> None:
    litellm = sys.modules.get("litellm")
    if litellm is None:
        return
    cache = litellm.in_memory_llm_clients_cache
    for client in list(cache.cache_dict.values()):
        close = getattr(client, "close", None)
        if callable(close) and not inspect.iscoroutinefunction(close):
            close()
    cache.flush_cache()


def close_default_event_loop() -> None:
    # the policy keeps the loop litellm's asyncio.get_event_loop() made; asking through the
    # public call would make one when there is none
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    loop = getattr(local, "_loop", None)
    if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_running():
        if not loop.is_closed():
            loop.close()
        asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def litellm_leftovers_settled() -> Iterator[None]:
    yield
    close_cached_clients()
    close_default_event_loop()
    with warnings.catch_warnings():
        # only what litellm left unclosed reaches the collector here
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
