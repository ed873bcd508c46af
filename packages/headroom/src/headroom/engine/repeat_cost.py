"""What repeated content costs in a conversation, raw and as sent: the figure behind
cross-turn de-duplication (`headroom.engine.dedup`), for benchmarks and tests.

A repeated span is a run of lines of a tool output (its content, framing off: see
`headroom.engine.repeats`) that an earlier tool output of the conversation already held as
consecutive lines, costing at least `min_tokens` tokens. Raw, it costs its lines' tokens.
As sent, it costs the tokens of those of its lines the output still shows verbatim plus
the pointers that stand for them. With `in_context`, only lines the earlier outputs still
show as sent count as held (what de-duplication may point at: a line an earlier output
left behind a marker is not in the context, and a re-read that shows it is not a repeat).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from headroom.ccr.markers import ANY_MARKER_RE, parse_pointer
from headroom.conversation.messages import Conversation
from headroom.engine.repeats import Run, ShownIndex, line_contents, shown_positions
from headroom.tokens import DEFAULT_MODEL, TokenCounter, counter_for

__all__ = ["RepeatCost", "repeat_cost"]


@dataclass(frozen=True)
class RepeatCost:
    """Tokens of the repeated spans of a conversation, raw and as sent."""

    spans: int
    raw_tokens: int
    sent_tokens: int
    pointers: int

    @property
    def share(self) -> float:
        """sent_tokens / raw_tokens (1.0 when nothing repeats)."""
        return self.sent_tokens / self.raw_tokens if self.raw_tokens else 1.0


def repeat_cost(
    original: Sequence[Any],
    sent: Sequence[Any],
    *,
    model: str = DEFAULT_MODEL,
    min_tokens: int = 40,
    in_context: bool = False,
) -> RepeatCost:
    """The repeated spans of `original`'s tool outputs and what they cost in `sent`, the
    same messages as compressed (`Headroom.compress(original).messages`)."""
    counter = counter_for(model)
    sent_texts = {s.path: s.text for s in _tool_outputs(sent)}
    index = ShownIndex()
    spans = raw = after = pointers = 0
    for segment in _tool_outputs(original):
        lines = segment.text.split("\n")
        contents = line_contents(lines)
        runs = index.runs(contents, partial(_worth, lines, counter, min_tokens))
        repeated = {i for run in runs for i in range(run.start, run.start + run.length)}
        spans += len(runs)
        raw += sum(counter.count(lines[i]) for i in repeated)  # line by line, as below
        shown = sent_texts.get(segment.path, segment.text).split("\n")
        positions = shown_positions(lines, shown, contents)
        for line, position in zip(shown, positions, strict=True):
            found = [m for m in ANY_MARKER_RE.finditer(line) if parse_pointer(m["detail"])]
            if found:
                pointers += len(found)
                after += counter.count(line)
            elif position is not None and position in repeated:
                after += counter.count(line)
        shown_lines = [p for p in positions if p is not None] if in_context else range(len(lines))
        index.add(contents, shown_lines)
    return RepeatCost(spans, raw, after, pointers)


def _tool_outputs(messages: Sequence[Any]) -> list[Any]:
    conversation = Conversation(messages)
    found = conversation.segments(include_user=False, include_assistant=False, include_cached=True)
    return [s for s in found if s.source == "tool_result"]


def _worth(lines: list[str], counter: TokenCounter, min_tokens: int, run: Run) -> bool:
    return _tokens(lines, run, counter) >= min_tokens


def _tokens(lines: list[str], run: Run, counter: TokenCounter) -> int:
    return counter.count("\n".join(lines[run.start : run.start + run.length]))
