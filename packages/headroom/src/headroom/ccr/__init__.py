"""CCR: reversible compression. Originals are kept in a store and fetched back by ref."""

from __future__ import annotations

from headroom.ccr.markers import Marker, find_markers, format_marker, make_ref
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, retrieve_text, tool_schema
from headroom.ccr.store import CCRStore, SqlStore, StoreStats, open_store

__all__ = [
    "RETRIEVE_TOOL_NAME",
    "CCRStore",
    "Marker",
    "SqlStore",
    "StoreStats",
    "find_markers",
    "format_marker",
    "make_ref",
    "open_store",
    "retrieve_text",
    "tool_schema",
]
