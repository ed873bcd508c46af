"""The CCR store interface: everything the engine keeps.

- originals by (namespace, ref), with a TTL and a size cap, so every marker can be redeemed;
- decisions (how a payload was sent the first time), so history replays byte-stable;
- the activity log (compressions, requests, retrievals), for stats and the dashboard.

`headroom.ccr.sql_store.SqlStore` implements all of it on SQLite or PostgreSQL. A
third-party store implements `CCRStore`; one without the activity methods still stores
originals and decisions, and `missing_activity` names what it lacks (Headroom says so once,
and the dashboard answers 501).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from headroom.compressed import Compressed

__all__ = ["ACTIVITY_METHODS", "CCRStore", "StoreStats", "missing_activity", "missing_core"]


@dataclass(frozen=True)
class StoreStats:
    """What a namespace holds and what compression has saved in it."""

    entries: int
    bytes: int
    compressions: int
    tokens_before: int
    tokens_after: int
    retrievals: int = 0

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    def as_dict(self) -> dict[str, int]:
        """The figures by name, for JSON output."""
        return {
            "entries": self.entries,
            "bytes": self.bytes,
            "compressions": self.compressions,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
            "retrievals": self.retrievals,
        }


@runtime_checkable
class CCRStore(Protocol):
    """Where originals, decisions and activity live."""

    # Originals: what every marker promises.
    def put(self, namespace: str, ref: str, original: str, *, kind: str) -> None: ...
    def get(self, namespace: str, ref: str) -> str | None: ...
    def touch(self, namespace: str, ref: str) -> bool: ...

    # Decisions: a payload's first outcome (`changed` False: sent unchanged, text not kept),
    # replayed on later turns. `put_decision` returns the one in force (a racing writer's).
    def get_decision(self, namespace: str, key: str) -> Compressed | None: ...
    def put_decision(self, namespace: str, key: str, decision: Compressed) -> Compressed: ...

    # Activity.
    def record(self, namespace: str, outcome: Compressed) -> None:
        """One accepted compression (kind, compressor, tokens, ref)."""

    def record_request(
        self, namespace: str, tokens_before: int, tokens_after: int, prefix_stability: float | None
    ) -> None: ...
    def record_retrieval(self, namespace: str, ref: str, found: bool) -> None: ...
    def stats(self, namespace: str) -> StoreStats: ...
    def dashboard(self, namespace: str) -> dict[str, Any]:
        """Totals, a timeline, breakdowns by compressor and kind, the largest payloads."""

    def payload_preview(self, namespace: str, ref: str) -> dict[str, Any] | None:
        """The original and compressed form of one payload (previews), or None."""

    # Upkeep.
    def evict(self) -> int: ...
    def close(self) -> None: ...


ACTIVITY_METHODS = ("record_request", "record_retrieval", "dashboard", "payload_preview")
_CORE_METHODS = (
    "put",
    "get",
    "touch",
    "get_decision",
    "put_decision",
    "record",
    "stats",
    "evict",
    "close",
)


def missing_core(store: object) -> list[str]:
    """The methods without which `store` cannot keep originals and decisions."""
    return [name for name in _CORE_METHODS if not callable(getattr(store, name, None))]


def missing_activity(store: object) -> str | None:
    """What `store` lacks to keep the activity log (the dashboard and request log need
    it), said in a sentence; None when it has it all."""
    missing = [name for name in ACTIVITY_METHODS if not callable(getattr(store, name, None))]
    if not missing:
        return None
    return f"{type(store).__name__} keeps no activity log (it lacks {', '.join(missing)})"
