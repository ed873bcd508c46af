"""Which items of a long collection to keep: by information, not by position alone.

Shared by the compressors that drop whole items (JSON records, list elements, log lines):
items that carry errors, anomalies, outliers or the user's query are kept first, then the
first and last, then a spread-out, diverse sample ranked by relevance, within a budget.
"""

from __future__ import annotations

import math
import re
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Hashable, Sequence
from itertools import compress, repeat
from operator import itemgetter, sub
from typing import Any, AnyStr

__all__ = [
    "ERROR_RE",
    "anomalous_in_columns",
    "anomalous_rows",
    "choose",
    "holders",
    "holding",
    "lines_finding",
    "lowered",
    "mentions",
    "naming_rare_terms",
    "rare_terms",
    "relevance",
    "shape_keys",
    "signature",
    "signatures",
    "spread_order",
]

# The lookahead on the keywords' first letters lets the engine skip other positions fast.
ERROR_RE = re.compile(
    r"(?=[EeFfTtPpCcDdRrUuAa])\b(error|errors|exception|traceback|fatal|failed|failure|fail|panic|critical|denied|"
    r"timeout|timed out|refused|unhealthy|crash(ed)?|abort(ed)?)\b",
    re.I,
)
_MAX_FORCING_TERMS = 24
_TELLING_SHARE = 4  # a query term scores items when at most one in this many holds it
_RARE_TERM_TEXTS = 50  # a query term is rare when at most one text in this many holds it
_FEW_TEXTS = 3  # ... or at most this many
_MASK_RE = re.compile(r"(?=[0-9A-Fa-f])(?:\b[0-9a-fA-F]{8,}\b|\d+)")
_STATUS_COLUMN = re.compile(
    r"(^|\.)(status|state|level|severity|result|conclusion|outcome|health)$", re.I
)
_ERROR_COLUMN = re.compile(r"(^|\.)(error|errors|exception|failure|failed|fault)s?$", re.I)


def signature(text: str) -> str:
    """The item with numbers and hex ids masked: near-duplicates share it."""
    return _MASK_RE.sub("#", text)


def signatures(texts: Sequence[str]) -> list[str]:
    """`signature` of each text (in one pass over them all when they are single lines)."""
    joined = _joined_lines(texts)
    if joined is None:
        return [signature(text) for text in texts]
    return _MASK_RE.sub("#", joined).split("\n")


def shape_keys(texts: Sequence[str]) -> list[Hashable]:
    """Per text, a key two texts share exactly when their `signature`s are equal: the
    signature, or the text's index where none of the others can share it. Masking only
    turns hex digits into `#`, so texts of one signature are the same once their hex
    digits and `#`s are deleted; a text alone in that (ASCII texts: a quick byte pass) has
    a signature of its own, which is not computed."""
    joined = _joined_lines(texts)
    if joined is None or not joined.isascii():
        return list(signatures(texts))
    rests = joined.encode().translate(None, _MASKED_BYTES).split(b"\n")
    seen = Counter(rests)
    keys: list[Hashable] = list(range(len(texts)))
    sharing = [i for i, rest in enumerate(rests) if seen[rest] > 1]
    for index, shape in zip(sharing, signatures([texts[i] for i in sharing]), strict=True):
        keys[index] = shape
    return keys


_MASKED_BYTES = b"#0123456789ABCDEFabcdef"  # what masking turns into `#`, and `#`


def lowered(texts: Sequence[str]) -> list[str]:
    """Each text lower-cased (in one call when they are single lines: lower-casing never
    makes or takes a line break)."""
    joined = _joined_lines(texts)
    if joined is None:
        return [text.lower() for text in texts]
    return joined.lower().split("\n")


def holding(pattern: re.Pattern[str], texts: Sequence[str]) -> set[int]:
    """Indices of the texts `pattern` finds something in. For single-line texts, one scan
    over them all joined by line breaks; `pattern` must not match a line break (its `\\b`
    and anchors then read the break as a text's end)."""
    joined = _joined_lines(texts)
    if joined is None:
        return {i for i, text in enumerate(texts) if pattern.search(text)}
    starts = [0]
    for text in texts[:-1]:
        starts.append(starts[-1] + len(text) + 1)
    return {bisect_right(starts, match.start()) - 1 for match in pattern.finditer(joined)}


def _joined_lines(texts: Sequence[str]) -> str | None:
    """The texts joined by line breaks, or None if one holds a line break itself."""
    joined = "\n".join(texts)
    return joined if texts and joined.count("\n") == len(texts) - 1 else None


def mentions(text: str, terms: Sequence[str]) -> bool:
    lowered = text.lower()
    return any(term in lowered for term in terms)


def rare_terms(terms: Collection[str], texts: Sequence[str], limit: int) -> list[str]:
    """Query terms specific enough to force an item in: found in at most `limit` items.

    A long query (a pasted document) forces nothing: its words only raise scores."""
    if not terms or len(terms) > _MAX_FORCING_TERMS:
        return []
    lowered = [t.lower() for t in texts]
    joined = "\n".join(lowered)
    return sorted(t for t in terms if _in_at_most(t, lowered, joined, limit))


def naming_rare_terms(
    texts: Sequence[str], terms: Collection[str], one_in: int = _RARE_TERM_TEXTS
) -> set[int]:
    """Indices of `texts` naming a query term that few of them name (at most one in
    `one_in`, and at least 3): what the question asks about, wherever it stands."""
    if not terms:
        return set()
    low = lowered(texts)
    rare = rare_terms(terms, low, max(_FEW_TEXTS, len(texts) // one_in))
    if not rare:
        return set()
    return {i for i, text in enumerate(low) if any(t in text for t in rare)}


def _in_at_most(term: str, lowered: Sequence[str], joined: str, limit: int) -> bool:
    """Whether at most `limit` of the texts hold `term`: settled by one count over them all
    when it occurs that rarely at all, else by a scan that stops past `limit`."""
    if joined.count(term) <= limit:
        return True
    holding = 0
    for text in lowered:
        if term in text:
            holding += 1
            if holding > limit:
                return False
    return True


def relevance(texts: Sequence[str], terms: Sequence[str]) -> list[float]:
    """BM25-style score of each item for the query terms (presence weighted by rarity). A
    term more than a quarter of the items hold scores nothing: it tells none of them apart
    (`log` asked of `git log -p`, held by half its hunks, would otherwise put every hunk
    holding it, the largest included, before all the others)."""
    if not terms:
        return [0.0] * len(texts)
    held = holders(terms, lowered(texts))
    most = max(1, len(texts) // _TELLING_SHARE)
    weights = {}
    for term in terms:
        df = len(held[term])
        telling = 0 < df <= most
        weights[term] = math.log(1 + (len(texts) - df + 0.5) / (df + 0.5)) if telling else 0.0
    scores: list[float] = [0] * len(texts)  # the sum of no weight
    for index in set().union(*held.values()):
        scores[index] = sum(w for term, w in weights.items() if index in held[term])
    return scores


def holders(terms: Sequence[str], texts: Sequence[str]) -> dict[str, set[int]]:
    """For each term, the indices of the texts holding it: for single-line texts, found by
    searching them all joined (see `lines_finding`)."""
    joined = _joined_lines(texts)
    found: dict[str, set[int]] = {}
    for term in terms:
        if joined is None or "\n" in term:  # texts of several lines, or a term that may span
            found[term] = {i for i, text in enumerate(texts) if term in text}
        else:
            found[term] = set(lines_finding(joined, term, "\n"))
    return found


def lines_finding(text: AnyStr, needle: AnyStr, newline: AnyStr) -> list[int]:
    """The numbers of the lines of `text` (split at `newline`) that hold `needle`: each
    found once, the search going on at the next line."""
    found: list[int] = []
    find, count = text.find, text.count
    line = position = 0
    while (start := find(needle, position)) >= 0:
        line += count(newline, position, start)
        found.append(line)
        position = find(newline, start) + 1  # on at the next line
        if position == 0:
            break
        line += 1
    return found


def anomalous_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> set[int]:
    """Rows with an error field, a rare status value or a numeric outlier."""
    by_column = [list(map(itemgetter(index), rows)) for index in range(len(columns))]
    return anomalous_in_columns(columns, by_column)


def anomalous_in_columns(columns: Sequence[str], by_column: Sequence[Sequence[Any]]) -> set[int]:
    """`anomalous_rows` of the rows' values given column by column."""
    found: set[int] = set()
    for column, values in zip(columns, by_column, strict=True):
        if _ERROR_COLUMN.search(column):
            found.update(i for i, v in enumerate(values) if v not in (None, False, "", [], {}, 0))
        if _STATUS_COLUMN.search(column):
            found.update(
                i for i, v in enumerate(values) if isinstance(v, str) and ERROR_RE.search(v)
            )
        types = set(map(type, values))
        found.update(_rare_values(values, types))
        found.update(_outliers(values, types))
    return found


def _rare_values(values: Sequence[Any], types: set[type]) -> set[int]:
    """Rows of a value seen at most once in fifty in a column of a few category values
    (strings, booleans, nulls only), one of which holds 80% of the rows or more."""
    if len(values) < 20 or not all(t is _NONE_TYPE or issubclass(t, (str, bool)) for t in types):
        return set()
    counts = Counter(values)
    if len(counts) > 5:
        return set()  # free text or ids, not a category
    dominant = counts.most_common(1)[0][1]
    rare = {
        v
        for v, n in counts.items()
        if n <= max(1, len(values) // 50) and dominant >= len(values) * 0.8
    }
    return {i for i, v in enumerate(values) if v in rare}


def _outliers(values: Sequence[Any], types: set[type]) -> set[int]:
    """Rows of a number more than six median deviations from the column's median."""
    numeric = {t for t in types if issubclass(t, (int, float)) and not issubclass(t, bool)}
    if not numeric:
        return set()  # no number at all (a column of text: the quick no)
    if len(numeric) == len(types):
        indices: Sequence[int] = range(len(values))
        numbers = list(map(float, values))
    else:  # the numbers among blanks or words
        indices = list(compress(range(len(values)), map(numeric.__contains__, map(type, values))))
        numbers = list(map(float, map(values.__getitem__, indices)))
    if len(numbers) < 8:
        return set()
    median = statistics.median(numbers)
    deviations = list(map(abs, map(sub, numbers, repeat(median))))  # each |n - median|
    spread = statistics.median(deviations)
    if spread == 0:
        return set()
    limit = 6 * spread
    if max(deviations) <= limit:
        return set()  # none is past it (a NaN first makes `max` NaN: the scan below then)
    return {indices[k] for k, deviation in enumerate(deviations) if deviation > limit}


_NONE_TYPE = type(None)


def spread_order(count: int) -> list[int]:
    """Indices ordered so that any prefix is spread evenly over the range (van der Corput):
    the bit-reversal permutation of the next power of two, without the indices past `count`."""
    order = [0]
    while len(order) < count:
        order = [2 * i for i in order] + [2 * i + 1 for i in order]
    return [i for i in order if i < count] if count else []


def choose(
    texts: Sequence[str], costs: Sequence[int], budget: int, must: set[int], terms: Sequence[str]
) -> list[int]:
    """Indices to keep, in order: all of `must` plus first and last, then the most relevant
    and most diverse items that fit in `budget` tokens."""
    count = len(texts)
    kept = set(must) | ({0, count - 1} if count else set())
    spent = sum(costs[i] for i in kept)
    scores = relevance(texts, terms)
    shapes = signatures(texts)
    seen = Counter(shapes[i] for i in kept)
    spread_rank = {index: rank for rank, index in enumerate(spread_order(count))}
    candidates = sorted(
        (i for i in range(count) if i not in kept), key=lambda i: (-scores[i], spread_rank[i])
    )
    for diverse_only in (True, False):
        for index in candidates:
            if index in kept or (diverse_only and seen[shapes[index]]):
                continue
            if spent + costs[index] > budget:
                continue
            kept.add(index)
            spent += costs[index]
            seen[shapes[index]] += 1
    return sorted(kept)
