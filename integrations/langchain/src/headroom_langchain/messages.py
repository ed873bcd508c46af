"""LangChain messages through the engine: whatever a chat model accepts in, the same
messages out with compressed content (ids, names, tool calls and metadata kept)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage, convert_to_messages, convert_to_openai_messages
from langchain_core.prompt_values import PromptValue

from headroom import CompressResult, Headroom
from headroom.providers import OPENAI_CHAT

__all__ = ["as_messages", "compress_messages"]

logger = logging.getLogger("headroom.langchain")


def as_messages(value: Any) -> list[BaseMessage]:
    """What a chat model accepts (a string, a PromptValue, a message, a `(role, text)` tuple,
    a message dict, or a list of those; or an agent's state holding `messages`) as a list
    of messages; a TypeError for anything else."""
    if isinstance(value, PromptValue):
        return value.to_messages()
    if isinstance(value, dict) and "messages" in value and "role" not in value:
        value = value["messages"]  # an agent's state, as `create_react_agent(prompt=...)` passes it
    if isinstance(value, (str, BaseMessage, tuple, dict)):
        value = [value]
    if isinstance(value, Sequence):
        try:
            return convert_to_messages(value)
        except (ValueError, TypeError, NotImplementedError) as exc:
            raise TypeError(f"Headroom could not read these messages: {exc}") from None
    raise TypeError(
        "Headroom takes what a chat model takes: a string, a PromptValue, a message, a "
        f"(role, text) tuple, a message dict, or a list of those; not {type(value).__name__}."
    )


def compress_messages(
    engine: Headroom, messages: list[BaseMessage], model: str
) -> tuple[list[BaseMessage], CompressResult]:
    """`messages` with their content compressed; the same objects where nothing changed."""
    as_dicts = convert_to_openai_messages(messages)
    result = engine.compress(as_dicts, model=model, provider=OPENAI_CHAT)  # as converted
    if len(result.messages) != len(messages):  # never expected; fail open rather than misalign
        logger.warning("headroom: message count changed; sending the prompt uncompressed")
        return messages, result
    out = [
        original
        if new.get("content") == old.get("content")
        else original.model_copy(update={"content": new["content"]})
        for original, old, new in zip(messages, as_dicts, result.messages, strict=True)
    ]
    return out, result
