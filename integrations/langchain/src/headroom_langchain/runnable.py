"""HeadroomCompressor: a Runnable from what a chat model accepts to compressed messages."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.callbacks.manager import dispatch_custom_event
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import ConfigDict

from headroom import Headroom, default_engine
from headroom.tokens import DEFAULT_MODEL
from headroom_langchain.callbacks import SAVINGS_EVENT
from headroom_langchain.messages import as_messages, compress_messages

__all__ = ["HeadroomCompressor"]


class HeadroomCompressor(RunnableSerializable[Any, list[BaseMessage]]):
    """Compresses tool outputs (and, by the engine's settings, long chat text) in a prompt."""

    model: str = DEFAULT_MODEL
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
        engine = self.engine or default_engine()
        out, result = compress_messages(engine, as_messages(input), self.model)
        dispatch_custom_event(
            SAVINGS_EVENT,
            {"refs": list(result.refs), "stats": result.stats()},  # the record, less messages
            config=config,
        )
        return out
