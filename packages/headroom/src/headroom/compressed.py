"""The records of what compression did, and their one serialised form.

`Compressed` is what happened to one payload. A compressor returns it with what it kept;
the router adds the kind, the compressor's name and the token counts; the pipeline stores
it as the payload's decision and in the activity log, and hands it to the caller. Every
field is set by keyword, so a new field can never shift another's meaning.

`CompressResult` is what happened to one request (its messages and what they saved).

Both serialise one way, `to_dict()` / `from_dict()`, to the shapes the TypedDicts below
name: the CLI's `--json`, the MCP tools, the HTTP bridge (and its OpenAPI contract), the
LiteLLM metadata and the JS types all emit these fields and no others. `refs`,
`tokens_saved` and `ratio` are derived: written out for readers, recomputed when read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

# pydantic (the bridge's OpenAPI contract) reads these only from typing_extensions on 3.10/3.11
from typing_extensions import TypedDict

__all__ = [
    "CompressResult",
    "CompressResultDict",
    "CompressStatsDict",
    "Compressed",
    "CompressedDict",
    "CompressorStats",
    "CompressorStatsDict",
]


class CompressedDict(TypedDict):
    """`Compressed` serialised (one payload)."""

    text: str
    ref: str | None
    refs: list[str]
    kept: int
    total: int
    unit: str
    kind: str
    language: str | None
    compressor: str | None
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    ratio: float
    changed: bool
    final: bool


class CompressorStatsDict(TypedDict):
    payloads: int
    tokens_before: int
    tokens_after: int


class CompressStatsDict(TypedDict):
    """What one request saved, in total and by compressor."""

    tokens_before: int
    tokens_after: int
    tokens_saved: int
    ratio: float
    compressors: dict[str, CompressorStatsDict]
    prefix_stability: float | None
    aligned_fragments: int
    failed_open: bool


class CompressResultDict(TypedDict):
    """`CompressResult` serialised (one request)."""

    messages: list[Any]
    refs: list[str]
    stats: CompressStatsDict


def _ratio(before: int, after: int) -> float:
    """The one meaning of ratio: after / before (1.0 when there was nothing)."""
    return after / before if before else 1.0


@dataclass(frozen=True, kw_only=True)
class Compressed:
    """One payload as it goes out: compressed, or unchanged (`changed` False)."""

    text: str
    """What goes out in place of the payload (the payload itself when unchanged)."""
    ref: str | None = None
    """Set when anything was omitted: the original is stored under it and its markers name it."""
    kept: int = 0
    total: int = 0
    unit: str = "items"
    """`kept` of `total` units (lines, items, function bodies...) are shown."""
    kind: str = "text"
    language: str | None = None
    compressor: str | None = None
    """The compressor that handled the payload (set even when it declined)."""
    tokens_before: int = 0
    tokens_after: int = 0
    changed: bool = True
    final: bool = True
    """False when a failure forced this outcome: it is not remembered as the decision."""

    @classmethod
    def unchanged(
        cls,
        text: str,
        tokens: int,
        *,
        kind: str = "text",
        language: str | None = None,
        compressor: str | None = None,
        final: bool = True,
    ) -> Compressed:
        """`text` going out as it came in."""
        return cls(
            text=text,
            kind=kind,
            language=language,
            compressor=compressor,
            tokens_before=tokens,
            tokens_after=tokens,
            changed=False,
            final=final,
        )

    @property
    def refs(self) -> list[str]:
        """The refs of the originals this output points at (none, or its own)."""
        return [] if self.ref is None else [self.ref]

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    @property
    def ratio(self) -> float:
        """tokens_after / tokens_before (1.0 for an empty payload)."""
        return _ratio(self.tokens_before, self.tokens_after)

    def to_dict(self) -> CompressedDict:
        return {
            "text": self.text,
            "ref": self.ref,
            "refs": self.refs,
            "kept": self.kept,
            "total": self.total,
            "unit": self.unit,
            "kind": self.kind,
            "language": self.language,
            "compressor": self.compressor,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
            "ratio": self.ratio,
            "changed": self.changed,
            "final": self.final,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Compressed:
        """The record `to_dict` wrote (derived fields are recomputed, not read)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class CompressorStats:
    """What one compressor did in one call, summed over its payloads."""

    payloads: int
    tokens_before: int
    tokens_after: int

    @classmethod
    def of(cls, outcomes: Sequence[Compressed]) -> dict[str, CompressorStats]:
        """The changed payloads' figures, by compressor."""
        by_name: dict[str, list[Compressed]] = {}
        for outcome in outcomes:
            by_name.setdefault(outcome.compressor or "", []).append(outcome)
        return {
            name: cls(
                payloads=len(group),
                tokens_before=sum(o.tokens_before for o in group),
                tokens_after=sum(o.tokens_after for o in group),
            )
            for name, group in by_name.items()
        }

    def to_dict(self) -> CompressorStatsDict:
        return {
            "payloads": self.payloads,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
        }


@dataclass(frozen=True)
class CompressResult:
    """The compressed messages and what compression saved."""

    messages: list[Any]
    tokens_before: int
    tokens_after: int
    refs: list[str] = field(default_factory=list)
    compressors: dict[str, CompressorStats] = field(default_factory=dict)
    failed_open: bool = False
    prefix_stability: float | None = None
    """Share of this conversation's previous request that this request starts with."""
    aligned_fragments: int = 0
    """Dynamic fragments the CacheAligner moved to the end of the request."""

    @property
    def ratio(self) -> float:
        """tokens_after / tokens_before (1.0 for an empty request)."""
        return _ratio(self.tokens_before, self.tokens_after)

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    def stats(self) -> CompressStatsDict:
        """What the request saved, without its messages (for logs and metadata)."""
        return {
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_saved,
            "ratio": self.ratio,
            "compressors": {name: s.to_dict() for name, s in self.compressors.items()},
            "prefix_stability": self.prefix_stability,
            "aligned_fragments": self.aligned_fragments,
            "failed_open": self.failed_open,
        }

    def to_dict(self) -> CompressResultDict:
        return {"messages": self.messages, "refs": list(self.refs), "stats": self.stats()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompressResult:
        """The record `to_dict` wrote (derived fields are recomputed, not read)."""
        stats = data["stats"]
        return cls(
            messages=list(data["messages"]),
            refs=list(data["refs"]),
            tokens_before=stats["tokens_before"],
            tokens_after=stats["tokens_after"],
            compressors={
                name: CompressorStats(**s) for name, s in (stats.get("compressors") or {}).items()
            },
            failed_open=stats.get("failed_open", False),
            prefix_stability=stats.get("prefix_stability"),
            aligned_fragments=stats.get("aligned_fragments", 0),
        )
