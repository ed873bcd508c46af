"""What `make bench-session` measures on one replayed session, for any of the three
replays: tokens per request, the prefix each request shares with the ones before it
(what a provider's prompt cache reuses), the bill, the spans repeated from earlier
outputs, and the questions a deterministic extractive model asks of earlier outputs."""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.session_prices import PRICES, bill
from headroom.tokens import TokenCounter

__all__ = [
    "Question",
    "TurnFigures",
    "questions",
    "repeated_span_tokens",
    "turn_figures",
    "visible_text",
]

_NUMBERED = re.compile(r"^\s*\d+\t")  # cat -n
_GREP = re.compile(r"^[\w./+-]+:\d+[:-]")  # grep -rn / grep -n
_SHINGLE = 3  # a repeated span is at least this many consecutive lines


def normalise(line: str) -> str:
    """A line without the line-number prefix `cat -n` or `grep -n` gives it."""
    return _GREP.sub("", _NUMBERED.sub("", line), count=1).strip()


@dataclass(frozen=True)
class TurnFigures:
    """One request of a replay."""

    tokens: int
    common_prefix: int  # tokens shared with the previous request from its start
    cached_anthropic: int  # tokens of the longest earlier request this one starts with
    prefix_ratio: float | None  # common_prefix / previous request's tokens
    bills: dict[str, float]


def _serial(message: Any) -> str:
    return json.dumps(message, ensure_ascii=False, sort_keys=True)


def turn_figures(requests: Sequence[Sequence[Any]], counter: TokenCounter) -> list[TurnFigures]:
    """Figures of each request of one session, in order."""
    memo: dict[str, int] = {}

    def tokens_of(serial: str, message: Any) -> int:
        if serial not in memo:
            memo[serial] = 4 + _count(message, counter)
        return memo[serial]

    figures: list[TurnFigures] = []
    history: list[tuple[list[str], int]] = []
    for request in requests:
        serials = [_serial(m) for m in request]
        sizes = [tokens_of(s, m) for s, m in zip(serials, request, strict=True)]
        total = sum(sizes)
        common, ratio = 0, None
        if history:
            previous, previous_total = history[-1]
            common = _common_prefix(previous, serials, sizes, counter)
            ratio = common / previous_total if previous_total else 1.0
        cached = next((t for s, t in reversed(history) if serials[: len(s)] == s and len(s) > 0), 0)
        bills = {
            name: bill(price, total, cached if price.provider == "anthropic" else common)
            for name, price in PRICES.items()
        }
        figures.append(TurnFigures(total, common, cached, ratio, bills))
        history.append((serials, total))
    return figures


def _common_prefix(
    previous: list[str], current: list[str], sizes: list[int], counter: TokenCounter
) -> int:
    """Tokens of the longest common prefix: whole equal messages, then the common start
    of the first message that differs."""
    tokens = 0
    for index, (a, b) in enumerate(zip(previous, current, strict=False)):
        if a == b:
            tokens += sizes[index]
            continue
        shared = os.path.commonprefix([a, b])
        return tokens + (counter.count(shared) if shared else 0)
    return tokens


def _count(value: Any, counter: TokenCounter) -> int:
    if isinstance(value, str):
        return counter.count(value)
    if isinstance(value, dict):
        return sum(_count(v, counter) for v in value.values())
    if isinstance(value, list):
        return sum(_count(v, counter) for v in value)
    return 0


def visible_text(request: Sequence[Any]) -> str:
    """Every string of a request, one per line: what the model reads."""
    parts: list[str] = []
    stack: list[Any] = [list(request)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return "\n".join(parts)


@dataclass(frozen=True)
class Question:
    """At request `turn`, the model needs `detail`, a line of output `source`."""

    turn: int
    source: int
    detail: str


def questions(outputs: Sequence[str], seed: int) -> list[Question]:
    """One question per request from the third on: a rare line (its content seen in one
    output only so far, with a word of 4+ characters) of an output before the latest,
    the output chosen among those that hold such a line."""
    rng = random.Random(seed)
    asked: list[Question] = []
    seen: Counter[str] = Counter()
    lines_of: list[list[str]] = []
    for turn, output in enumerate(outputs):
        contents = sorted({normalise(line) for line in output.splitlines()})
        seen.update(contents)
        lines_of.append(contents)
        if turn < 2:
            continue
        rare = [
            [c for c in lines_of[source] if seen[c] == 1 and _askable(c)]
            for source in range(turn)  # earlier outputs, not the latest
        ]
        sources = [source for source in range(turn) if rare[source]]
        if sources:
            source = rng.choice(sources)
            asked.append(Question(turn, source, rng.choice(rare[source])))
    return asked


def _askable(content: str) -> bool:
    return 12 <= len(content) <= 160 and re.search(r"[A-Za-z]{4}", content) is not None


def repeated_span_tokens(
    raw_outputs: Sequence[str], sent_outputs: Sequence[str], count: Callable[[str], int]
) -> tuple[int, int]:
    """Tokens of lines that repeat a span (3+ consecutive lines, numbers aside) of an
    earlier output: as the raw session pays them, and as the replay still sends them."""
    earlier: set[tuple[str, ...]] = set()
    raw_total = sent_total = 0
    for raw, sent in zip(raw_outputs, sent_outputs, strict=True):
        lines = [normalise(line) for line in raw.splitlines()]
        kept = [line for line in lines if line]
        covered = [False] * len(kept)
        shingles = [tuple(kept[i : i + _SHINGLE]) for i in range(len(kept) - _SHINGLE + 1)]
        for i, shingle in enumerate(shingles):
            if shingle in earlier:
                for j in range(i, i + _SHINGLE):
                    covered[j] = True
        still = Counter(normalise(line) for line in sent.splitlines())
        for line, repeated in zip(kept, covered, strict=True):
            if not repeated:
                continue
            tokens = count(line)
            raw_total += tokens
            if still[line] > 0:
                still[line] -= 1
                sent_total += tokens
        earlier.update(shingles)
    return raw_total, sent_total
