"""LiteLLM adapter for Headroom.

Proxy: put `litellm_settings: {callbacks: headroom_litellm.handler}` in the proxy's
config.yaml. `HeadroomHandler.async_pre_call_hook` (run by the LiteLLM proxy before every
call) compresses `data["messages"]` of every call that has messages, in the caller's
namespace (a hash of their LiteLLM key); `async_log_success_event` logs the savings.

SDK: LiteLLM runs `async_pre_call_hook` only on its proxy, and no CustomLogger hook may
rewrite the messages of a plain `litellm.completion` call. Call `headroom_litellm.completion`
/ `acompletion` instead: same arguments, the messages compressed first.
"""

from __future__ import annotations

from headroom_litellm.handler import HeadroomHandler, acompletion, completion, handler

__all__ = ["HeadroomHandler", "acompletion", "completion", "handler"]
