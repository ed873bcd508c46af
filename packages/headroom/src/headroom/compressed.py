"""`Compressed`: the one record of what happened to one payload.

A compressor returns it with what it kept; the router adds the kind, the compressor's name
and the token counts; the pipeline stores it as the payload's decision and in the activity
log, and hands it to the caller. Every field is set by keyword, so a new field can never
shift another's meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Compressed"]


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
