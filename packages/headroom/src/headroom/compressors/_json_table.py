"""Lossless re-encoding of JSON for SmartCrusher: arrays of records become compact tables.

A table is a JSON object, so the output still parses::

    {"records": 300, "columns": ["id", "user.login", ...], "same_in_all": {"state": "open"},
     "rows": [[1, "octocat", ...], ...]}

Nested objects are flattened into dotted columns, columns whose value is the same in every
record are hoisted into `same_in_all`, and a key a record lacks reads as null. An object
whose values are records of one shape is a table too, its keys in the `@key` column, when
that is the shorter form. Every value that is written stays whole (no shared prefix is
cut off a column's URLs or paths), so a value can be found verbatim.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["KEY_COLUMN", "MISSING", "Table", "compact", "dumps", "flatten_record"]

MIN_RECORDS = 3
KEY_COLUMN = "@key"
"""The column of a table made of an object's records that holds the object's keys."""
_MIN_KEYED_RECORDS = 8
_SURELY_SHORTER = 8  # records from which a table is taken without comparing the two forms
_IDENTITY_COLUMNS = (
    "name",
    "id",
    "key",
    "login",
    "slug",
    "title",
    "node_id",
    "path",
    "sha",
    "uuid",
)
_MAX_FLATTEN_DEPTH = 3
_LETTER = re.compile(r"[A-Za-z]")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# One encoder for every call: json.dumps with options builds a new one each time, which
# costs more than encoding a small record.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def dumps(value: Any) -> str:
    """Compact, deterministic JSON (no whitespace, key order kept, UTF-8 as is)."""
    return _ENCODER.encode(value)


class Table:
    """Records of one array, as columns and rows."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        flat = [flatten_record(r) for r in records]
        columns: list[str] = []
        seen: set[str] = set()
        for record in flat:
            for key in record:
                if key not in seen:
                    seen.add(key)
                    columns.append(key)
        self.total = len(records)
        self.constant: dict[str, Any] = {}
        self.columns: list[str] = []
        for column in columns:
            values = [record.get(column, MISSING) for record in flat]
            first = values[0]
            kind = type(first)  # a missing value (MISSING) is of another type
            if first is not MISSING and all(type(v) is kind and v == first for v in values[1:]):
                self.constant[column] = materialise(first)
            else:
                self.columns.append(column)
        # A missing key reads as null; only lists and objects need materialising.
        self.rows: list[list[Any]] = [
            [v if type(v) in _SCALARS else materialise(v) for v in map(record.get, self.columns)]
            for record in flat
        ]
        self.row_texts = [dumps(row) for row in self.rows]

    def identity_column(self) -> int | None:
        """The column that names a record: the first of name, id, key, ... whose values are
        unique, else the shortest column of unique strings (a package URL, a ref)."""
        for wanted in _IDENTITY_COLUMNS:
            if wanted in self.columns:
                index = self.columns.index(wanted)
                values = [row[index] for row in self.rows]
                if all(
                    isinstance(v, (str, int)) and not isinstance(v, bool) for v in values
                ) and len(set(values)) == len(values):
                    return index
        unique_strings = [
            index
            for index in range(len(self.columns))
            if all(isinstance(row[index], str) and _LETTER.search(row[index]) for row in self.rows)
            and len({row[index] for row in self.rows}) == len(self.rows)
        ]
        if not unique_strings:
            return None
        return min(unique_strings, key=lambda i: (sum(len(row[i]) for row in self.rows), i))

    def to_json(
        self,
        kept: list[int] | None = None,
        omitted_marker: str | None = None,
        omitted_ids: tuple[str, list[Any]] | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"records": self.total}
        out["columns"] = self.columns if kept is None else ["#", *self.columns]
        if self.constant:
            out["same_in_all"] = self.constant
        if kept is None:
            out["rows"] = self.rows
            return out
        out["rows"] = [[index, *self.rows[index]] for index in kept]
        if omitted_marker:
            out["omitted"] = omitted_marker
        if omitted_ids:
            out[f"omitted_{omitted_ids[0]}"] = omitted_ids[1]
        return out


def flatten_record(record: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested objects as dotted keys (`user.login`); lists, deep values and objects whose
    own keys hold a dot (a ConfigMap's `pyproject.toml`: `data.pyproject.toml` would read
    as two levels) stay JSON."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if (
            isinstance(value, dict)
            and value
            and depth < _MAX_FLATTEN_DEPTH
            and not any("." in inner for inner in value)
        ):
            flat.update(flatten_record(value, f"{name}.", depth + 1))
        else:
            flat[name] = value
    return flat


def _is_keyed_records(value: dict[str, Any]) -> bool:
    """An object of `_MIN_KEYED_RECORDS` or more records of one shape (none holding a
    `KEY_COLUMN` field of its own)."""
    if len(value) < _MIN_KEYED_RECORDS:
        return False
    records = list(value.values())
    if not _is_record_array(records):
        return False
    return not any(KEY_COLUMN in item for item in records)


def _is_record_array(value: list[Any]) -> bool:
    if len(value) < MIN_RECORDS or not all(isinstance(item, dict) and item for item in value):
        return False
    if any("." in key for item in value for key in item):
        return False  # dotted columns would be ambiguous
    keys = [frozenset(item) for item in value]
    union = frozenset().union(*keys)
    average = sum(len(k) for k in keys) / len(keys)
    return len(union) <= 2 * average


def compact(value: Any) -> Any:
    """Lossless compaction: record arrays become tables (a few records only when that is
    shorter), and so do objects whose values are records of one shape (a lockfile's
    packages, an API's schemas: their keys become the `KEY_COLUMN` column); embedded JSON
    strings are minified."""
    if isinstance(value, list):
        if _is_record_array(value):
            records = [
                {k: v if _final(v) else compact(v) for k, v in item.items()} for item in value
            ]
            table = Table(records)
            if len(value) >= _SURELY_SHORTER or len(dumps(table.to_json())) < len(
                dumps(materialise(records))
            ):
                return table
            return records  # a few records of few keys: the table form is the longer
        return [compact(item) for item in value]
    if isinstance(value, dict):
        plain = {key: compact(item) for key, item in value.items()}
        if _is_keyed_records(value):
            table = Table([{KEY_COLUMN: key, **item} for key, item in plain.items()])
            if len(dumps(table.to_json())) < len(dumps(materialise(plain))):
                return table  # only when shorter: sparse records would pad rows with nulls
        return plain
    if (
        isinstance(value, str)
        and len(value) > _MAX_PLAIN_STRING
        and value[:1] in "[{"
        and value[-1:] in "]}"
    ):
        try:
            return dumps(json.loads(value))
        except (ValueError, RecursionError):
            return value
    return value


def _final(value: Any) -> bool:
    """Whether `compact` leaves `value` as it is, told by its type and length alone (a
    number, a short string: most values of a record)."""
    kind = type(value)
    return kind in _ATOMS or (kind is str and len(value) <= _MAX_PLAIN_STRING)


_ATOMS = frozenset({int, float, bool, type(None)})
_SCALARS = _ATOMS | {str}  # the values a row takes as they are
_MAX_PLAIN_STRING = 64  # a longer string may be embedded JSON, minified by `compact`


def materialise(value: Any) -> Any:
    """Replace Table objects by their JSON form (for output)."""
    if isinstance(value, Table):
        return value.to_json()
    if isinstance(value, list):
        return [materialise(item) for item in value]
    if isinstance(value, dict):
        return {key: materialise(item) for key, item in value.items()}
    return value
