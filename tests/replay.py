"""Replay the build agent's conversation (tests.conversations.turn_messages) through an
engine and measure, turn by turn, how much of the previous request the next one starts with."""

from __future__ import annotations

import json
import tempfile
from typing import Any

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.engine.aligner import common_prefix_length
from tests.conversations import turn_messages

__all__ = ["replay"]


def serialise(messages: list[Any]) -> str:
    return "".join(json.dumps(m, sort_keys=True, ensure_ascii=False) for m in messages)


def replay(config: HeadroomConfig, turns: int = 30) -> list[float]:
    """Per turn after the first: the share of the previous request that this one starts with."""
    shares: list[float] = []
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(config, store=SqlStore(f"sqlite:///{home}/replay.db"))
        try:
            previous = ""
            for turn in range(turns):
                result = engine.compress(turn_messages(turn))
                body = result.messages[:-1] if result.aligned_fragments else result.messages
                current = serialise(body)
                if previous:
                    shares.append(common_prefix_length(previous, current) / len(previous))
                previous = current
        finally:
            # Activity is written in the background: done and the database closed before
            # the directory goes (else its last write races the removal).
            engine.store.close()
    return shares
