"""What the run-output kinds (traces, test runs, diagnostics) share: line costs, message
templates, and a budget fill that takes groups of lines whole.

A compressor of these kinds decides which lines must stay (errors, failures, summaries,
the lines the question quotes), then offers the rest as groups in priority order; a group
is kept whole or not at all, so a failure never loses half its traceback to the budget.
Gap markers keep to their share of the budget (`MARKER_SHARE`): past it, only a must-keep
group (the first of each failure or distinct message) may open a new gap, and the budget
left over widens the kept runs into their neighbours instead.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence

from headroom.compressors.base import MARKER_SHARE, MARKER_TOKENS, CompressContext
from headroom.engine.query import lines_with

__all__ = ["Alternation", "Selection", "alternation", "first_class", "message_template"]

# Quoted spans (identifiers, types, values), words holding a path, and numbers: what
# differs between two occurrences of one message. Every branch of `_QUOTED` opens with its
# quote, a literal the regex engine skips to, so masking stays linear.
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|‘[^’\n]*’|“[^”\n]*”|`[^`\n]*`")
_NUMBER = re.compile(r"\d+")
_DECORATION = re.compile(r"[\^~\-]{2,}")
_QUOTES = frozenset("'\"‘“`")


def message_template(text: str) -> str:
    """`text` digit- and identifier-blind: quoted spans, paths (words holding a `/`) and
    numbers masked, caret and dash runs and spacing dropped. Two occurrences of one message
    share it."""
    masked = _QUOTED.sub("#", text) if not _QUOTES.isdisjoint(text) else text
    words = masked.split()
    if "/" in masked:
        words = ["#" if "/" in word else word for word in words]
    masked = _NUMBER.sub("#", " ".join(words))  # white space runs as one space, none at the ends
    if "^" in masked or "~" in masked or "--" in masked:  # a caret or dash run may be there
        masked = " ".join(_DECORATION.sub(" ", masked).split())
    return masked


Alternation = tuple[re.Pattern[str], dict[str, int]]


def alternation(classed: Sequence[tuple[int, re.Pattern[str]]]) -> Alternation:
    """Line classes' patterns as one alternation, tried in order in one pass over a line,
    and the class of each of its groups."""
    pattern = re.compile("|".join(f"(?P<c{n}>{p.pattern})" for n, (_, p) in enumerate(classed)))
    return pattern, {f"c{n}": kind for n, (kind, _) in enumerate(classed)}


def first_class(patterns: Alternation, line: str, start: int, otherwise: int) -> int:
    """The class of the first of `patterns` matching `line` at `start`, else `otherwise`."""
    pattern, group_class = patterns
    found = pattern.match(line, start)
    return otherwise if found is None else group_class[found.lastgroup or ""]


class Selection:
    """The lines of one payload, what is kept of them, and what that costs."""

    def __init__(self, text: str, lines: Sequence[str], ctx: CompressContext) -> None:
        self.whole = ctx.counter.count(text)  # the one tokenizer pass; pieces at its rate
        rate = self.whole / max(1, len(text))
        self.lines = lines
        self.last = len(lines) - 1
        self.costs = [(round(len(line) * rate) or 1) + 1 for line in lines]  # at least 1, + 1
        self.budget = ctx.budget_tokens
        self.kept: set[int] = set(lines_with(lines, ctx.focus, limit=len(lines) or 1))
        self.max_gaps = MARKER_SHARE * self.budget / MARKER_TOKENS  # gaps within the share
        self.runs = self.gaps()
        self.spent = sum(self.costs[i] for i in self.kept) + MARKER_TOKENS * self.runs

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
        self.runs = self.gaps()
        self.spent = sum(self.costs[i] for i in self.kept) + MARKER_TOKENS * self.runs

    def offer(self, group: Sequence[int], *, must: bool = False, bridge: int = 0) -> bool:
        """Keep all of `group` if it fits in what is left of the budget (paying for the gap
        markers it adds or saves) and, unless it is a `must` group, opens no gap past the
        markers' share; past the share, with the omitted lines before it when they cost at
        most `bridge` tokens; otherwise keep none of it."""
        kept = self.kept
        new = sorted({i for i in group if i not in kept})
        if not new:
            return True
        cost = added = 0
        for index in new:
            step = self._runs_added(index)
            added += step
            cost += self.costs[index] + MARKER_TOKENS * step
            kept.add(index)
        over_share = added > 0 and not must and self.runs + added > self.max_gaps
        if not over_share and self.spent + cost <= self.budget:
            self.spent += cost
            self.runs += added
            return True
        self.kept.difference_update(new)
        return over_share and bridge > 0 and self._bridge(new, bridge)

    def _bridge(self, new: list[int], limit: int) -> bool:
        """Keep `new` with the omitted lines between it and the kept line before it, when
        those cost at most `limit` tokens: a run extended, no new gap opened."""
        start, cost = new[0], 0
        while start > 0 and start - 1 not in self.kept:
            start -= 1
            cost += self.costs[start]
            if cost > limit:
                return False
        return start > 0 and self.offer(range(start, new[-1] + 1))

    def offer_each(
        self, groups: Iterable[Sequence[int]], *, must: bool = False, bridge: int = 0
    ) -> None:
        for group in groups:
            self.offer(group, must=must, bridge=bridge)

    def omitted_runs(self) -> list[range]:
        """The runs of omitted lines, in order."""
        out: list[range] = []
        previous = -1
        for index in [*sorted(self.kept), len(self.lines)]:
            if index > previous + 1:
                out.append(range(previous + 1, index))
            previous = index
        return out

    def widen(
        self,
        order: Sequence[int],
        *,
        evenly: bool = False,
        heads: Mapping[int, int] | None = None,
    ) -> None:
        """Grow the kept runs into their neighbours while they fit in the budget: the budget
        the markers' share left unspent, no new gap. Every run grows a line at a time in
        turn (nearest first, then best ranked in `order`), so the budget left is shared out
        over the payload rather than spent on its first runs. A line `heads` maps to a head
        line above it (a message's continuation) is taken only once that head is kept: a
        run growing backwards stops at a unit it would show without its head."""
        # Each line's first position in `order` (read backwards, the first one written last).
        rank = dict(zip(reversed(order), range(len(order) - 1, -1, -1), strict=True))
        frontier: list[tuple[int, int, int]] = []

        def push_neighbours(index: int, distance: int) -> None:
            for neighbour in (index - 1, index + 1):
                if neighbour in rank and neighbour not in self.kept:
                    heapq.heappush(frontier, (distance, rank[neighbour], neighbour))

        for index in self.kept:
            push_neighbours(index, 1)
        while frontier:
            distance, _, index = heapq.heappop(frontier)
            if index in self.kept or _headless(index, heads, self.kept):
                continue
            step = self._runs_added(index)
            cost = self.costs[index] + MARKER_TOKENS * step
            if self.spent + cost > self.budget:
                continue
            self.kept.add(index)
            self.spent += cost
            self.runs += step
            push_neighbours(index, distance + 1 if evenly else 1)

    def _runs_added(self, index: int) -> int:
        """Gaps that keeping `index` adds: 1 when it splits one, -1 when it closes one."""
        kept = self.kept
        left = index > 0 and index - 1 not in kept
        right = index < self.last and index + 1 not in kept
        return left + right - 1


def _headless(index: int, heads: Mapping[int, int] | None, kept: set[int]) -> bool:
    """`index` continues a head above it that is not kept."""
    if heads is None:
        return False
    head = heads.get(index, index)
    return head < index and head not in kept
