"""CCR: reversible compression. Originals are kept in a store and fetched back by ref."""

from __future__ import annotations

from headroom.ccr.markers import Marker, find_markers, format_marker, make_ref
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema
from headroom.ccr.sql_connect import check_store_url, redact_url
from headroom.ccr.sql_store import SqlStore, open_store
from headroom.ccr.store import CCRStore, StoreStats

__all__ = [
    "RETRIEVE_TOOL_NAME",
    "CCRStore",
    "Marker",
    "SqlStore",
    "StoreStats",
    "find_markers",
    "format_marker",
    "make_ref",
    "check_store_url",
    "open_store",
    "redact_url",
    "tool_schema",
]
