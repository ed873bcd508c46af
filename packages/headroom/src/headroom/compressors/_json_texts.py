"""Texts inside a JSON document: a string value of many lines (a command's output in
`{"stdout": ...}` or `{"output": ...}`, a file's content, a README) is compressed as what it
is (a log, code, a test run, ...) by the router, within its share of the budget, and goes
back as the same string value, the text's own gap markers in it, so the document still
parses. Only where such texts are nearly all of the document (an envelope): elsewhere a
long string is one value among many and is cut as such (see `json._cut_long_strings`).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from headroom.compressors.base import CompressContext

__all__ = ["compress_texts"]

_MIN_TEXT_LINES = 12  # line breaks in a string that make it a text of its own
_MIN_TEXT_CHARS = 1000
# Of the document's tokens, the texts must hold at least this share: an envelope around a
# text (`{"output": ..., "metadata": {...}}`), not records whose long strings are values.
_TEXT_SHARE = 0.8
_MIN_TEXT_BUDGET = 200  # no text is given fewer tokens than this


def compress_texts(value: Any, document_tokens: int, ctx: CompressContext) -> tuple[Any, set[str]]:
    """`value` (a parsed JSON document of `document_tokens` tokens) with each of its texts
    compressed by the router within a share of `ctx`'s budget (the budget left by the rest
    of the document, shared in proportion to their tokens), and the texts as compressed (to
    be left whole by what follows); `value` itself and an empty set when it holds no texts
    that are nearly all of it, or there is no router to hand them to."""
    if ctx.route is None:
        return value, set()
    holder = [copy.deepcopy(value)]  # the detector's parse is not changed under it
    places = _texts(holder)
    costs = [ctx.counter.count(container[key]) for container, key in places]
    text_tokens = sum(costs)
    if not places or text_tokens < _TEXT_SHARE * document_tokens:
        return value, set()
    rest = max(0, document_tokens - text_tokens)
    share = max(0, ctx.budget_tokens - rest)
    compressed: set[str] = set()
    for (container, key), cost in zip(places, costs, strict=True):
        budget = max(_MIN_TEXT_BUDGET, share * cost // max(1, text_tokens))
        text_ctx = replace(ctx, budget_tokens=budget, language=None, parsed=None)
        result = ctx.route(container[key], text_ctx)
        if result.changed:
            container[key] = result.text
            compressed.add(result.text)
    return (holder[0], compressed) if compressed else (value, set())


def _texts(holder: list[Any]) -> list[tuple[Any, Any]]:
    """(container, key) of every string under `holder[0]` long enough, in lines and in
    characters, to be a text of its own; walked without recursion, in document order."""
    found: list[tuple[Any, Any]] = []
    stack: list[tuple[Any, Any]] = [(holder, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, str):
            if len(item) >= _MIN_TEXT_CHARS and item.count("\n") >= _MIN_TEXT_LINES:
                found.append((container, key))
        elif isinstance(item, dict):
            stack.extend((item, child) for child in reversed(list(item)))
        elif isinstance(item, list):
            stack.extend((item, index) for index in reversed(range(len(item))))
    return found
