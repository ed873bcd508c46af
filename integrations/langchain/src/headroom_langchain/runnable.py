"""HeadroomCompressor: a Runnable from a prompt (or messages) to compressed messages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.callbacks.manager import dispatch_custom_event
from langchain_core.messages import BaseMessage, HumanMessage, convert_to_openai_messages
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import ConfigDict

from headroom import Headroom, default_engine
from headroom_langchain.callbacks import SAVINGS_EVENT

__all__ = ["HeadroomCompressor"]

logger = logging.getLogger("headroom.langchain")


class HeadroomCompressor(RunnableSerializable[Any, list[BaseMessage]]):
    """Compresses tool outputs (and, by the engine's settings, long chat text) in a prompt."""

    model: str = "gpt-4o"
    """Model whose tokenizer counts the tokens."""
    engine: Headroom | None = None
    """Engine to use; default: the shared engine configured from HEADROOM_* variables."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def invoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> list[BaseMessage]:
        return self._call_with_config(self._compress, input, config, run_type="chain", **kwargs)

    def _compress(
        self, input: Any, run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> list[BaseMessage]:
        messages = _as_messages(input)
        as_dicts = convert_to_openai_messages(messages)
        result = (self.engine or default_engine()).compress(as_dicts, model=self.model)
        if len(result.messages) != len(messages):  # never expected; fail open rather than misalign
            logger.warning("headroom: message count changed; sending the prompt uncompressed")
            return messages
        out = [
            original
            if new.get("content") == old.get("content")
            else original.model_copy(update={"content": new["content"]})
            for original, old, new in zip(messages, as_dicts, result.messages, strict=True)
        ]
        dispatch_custom_event(
            SAVINGS_EVENT,
            {
                "tokens_before": result.tokens_before,
                "tokens_after": result.tokens_after,
                "refs": list(result.refs),
            },
            config=config,
        )
        return out


def _as_messages(input: Any) -> list[BaseMessage]:
    if isinstance(input, PromptValue):
        return input.to_messages()
    if isinstance(input, str):
        return [HumanMessage(input)]
    if isinstance(input, Sequence) and all(isinstance(m, BaseMessage) for m in input):
        return list(input)
    raise TypeError(
        f"HeadroomCompressor takes a prompt value, a string or a list of messages, not {type(input).__name__}."
    )
