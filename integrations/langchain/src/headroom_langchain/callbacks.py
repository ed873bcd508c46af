"""A callback handler that records what Headroom saved in each run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

__all__ = ["SAVINGS_EVENT", "HeadroomSavingsHandler", "Savings"]

SAVINGS_EVENT = "headroom_savings"


@dataclass(frozen=True)
class Savings:
    run_id: UUID
    tokens_before: int
    tokens_after: int
    refs: tuple[str, ...]

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


class HeadroomSavingsHandler(BaseCallbackHandler):
    """Collects the `headroom_savings` events HeadroomCompressor dispatches, one per run."""

    def __init__(self) -> None:
        self.runs: list[Savings] = []

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == SAVINGS_EVENT:  # {"refs", "stats"}: CompressResult.to_dict() less messages
            stats = data["stats"]
            self.runs.append(
                Savings(run_id, stats["tokens_before"], stats["tokens_after"], tuple(data["refs"]))
            )

    @property
    def tokens_saved(self) -> int:
        return sum(run.tokens_saved for run in self.runs)
