"""The engine runs on Python 3.10, the oldest version it supports (`requires-python`):
no regular expression it compiles may use what only 3.11 reads (possessive quantifiers
`*+`, `++`, `?+`, `{m,n}+` and atomic groups `(?>...)`), or importing it fails there."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import headroom

try:  # Python 3.11+
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse  # type: ignore[no-redef]

_ONLY_311 = {"POSSESSIVE_REPEAT", "ATOMIC_GROUP"}


def _engine_patterns() -> Iterator[tuple[str, re.Pattern[str]]]:
    """Every pattern the engine's modules hold at their top level (and in their tuples,
    lists and dicts), named by module and attribute."""
    for info in pkgutil.walk_packages(headroom.__path__, "headroom."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an extra not installed (the model path, the SDKs)
            continue
        for name, value in vars(module).items():
            for found in _patterns_in(value):
                yield f"{info.name}.{name}", found


def _patterns_in(value: Any) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            if isinstance(item, re.Pattern):
                yield item
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, re.Pattern):
                yield item


def _opcodes(parsed: Any) -> Iterator[str]:
    for op, argument in parsed:
        yield str(op)
        for part in argument if isinstance(argument, (tuple, list)) else ():
            if isinstance(part, sre_parse.SubPattern):
                yield from _opcodes(part)
            elif isinstance(part, (tuple, list)):
                for inner in part:
                    if isinstance(inner, sre_parse.SubPattern):
                        yield from _opcodes(inner)


def test_no_engine_pattern_needs_python_311() -> None:
    seen = 0
    offending = []
    for name, pattern in _engine_patterns():
        if not isinstance(pattern.pattern, str):
            continue
        seen += 1
        if _ONLY_311 & set(_opcodes(sre_parse.parse(pattern.pattern, pattern.flags))):
            offending.append(name)
    assert seen > 100  # the engine's patterns were found
    assert offending == []


def test_the_check_finds_a_possessive_quantifier_and_an_atomic_group() -> None:
    for pattern in (r"[a-z]*+\d", r"(?>ab|a)c", r"x(?:\w++\.)?y"):
        assert _ONLY_311 & set(_opcodes(sre_parse.parse(pattern)))
    assert not _ONLY_311 & set(_opcodes(sre_parse.parse(r"[a-z]*\d(?:\w+\.)?")))
