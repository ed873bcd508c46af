"""What the run-output kinds (traces, test runs, diagnostics) share: line costs, message
templates, and a budget fill that takes groups of lines whole.

A compressor of these kinds decides which lines must stay (errors, failures, summaries,
the lines the question quotes), then offers the rest as groups in priority order; a group
is kept whole or not at all, so a failure never loses half its traceback to the budget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from headroom.compressors.base import MARKER_TOKENS, CompressContext
from headroom.query import lines_with

__all__ = ["Selection", "message_template"]

# Quoted spans (identifiers, types, values), words holding a path, and numbers: what
# differs between two occurrences of one message. Each pattern is tried only where it can
# start (a quote, a word start, a digit), so masking stays linear.
_QUOTED = re.compile(r"(?=['\"‘“`])(?:'[^'\n]*'|\"[^\"\n]*\"|‘[^’\n]*’|“[^”\n]*”|`[^`\n]*`)")
_PATH = re.compile(r"(?:(?<=\s)|^)[^\s/]*/\S*")
_NUMBER = re.compile(r"\d+")
_DECORATION = re.compile(r"[\^~\-]{2,}|\s+")


def message_template(text: str) -> str:
    """`text` digit- and identifier-blind: quoted spans, paths and numbers masked, caret and
    dash runs and spacing dropped. Two occurrences of one message share it."""
    masked = _NUMBER.sub("#", _PATH.sub("#", _QUOTED.sub("#", text)))
    return _DECORATION.sub(" ", masked).strip()


class Selection:
    """The lines of one payload, what is kept of them, and what that costs."""

    def __init__(self, text: str, lines: Sequence[str], ctx: CompressContext) -> None:
        self.whole = ctx.counter.count(text)  # the one tokenizer pass; pieces at its rate
        rate = self.whole / max(1, len(text))
        self.lines = lines
        self.costs = [max(1, round(len(line) * rate)) + 1 for line in lines]
        self.budget = ctx.budget_tokens
        self.kept: set[int] = set(lines_with(lines, ctx.focus, limit=len(lines) or 1))
        self.spent = sum(self.costs[i] for i in self.kept) + MARKER_TOKENS * self.gaps()

    def fits_whole(self) -> bool:
        """Every line fits within the budget: nothing needs to go."""
        return self.whole <= self.budget

    def gaps(self) -> int:
        """Runs of omitted lines under the current selection."""
        count, previous = 0, -1
        for index in sorted(self.kept):
            count += index > previous + 1
            previous = index
        return count + (previous < len(self.lines) - 1)

    def force(self, indices: Iterable[int]) -> None:
        """Keep `indices` whatever the budget."""
        self.kept.update(i for i in indices if 0 <= i < len(self.lines))
        self.spent = sum(self.costs[i] for i in self.kept) + MARKER_TOKENS * self.gaps()

    def offer(self, group: Sequence[int]) -> bool:
        """Keep all of `group` if it fits in what is left of the budget (paying for the gap
        markers it adds or saves); otherwise keep none of it."""
        new = sorted({i for i in group if i not in self.kept})
        if not new:
            return True
        cost = 0
        for index in new:
            cost += self.costs[index] + MARKER_TOKENS * self._runs_added(index)
            self.kept.add(index)
        if self.spent + cost <= self.budget:
            self.spent += cost
            return True
        self.kept.difference_update(new)
        return False

    def offer_each(self, groups: Iterable[Sequence[int]]) -> None:
        for group in groups:
            self.offer(group)

    def _runs_added(self, index: int) -> int:
        left = index > 0 and index - 1 not in self.kept
        right = index < len(self.lines) - 1 and index + 1 not in self.kept
        return int(left) + int(right) - 1
