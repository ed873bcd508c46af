"""Cross-turn de-duplication: a run of lines of a tool output that an earlier tool output
of the same request still shows verbatim goes out as a pointer to it,
`[headroom: lines 75-100 as in message 3]` (the grammar is in `headroom.ccr.markers`); so
does a run that repeats, as it reads, lines the same output showed above it.

* Prefix-monotonic: an output's pointers depend only on the outputs before it as they are
  sent, so appending a turn never changes an earlier one and cached prefixes stay
  byte-stable. An output inside the cached prefix only repeats a recorded decision.
* Truthful: only lines an earlier output shows verbatim are pointed at, never lines it
  left out behind a marker. A compressed output keeps its ref (its pointed-at lines are
  retrievable with it); a payload sent whole so far states none: nothing of it is left
  out but what its pointers name, which the context shows.
* Cheap: a run becomes a pointer only when it costs at least `dedup_min_tokens` tokens.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, count
from operator import add

from headroom._version import __version__
from headroom.ccr.guard import GuardedStore
from headroom.ccr.markers import MARKER_RE, Pointer, format_pointer, neutralise_markers
from headroom.compressed import Compressed
from headroom.config import HeadroomConfig
from headroom.conversation.segments import Path, Segment
from headroom.engine.pointer_format import commented, fits_json, language_of, runs_in_format
from headroom.engine.repeats import (
    Run,
    RunWorth,
    ShownIndex,
    line_contents,
    own_runs,
    repeats_hold,
    shown_positions,
)
from headroom.errors import StoreError
from headroom.tokens import TokenCounter

__all__ = ["Deduplicator", "ToolOutput", "labels_of"]

logger = logging.getLogger("headroom")

_MEMORY_DECISIONS = 4096
# A repeat within one output points back inside that output: it must cost twice what a
# repeat of an earlier output must (marker text stays a small share of what is read).
_OWN_RUN_FACTOR = 2
_CHARS_PER_TOKEN = 3  # about what a token holds: repeated blocks shorter hold no pointer's worth
_NO_OWN_REPEATS = frozenset({"json", "jsonl", "csv", "diff", "binary"})


@dataclass(frozen=True)
class ToolOutput:
    """One tool output of the request as it goes out before de-duplication."""

    segment: Segment
    text: str
    """What goes out (compressed, or the payload itself)."""
    outcome: Compressed | None = None
    """The payload's compression, when it was tried."""
    eligible: bool = True
    """May get pointers: not a retrieval result, an excluded tool's, Headroom output or a
    part the caller marked with `cache_control`."""
    frozen: bool = False
    """Inside the cached prefix: only a recorded decision applies."""


@dataclass(frozen=True)
class _Payload:
    """An output's payload as lines, and what each line shows (see `_contents`)."""

    lines: list[str]
    contents: list[str | None]
    plain: bool
    """Its contents are its lines as they read, right-stripped (no framing taken off)."""


@dataclass(frozen=True)
class _Request:
    """What de-duplicating one output of a request reads: the contents the outputs before
    it show, how pointers name each output, the counter, and this output's number."""

    index: ShownIndex
    labels: list[tuple[int, int | None]]
    counter: TokenCounter
    number: int


def labels_of(paths: Sequence[Path]) -> list[tuple[int, int | None]]:
    """(message, part) of each tool output as pointers name them: counted from 1, the
    part only when its message holds several tool outputs."""
    per_message: dict[int, int] = {}
    for path in paths:
        per_message[int(path[0])] = per_message.get(int(path[0]), 0) + 1
    seen: dict[int, int] = {}
    labels: list[tuple[int, int | None]] = []
    for path in paths:
        message = int(path[0])
        seen[message] = seen.get(message, 0) + 1
        labels.append((message + 1, seen[message] if per_message[message] > 1 else None))
    return labels


class Deduplicator:
    """Replaces repeated runs of tool outputs with pointers, consistently turn to turn."""

    def __init__(self, config: HeadroomConfig, store: GuardedStore) -> None:
        self.config = config
        self._store = store
        self._memory: OrderedDict[str, Compressed] = OrderedDict()
        self._lock = threading.Lock()

    def apply(self, outputs: Sequence[ToolOutput], counter: TokenCounter) -> dict[Path, Compressed]:
        """The de-duplicated outputs (only those that changed), by path."""
        found: dict[Path, Compressed] = {}
        index = ShownIndex()
        labels = labels_of([output.segment.path for output in outputs])
        context = hashlib.sha256(self._fingerprint(counter))
        for number, (output, label) in enumerate(zip(outputs, labels, strict=True)):
            original = output.segment.text.split("\n")
            # Framing matters only between outputs (a grep of lines a cat showed): a lone
            # output's lines are taken as they read.
            framed = len(outputs) > 1
            payload = _Payload(original, _contents(original, framed=framed), plain=not framed)
            text = output.text
            if output.eligible:  # the first may still repeat itself
                key = _key(context, output.text)
                request = _Request(index, labels, counter, number)
                deduped = self._decide(key, output, payload, request)
                if deduped is not None:
                    found[output.segment.path] = deduped
                    text = deduped.text
            if number == len(outputs) - 1:
                break  # no later output reads the index
            positions = shown_positions(original, text.split("\n"), payload.contents)
            index.add(payload.contents, [p for p in positions if p is not None])
            context.update(f"{label}\0".encode())
            context.update(text.encode("utf-8", "surrogatepass") + b"\0")
        return found

    def _decide(
        self, key: str, output: ToolOutput, payload: _Payload, request: _Request
    ) -> Compressed | None:
        if output.frozen:
            return self._recall(key) if self.config.stable_history else None
        deduped = self._deduplicate(output, payload, request)
        if deduped is not None and self.config.stable_history:
            self._remember(key, deduped)
        return deduped

    def _deduplicate(
        self, output: ToolOutput, payload: _Payload, request: _Request
    ) -> Compressed | None:
        """Pointers in the output as compressed, or in the payload itself when that costs
        less (a lossless re-rendering shows repeats a pointer could stand for)."""
        original = output.segment.text
        counter = request.counter
        tried = [self._pointed(output, output.text, payload, request)]
        # The payload whole beside its compression is for repeats of earlier outputs only.
        if output.text != original and not request.index.empty:
            tried.append(self._pointed(output, original, payload, request))
        found = [(counter.count(t[0]), t) for t in tried if t is not None]
        before = counter.count(output.text)
        if not found:
            return None
        # Fewest tokens, then the text: never the ref, which may be None beside a str.
        after, (text, ref, kept) = min(found, key=lambda f: (f[0], f[1][0]))
        if after >= before:
            return None
        kind = output.outcome.kind if output.outcome else "text"
        return Compressed(
            text=text,
            ref=ref,
            kept=kept,
            total=len(payload.lines),
            unit="lines",
            kind=kind,
            language=output.outcome.language if output.outcome else None,
            compressor="dedup",
            tokens_before=before,
            tokens_after=after,
        )

    def _pointed(
        self, output: ToolOutput, shown: str, payload: _Payload, request: _Request
    ) -> tuple[str, str | None, int] | None:
        """`shown` (the output, or the payload whole) with its repeats as pointers, the ref
        it states (None: nothing of it is left out but what the pointers show in the
        context, so there is nothing to retrieve) and the lines it still shows; None if
        no repeat is worth a pointer."""
        original = output.segment.text
        lines = payload.lines if shown == original else shown.split("\n")
        minimum = self.config.dedup_min_tokens
        counter = request.counter
        # Runs repeating the output's own lines: only in what goes out as it is (the
        # payload re-rendered beside its compression is for repeats of earlier outputs),
        # and only when its repeated blocks hold what a pointer is worth (the quick no).
        own_repeats = (
            shown == output.text
            and _may_repeat_itself(output)
            and repeats_hold(lines, minimum * _OWN_RUN_FACTOR * _CHARS_PER_TOKEN)
        )
        if not own_repeats and request.index.empty:
            return None  # nothing earlier to point at, nothing of its own to look for
        contents = payload.contents
        positions = shown_positions(payload.lines, lines, contents)
        keys = [None if p is None else contents[p] for p in positions]

        ends = list(map(add, accumulate(map(len, lines), initial=0), count()))  # newlines too
        worth = RunWorth(lines, ends, minimum, counter.count)
        runs = request.index.runs(keys, worth)
        if own_repeats:
            # Within one output a repeat is its lines as they read, framing and all (two
            # grep hits of one text in two files are no repeat): their contents when plain.
            verbatim = (
                keys
                if payload.plain
                else [
                    None if k is None else line.rstrip()
                    for k, line in zip(keys, lines, strict=True)
                ]
            )
            worth_own = replace(worth, floor=minimum * _OWN_RUN_FACTOR)
            own = own_runs(verbatim, positions, worth_own, runs, request.number)
            runs = sorted([*runs, *own], key=lambda run: run.start)
        if not runs or not fits_json(shown, runs, keys):
            return None
        # Compressed output states its ref already (its marker-like input text is
        # neutralised). The payload whole states none: what a pointer stands for is in the
        # context, verbatim, and nothing else is left out; its marker-like text is
        # neutralised.
        stated = MARKER_RE.search(shown) if shown != original else None
        if shown == original:
            lines = [neutralise_markers(line) for line in lines]
            worth = replace(worth, lines=lines)  # the tokens of what goes out
        found = runs_in_format(
            language_of(output.outcome),
            shown,
            lines,
            runs,
            lambda chosen: self._rewritten(output, lines, keys, chosen, request.labels),
            worth,
        )
        if found is None:
            return None
        text, runs = found
        kept = sum(1 for k in keys if k is not None) - sum(run.length for run in runs)
        return text, stated["ref"] if stated else None, max(kept, 0)

    def _rewritten(
        self,
        output: ToolOutput,
        lines: list[str],
        keys: list[str | None],
        runs: list[Run],
        labels: list[tuple[int, int | None]],
    ) -> str:
        """`lines` with each run replaced by its pointer."""
        language = language_of(output.outcome)
        out: list[str] = []
        cursor = 0
        for run in runs:
            out.extend(lines[cursor : run.start])
            message, part = labels[run.source]
            pointer = Pointer(run.line + 1, run.line + run.length, message, part)
            marker = format_pointer(pointer)
            first = lines[run.start]  # indented as the line it starts with, unless framed
            indent = (
                first[: len(first) - len(first.lstrip())]
                if first.rstrip() == keys[run.start]
                else ""
            )
            out.append(indent + commented(marker, language))
            cursor = run.start + run.length
        out.extend(lines[cursor:])
        return "\n".join(out)

    def _fingerprint(self, counter: TokenCounter) -> bytes:
        settings = ["dedup", __version__, self.config.dedup_min_tokens, counter.encoding]
        return json.dumps(settings).encode()

    def _recall(self, key: str) -> Compressed | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        try:
            decision = self._store.get_decision(self.config.namespace, key)
        except StoreError:
            return None
        if decision is not None and decision.changed:
            self._memorise(key, decision)
            return decision
        return None

    def _remember(self, key: str, decision: Compressed) -> None:
        with self._lock:
            if self._memory.get(key) == decision:
                return  # recorded on an earlier turn
        self._memorise(key, decision)
        try:
            self._store.put_decision_later(self.config.namespace, key, decision)
        except StoreError:
            logger.warning("headroom: could not record a de-duplication", exc_info=True)

    def _memorise(self, key: str, decision: Compressed) -> None:
        with self._lock:
            self._memory[key] = decision
            self._memory.move_to_end(key)
            while len(self._memory) > _MEMORY_DECISIONS:
                self._memory.popitem(last=False)


def _contents(original: list[str], *, framed: bool = True) -> list[str | None]:
    """What each original line shows (with `framed`, its framing taken off, see
    `line_contents`; else the line as it reads); the empty line after a final newline
    shows nothing."""
    contents: list[str | None] = (
        line_contents(original) if framed else list(map(str.rstrip, original))
    )
    if len(original) > 1 and original[-1] == "":
        contents[-1] = None
    return contents


def _may_repeat_itself(output: ToolOutput) -> bool:
    """Whether the output is worth a look for runs repeating its own lines: not a table
    form (JSON, JSON Lines, CSV: rows a pointer would split) nor a diff (its lines are
    changes, each at its own place), nor binary data."""
    kind = output.outcome.kind if output.outcome is not None else None
    return kind not in _NO_OWN_REPEATS


def _key(context: hashlib._Hash, text: str) -> str:
    """The decision key of an output after everything before it (in `context`)."""
    digest = context.copy()
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]
