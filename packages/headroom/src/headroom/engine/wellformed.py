"""Whether a text is one well-formed document of a format: what a rewrite must keep."""

from __future__ import annotations

import json
from xml.parsers import expat

__all__ = ["parse_json_payload", "parses_as_json", "parses_as_xml"]


def parse_json_payload(text: str) -> object | None:
    """The parsed JSON value of `text`, or None when it is not a JSON document."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{" or stripped[-1] not in "]}":
        return None
    try:
        value: object = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return value


def parses_as_json(row: str) -> bool:
    """Whether `row` is one JSON value (too deep to parse counts as not)."""
    try:
        json.loads(row)
    except (ValueError, RecursionError):
        return False
    return True


def parses_as_xml(text: str) -> bool:
    """Whether `text` is one well-formed XML document (expat: C-fast, no network, no DTDs
    fetched; an entity-expansion bomb is refused by expat itself)."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(text.encode("utf-8", "surrogatepass"), True)
    except (expat.ExpatError, ValueError, RecursionError):
        return False
    return True
