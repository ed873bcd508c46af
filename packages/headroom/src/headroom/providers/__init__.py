"""Providers: one module per wire format behind one interface (`base.Provider`).

    from headroom.providers import provider_named, provider_of
    provider_of(messages).append_context(messages, block)

A new format is one module plus `register(MyProvider())`; `provider_of` then recognises
conversations it `claims`, and `provider_named` finds it by name.
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
from headroom.providers.openai_chat import OPENAI_CHAT
from headroom.providers.openai_responses import OPENAI_RESPONSES

__all__ = [
    "ANTHROPIC",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "Provider",
    "RetrieveCall",
    "StreamEvent",
    "StreamRelay",
    "parse_arguments",
    "provider_named",
    "provider_of",
    "register",
    "unregister",
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


def provider_of(messages: Sequence[Any]) -> Provider:
    """The format `messages` are in: the first registered provider that claims them, else
    OpenAI chat (plain role/content messages are valid in every format)."""
    for provider in _PROVIDERS.values():
        if provider.claims(messages):
            return provider
    return OPENAI_CHAT


for _builtin in (OPENAI_RESPONSES, OPENAI_CHAT, ANTHROPIC):
    register(_builtin)
