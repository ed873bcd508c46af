"""`headroom_retrieve`: the tool a model calls to get an omitted original back."""

from __future__ import annotations

import re
from typing import Any, Literal

from headroom.ccr.markers import split_lines
from headroom.ccr.store import CCRStore

__all__ = [
    "RETRIEVE_TOOL_NAME",
    "filter_original",
    "lookup",
    "retrieval_notice",
    "tool_schema",
]

RETRIEVE_TOOL_NAME = "headroom_retrieve"
_DESCRIPTION = (
    "Fetch content that Headroom left out of a compressed tool result. Call it with the ref "
    "from a marker like [headroom: kept 12 of 300 items; headroom_retrieve ref=...]. "
    "Without a query the whole original comes back; with a query, only the lines or items "
    "that contain it."
)
_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ref": {"type": "string", "description": "The 16-character ref from the marker."},
        "query": {"type": "string", "description": "Optional text to search the original for."},
    },
    "required": ["ref"],
}
_MAX_MATCHES = 200
_REF = re.compile(r"[0-9a-f]{16}")
_WINDOW = 400


def tool_schema(provider: Literal["openai", "anthropic"] = "openai") -> dict[str, Any]:
    """The `headroom_retrieve` tool definition in the provider's format."""
    if provider == "anthropic":
        return {
            "name": RETRIEVE_TOOL_NAME,
            "description": _DESCRIPTION,
            "input_schema": _PARAMETERS,
        }
    return {
        "type": "function",
        "function": {
            "name": RETRIEVE_TOOL_NAME,
            "description": _DESCRIPTION,
            "parameters": _PARAMETERS,
        },
    }


def lookup(store: CCRStore, namespace: str, ref: str, query: str | None = None) -> str | None:
    """The original behind `ref` (or its lines matching `query`); None if unknown or malformed."""
    ref = ref.strip().lower()
    if not _REF.fullmatch(ref):
        return None
    original = store.get(namespace, ref)
    if original is None or not query or not query.strip():
        return original
    return filter_original(original, query.strip())


def retrieval_notice(ref: str) -> str:
    """What a retrieval that found nothing answers: a message, never an error."""
    ref = ref.strip().lower()
    if not _REF.fullmatch(ref):
        return f"headroom_retrieve: {ref!r} is not a ref; a ref is 16 hex characters taken from a marker."
    return f"headroom_retrieve: no original for ref {ref} (unknown, expired or from another namespace)."


def filter_original(original: str, query: str) -> str:
    """Lines of `original` containing `query` (case-insensitive), each with its line number.

    A query that matches no line whole falls back to lines matching any of its words. A very
    long line (minified JSON, for one) is cut to a window around each match.
    """
    lines = [line.rstrip("\r") for line in split_lines(original)]
    needle = query.lower()
    hits = [i for i, line in enumerate(lines) if needle in line.lower()]
    if not hits:
        words = [w for w in re.findall(r"\w{3,}", needle)]
        hits = [i for i, line in enumerate(lines) if any(w in line.lower() for w in words)]
    if not hits:
        return f"headroom_retrieve: nothing in the original matches {query!r} ({len(lines)} lines searched)."
    shown = [_excerpt(i, lines[i], needle) for i in hits[:_MAX_MATCHES]]
    header = f"{len(hits)} of {len(lines)} lines match {query!r}"
    if len(hits) > _MAX_MATCHES:
        header += f"; the first {_MAX_MATCHES} are shown"
    return header + ":\n" + "\n".join(shown)


def _excerpt(index: int, line: str, needle: str) -> str:
    if len(line) <= 2 * _WINDOW:
        return f"{index + 1}: {line}"
    lowered = line.lower()
    pieces: list[str] = []
    start = lowered.find(needle)
    while start != -1 and len(pieces) < 20:
        lo, hi = max(0, start - _WINDOW), min(len(line), start + len(needle) + _WINDOW)
        pieces.append(f"{index + 1}[{lo}:{hi}]: ...{line[lo:hi]}...")
        start = lowered.find(needle, hi)
    return "\n".join(pieces) or f"{index + 1}: {line[: 2 * _WINDOW]}..."
