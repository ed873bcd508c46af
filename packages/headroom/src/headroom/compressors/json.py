"""SmartCrusher: structure-aware JSON compression.

Lossless first: whitespace goes, arrays of records become compact tables (see
`_json_table`), embedded JSON strings are minified. Only if the result is still over the
token budget does it drop anything: long strings are cut, then the largest collections
(record tables, long lists, objects with many keys) keep the items that matter (errors,
anomalies, outliers, query matches, first and last, a diverse sample) and say in a marker,
itself a JSON string, how many were left out. The output always parses as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from headroom.ccr.markers import format_detail, format_note
from headroom.compressors._json_table import Table, compact, dumps, materialise
from headroom.compressors._json_texts import compress_texts
from headroom.compressors._ranking import (
    ERROR_RE,
    anomalous_rows,
    choose,
    holding,
    mentions,
    naming_rare_terms,
)
from headroom.compressors.base import CompressContext, Compressed, token_estimator
from headroom.engine.detect import (
    CERTAIN,
    ContentKind,
    Detection,
    Sample,
    json_document,
)
from headroom.engine.query import query_terms
from headroom.engine.wellformed import parse_json_payload

__all__ = ["JsonCompressor"]

_RARE_ITEMS = 20  # a question's word held by at most one item in this many (or 3) names them
_LONG_STRING = 1000
_STRING_HEAD = 240
_MIN_ITEMS = 8
_MIN_KEYS = 16
_MIN_ID_LIST_TOKENS = 200
_OVER_BUDGET = 1.1  # past this share of the budget, objects of many keys shrink too
_KEYED_PASSES = (_MIN_KEYS, _MIN_ITEMS)  # keys of the objects each such pass shrinks, at least
_OMITTED_KEY = "headroom_omitted"


@dataclass
class _Collection:
    """A long list, record table or wide object found in the document."""

    parent: Any
    key: Any
    value: Any  # Table | list | dict
    texts: list[str]
    costs: list[int]

    @property
    def cost(self) -> int:
        return sum(self.costs)


class JsonCompressor:
    """SmartCrusher: JSON and JSON Lines, lossless re-encoding first, then budgeted selection."""

    kind: ContentKind = "json"
    name = "smartcrusher"
    max_confidence = 1.0  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """A JSON document for certain; JSON Lines less so (a JSON Lines compressor wins)."""
        if not json_document(sample):
            return None
        value = parse_json_payload(sample.text)
        if value is None:
            return Detection("json", confidence=0.8)
        return Detection("json", confidence=CERTAIN, parsed=value)

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        try:
            value, lines = (ctx.parsed, 1) if ctx.parsed is not None else _parse(text)
            if value is None:
                return None
            return self._compress(value, lines, text, ctx)
        except RecursionError:
            return None  # deeper than Python can walk: passes through

    def _compress(
        self, value: Any, lines: int, text: str, ctx: CompressContext
    ) -> Compressed | None:
        root: list[Any] = [compact(value)]
        lossless = dumps(materialise(root[0]))
        unit_total = _item_count(root[0])
        lossless_cost = ctx.counter.count(lossless)
        if lossless_cost <= ctx.budget_tokens:
            if lossless_cost >= ctx.counter.count(text):
                return None  # re-encoding saves nothing (tiny or already compact): as it was
            return Compressed(
                text=lossless, ref=None, kept=unit_total, total=unit_total, unit="items"
            )
        # A document that is mostly texts (`{"output": "<a command's output>", ...}`): each
        # is compressed as what it is, within its share of the budget.
        value, texts = compress_texts(value, lossless_cost, ctx)
        if texts:
            root = [compact(value)]
            out = dumps(materialise(root[0]))
            if ctx.counter.count(out) <= ctx.budget_tokens * _OVER_BUDGET:
                return Compressed(
                    text=out, ref=ctx.ref, kept=unit_total, total=unit_total, unit="items"
                )
        terms = sorted(query_terms(ctx.query))
        note = _RefOnce(ctx.ref)
        _cut_long_strings(root, 0, note, terms, texts)
        kept, total = _shrink_collections(root, ctx, terms, note)
        out = dumps(materialise(root[0]))
        for min_keys in _KEYED_PASSES:
            if ctx.counter.count(out) <= ctx.budget_tokens * _OVER_BUDGET:
                break
            # Still over: the objects of many keys holding objects (an API spec's paths and
            # schemas) keep the keys that matter, as a long list keeps its items; the
            # outermost first, then, if still over, those of fewer keys.
            more, more_total = _shrink_collections(
                root, ctx, terms, note, keyed=True, min_keys=min_keys
            )
            kept, total = kept + more - more_total, total
            out = dumps(materialise(root[0]))
        return Compressed(text=out, ref=ctx.ref, kept=kept, total=total, unit="items")


class _RefOnce:
    """Markers of one payload: the first states the ref, the others are short gaps that
    use it (ccr/markers.py)."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.stated = False

    def __call__(self, detail: str) -> str:
        if self.stated:
            return format_detail(detail)
        self.stated = True
        return format_note(self.ref, detail)


def _parse(text: str) -> tuple[Any, int]:
    stripped = text.strip()
    try:
        return json.loads(stripped), 1
    except ValueError:
        pass
    rows = [line for line in stripped.splitlines() if line.strip()]
    if len(rows) < 2:
        return None, 0
    try:
        return [json.loads(row) for row in rows], len(rows)  # JSON Lines as an array
    except ValueError:
        return None, 0


def _item_count(value: Any) -> int:
    if isinstance(value, Table):
        return value.total
    if isinstance(value, (list, dict)):
        return len(value)
    return 1


def _cut_long_strings(
    container: Any,
    key: Any,
    note: Callable[[str], str],
    terms: list[str],
    texts: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """Cut the long strings under `container[key]` the question does not name (and not
    `texts`, compressed as what they are); whether any was cut (a table re-encodes only
    the rows that changed)."""
    value = container[key]
    if isinstance(value, str):
        if len(value) > _LONG_STRING and not mentions(value, terms) and value not in texts:
            # An error's last line (a traceback's exception) stays after the cut.
            tail = _error_tail(value)
            cut = len(value) - _STRING_HEAD - len(tail)
            end = f" ...{tail}" if tail else ""
            container[key] = value[:_STRING_HEAD] + "... " + note(f"{cut} chars cut") + end
            return True
        return False
    cut = False
    if isinstance(value, Table):
        for row_index, row in enumerate(value.rows):
            # Every cell is visited (no short cut): each may hold its own long string.
            if any([_cut_long_strings(row, i, note, terms, texts) for i in range(len(row))]):
                value.row_texts[row_index] = dumps(row)
                cut = True
    elif isinstance(value, list):
        for index in range(len(value)):
            cut = _cut_long_strings(value, index, note, terms, texts) or cut
    elif isinstance(value, dict):
        for child in list(value):
            cut = _cut_long_strings(value, child, note, terms, texts) or cut
    return cut


def _error_tail(value: str) -> str:
    """The last line of `value` when it reads as an error (a captured traceback's
    `ConnectError: ...`) and is short, with the line break before it; else ""."""
    start = value.rstrip().rfind("\n") + 1
    last = value[start:]
    if not start or len(last) > _STRING_HEAD or not ERROR_RE.search(last):
        return ""
    return value[start - 1 :]


def _collect(
    container: Any,
    key: Any,
    estimate: Callable[[str], int],
    found: list[_Collection],
    keyed: bool = False,
    min_keys: int = _MIN_KEYS,
) -> None:
    """The collections under `container[key]`: long lists, record tables and wide flat
    objects; with `keyed`, only the objects of many keys (whatever their values) not
    shrunk yet, the outermost of them."""
    if keyed:
        _collect_keyed(container, key, estimate, found, min_keys)
        return
    value = container[key]
    if isinstance(value, Table) and value.total >= _MIN_ITEMS:
        found.append(
            _Collection(
                container,
                key,
                value,
                value.row_texts,
                [estimate(t) + 1 for t in value.row_texts],
            )
        )
        return
    if isinstance(value, Table):  # a few rows: their cells may hold collections
        for row in value.rows:
            for index in range(len(row)):
                _collect(row, index, estimate, found)
        return
    if isinstance(value, list):
        if len(value) >= _MIN_ITEMS:
            texts = [dumps(materialise(item)) for item in value]
            found.append(
                _Collection(container, key, value, texts, [estimate(t) + 1 for t in texts])
            )
            return
        for index in range(len(value)):
            _collect(value, index, estimate, found)
    elif isinstance(value, dict):
        if len(value) >= _MIN_KEYS and not any(
            isinstance(v, (dict, list, Table)) for v in value.values()
        ):
            texts = [dumps({k: v}) for k, v in value.items()]
            found.append(
                _Collection(container, key, value, texts, [estimate(t) + 1 for t in texts])
            )
            return
        for child in value:
            _collect(value, child, estimate, found)


def _collect_keyed(
    container: Any,
    key: Any,
    estimate: Callable[[str], int],
    found: list[_Collection],
    min_keys: int,
) -> None:
    value = container[key]
    if isinstance(value, list):
        for index in range(len(value)):
            _collect_keyed(value, index, estimate, found, min_keys)
    elif isinstance(value, dict) and _OMITTED_KEY not in value:
        if len(value) >= min_keys:
            texts = [dumps({k: materialise(v)}) for k, v in value.items()]
            costs = [estimate(t) + 1 for t in texts]
            found.append(_Collection(container, key, value, texts, costs))
            return
        for child in value:
            _collect_keyed(value, child, estimate, found, min_keys)


def _shrink_collections(
    root: list[Any],
    ctx: CompressContext,
    terms: list[str],
    note: Callable[[str], str],
    *,
    keyed: bool = False,
    min_keys: int = _MIN_KEYS,
) -> tuple[int, int]:
    whole = dumps(materialise(root[0]))
    collections: list[_Collection] = []
    _collect(root, 0, token_estimator(whole, ctx.counter), collections, keyed, min_keys)
    if not collections:
        return 1, 1
    total_cost = ctx.counter.count(whole)
    collection_cost = sum(c.cost for c in collections)
    room = max(0, ctx.budget_tokens - (total_cost - collection_cost))
    kept_items = total_items = 0
    for collection in collections:
        share = room * collection.cost // max(1, collection_cost)
        kept = choose(
            collection.texts, collection.costs, share, _must_keep(collection, terms, share), terms
        )
        kept_items += len(kept)
        total_items += len(collection.texts)
        if len(kept) < len(collection.texts):
            marker = note(f"kept {len(kept)} of {len(collection.texts)} items")
            ids = _omitted_ids(collection, kept, ctx, share)
            collection.parent[collection.key] = _rebuild(collection.value, kept, marker, ids)
    return kept_items, total_items


def _must_keep(collection: _Collection, terms: list[str], share: int) -> set[int]:
    """Items the question names, anomalous rows, and items holding an error; of an
    object's entries, its scalar ones when they fit in a quarter of `share`, and (subtrees:
    an API's services all mention some `ValidationError`) only the error entries that fit
    in half of it, the cheapest first."""
    texts = collection.texts  # compact JSON: one line each
    # Only the question's words few items hold name items (`https` in every URL does not).
    keep = naming_rare_terms(texts, terms, one_in=_RARE_ITEMS)
    if isinstance(collection.value, Table):
        keep |= anomalous_rows(collection.value.columns, collection.value.rows)
    elif isinstance(collection.value, dict):
        values = list(collection.value.values())
        scalars = [i for i, v in enumerate(values) if not isinstance(v, (dict, list, Table))]
        if sum(collection.costs[i] for i in scalars) <= share // 4:
            keep.update(scalars)  # an API's name, version, base URL beside its big subtrees
        room = share // 2
        for index in sorted(holding(ERROR_RE, texts), key=lambda i: (collection.costs[i], i)):
            if collection.costs[index] > room:
                break
            room -= collection.costs[index]
            keep.add(index)
    else:
        keep |= holding(ERROR_RE, texts)
    return keep


def _omitted_ids(
    collection: _Collection, kept: list[int], ctx: CompressContext, share: int
) -> tuple[str, list[Any]] | None:
    """Names of the dropped records (their identity column), if they are cheap enough to list:
    the model then knows what exists without retrieving it."""
    table = collection.value
    kept_set = set(kept)
    if isinstance(table, dict):  # an object's keys are its items' names
        keys = [key for i, key in enumerate(table) if i not in kept_set]
        if keys and ctx.counter.count(dumps(keys)) <= max(_MIN_ID_LIST_TOKENS, share // 3):
            return ("keys", keys)
        return None
    if not isinstance(table, Table):
        return None
    column = table.identity_column()
    if column is None:
        return None
    ids = [table.rows[i][column] for i in range(table.total) if i not in kept_set]
    if not ids or ctx.counter.count(dumps(ids)) > max(_MIN_ID_LIST_TOKENS, share // 3):
        return None
    return (f"{table.columns[column]}s", ids)


def _rebuild(
    value: Any, kept: list[int], marker: str, ids: tuple[str, list[Any]] | None = None
) -> Any:
    if isinstance(value, Table):
        return value.to_json(kept, marker, ids)
    if isinstance(value, list):
        items: list[Any] = []
        previous = -1
        for index in kept:
            if index != previous + 1 and marker not in items:
                items.append(marker)
            items.append(value[index])
            previous = index
        if previous != len(value) - 1 and marker not in items:
            items.append(marker)
        return items
    pairs = list(value.items())
    out = {pairs[i][0]: pairs[i][1] for i in kept}
    out[_OMITTED_KEY] = marker
    if ids:
        out[f"{_OMITTED_KEY}_{ids[0]}"] = ids[1]
    return out
