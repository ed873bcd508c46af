"""Providers: one module per wire format, each with four seams (`base.Provider`): the
wire format, retrieval, a stream relay and an endpoint (`endpoint.Endpoint`).

    from headroom.providers import provider_named, provider_of
    provider_of(messages).append_context(messages, block)

A new format is one module plus `register(MyProvider())`; `provider_of` then recognises
conversations it `claims`, `provider_named` finds it by name, and everything generated
from `registered()` serves it: the proxy's routes, the server's `<upstream>_base_url`
settings, pass-through routing, the LiteLLM call map and `withHeadroom`'s SDK detection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headroom.providers.anthropic import ANTHROPIC
from headroom.providers.base import (
    Provider,
    RetrieveCall,
    StreamEvent,
    StreamRelay,
    parse_arguments,
)
from headroom.providers.endpoint import Endpoint, LiteLLMCalls, SdkSurface
from headroom.providers.gemini import GEMINI
from headroom.providers.openai_chat import OPENAI_CHAT
from headroom.providers.openai_responses import OPENAI_RESPONSES

__all__ = [
    "ANTHROPIC",
    "GEMINI",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "Endpoint",
    "LiteLLMCalls",
    "Provider",
    "RetrieveCall",
    "SdkSurface",
    "StreamEvent",
    "StreamRelay",
    "parse_arguments",
    "provider_named",
    "provider_of",
    "register",
    "registered",
    "unregister",
    "upstreams",
]

_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> None:
    """Make `provider` known by name and to `provider_of` (a later one with the
    same name replaces the earlier)."""
    _PROVIDERS[provider.name] = provider


def unregister(name: str) -> None:
    """Forget the provider `name` (a no-op when there is none)."""
    _PROVIDERS.pop(name, None)


def provider_named(name: str) -> Provider:
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise KeyError(f"No provider {name!r}; known: {', '.join(sorted(_PROVIDERS))}") from None


def registered() -> list[Provider]:
    """Every registered provider, in registration order."""
    return list(_PROVIDERS.values())


def upstreams() -> dict[str, str]:
    """Each upstream named by a registered endpoint, and its default base URL."""
    found: dict[str, str] = {}
    for provider in _PROVIDERS.values():
        found.setdefault(provider.endpoint.upstream, provider.endpoint.default_base_url)
    return found


def provider_of(messages: Sequence[Any]) -> Provider:
    """The format `messages` are in: the first registered provider that claims them, else
    OpenAI chat (plain role/content messages are valid in every format)."""
    for provider in _PROVIDERS.values():
        if provider.claims(messages):
            return provider
    return OPENAI_CHAT


for _builtin in (OPENAI_RESPONSES, OPENAI_CHAT, ANTHROPIC, GEMINI):
    register(_builtin)
