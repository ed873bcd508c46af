"""The compressor contract, the registry, and the gap rendering that line-based kinds share."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from headroom.ccr.markers import GAP_TOKENS, format_gap, format_marker
from headroom.compressed import Compressed
from headroom.config import DEFAULT_KOMPRESS_TIME_BUDGET_MS
from headroom.engine.detect import ContentKind
from headroom.engine.query import Focus
from headroom.tokens import TokenCounter

__all__ = [
    "DEFAULT_COMPRESSORS",
    "MARKER_SHARE",
    "MARKER_TOKENS",
    "Registry",
    "CompressContext",
    "Compressed",
    "Compressor",
    "KompressSettings",
    "close_cheap_gaps",
    "default_registry",
    "fill_within_budget",
    "gap_runs",
    "kept_lines_result",
    "per_length",
    "pieces_estimator",
    "load_registry",
    "render_kept_lines",
    "runs_added",
    "token_estimator",
    "widen_runs",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "headroom.compressors"
# Built-ins load through the same path as third-party compressors.
DEFAULT_COMPRESSORS: tuple[str, ...] = (
    "headroom.compressors.text:TextCompressor",
    "headroom.compressors.json:JsonCompressor",
    "headroom.compressors.logs:LogCompressor",
    "headroom.compressors.search:SearchCompressor",
    "headroom.compressors.diff:DiffCompressor",
    "headroom.compressors.code:CodeCompressor",
    "headroom.compressors.html:HtmlCompressor",
    "headroom.compressors.listing:ListingCompressor",
    "headroom.compressors.csv:CsvCompressor",
    "headroom.compressors.jsonl:JsonLinesCompressor",
    "headroom.compressors.trace:TraceCompressor",
    "headroom.compressors.diagnostics:DiagnosticsCompressor",
    "headroom.compressors.testrun:TestRunCompressor",
    "headroom.compressors.lines:LineCompressor",
    "headroom.compressors.config:ConfigCompressor",
    "headroom.compressors.docs:DocsCompressor",
)


@dataclass(frozen=True)
class KompressSettings:
    """How prose is compressed: by the local token model at `model_path` within
    `time_budget_ms`, or (no model) by the model-free line scorer."""

    model_path: str | None = None
    time_budget_ms: int = DEFAULT_KOMPRESS_TIME_BUDGET_MS


@dataclass(frozen=True)
class CompressContext:
    """What a compressor may know about the payload it is given."""

    ref: str
    """CCR ref of the payload, for markers; the pipeline stores the original under it."""
    query: str
    """What led to the payload (the user request, the tool call's arguments): what must survive."""
    budget_tokens: int
    """Aim for at most this many tokens; lossless output may stay above it."""
    counter: TokenCounter
    language: str | None = None
    tool_name: str | None = None
    focus: Focus = Focus(frozenset(), ())
    """The query resolved against the payload: its words and the quoted phrases it holds."""
    kompress: KompressSettings = field(default_factory=lambda: KompressSettings())
    parsed: object = None
    """The payload's value as its detector parsed it (`Detection.parsed`: a JSON document,
    the syntax tree of a code sample), or None: a compressor uses it instead of parsing the
    payload again."""
    registry: Mapping[str, Compressor] = field(default_factory=dict)
    """The router's compressors by kind, for a compressor that hands a section of its
    payload (a fenced code block in prose) to the kind it holds."""
    route: Callable[[str, CompressContext], Compressed] | None = None
    """The router, for a compressor that hands a text its payload holds (a command's output
    in a JSON string) to whatever kind that text is: the text compressed within the given
    context's budget, or unchanged. None outside a router."""


@runtime_checkable
class Compressor(Protocol):
    """Turns one payload of its kind into fewer tokens; deterministic, never raises.

    A compressor may also bring a detector, `detect(sample) -> Detection | None` (see
    `headroom.engine.detect`): the router asks it about every payload."""

    kind: ContentKind
    name: str

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None: ...


_DEFAULT_REGISTRY: Registry | None = None


def default_registry() -> Registry:
    """The registry `load_registry()` gives, loaded once per process."""
    global _DEFAULT_REGISTRY
    if _DEFAULT_REGISTRY is None:
        _DEFAULT_REGISTRY = load_registry()
    return _DEFAULT_REGISTRY


class Registry(dict[str, Compressor]):
    """Compressors by kind, and every detector loaded, in the order they were loaded: a
    plugin that takes over a kind without a detector of its own still gets the payloads
    the built-in detector finds."""

    def __init__(self) -> None:
        super().__init__()
        self.detectors: list[object] = []


def load_registry(*, include_entry_points: bool = True) -> Registry:
    """Compressors by kind: the built-ins, then any installed through entry points."""
    registry = Registry()
    for spec in DEFAULT_COMPRESSORS:
        _register(registry, spec, _import_object(spec))
    if include_entry_points:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                _register(registry, ep.value, ep.load())
            except Exception:  # a broken plugin must not take the engine down
                logger.warning(
                    "headroom: could not load compressor plugin %s", ep.value, exc_info=True
                )
    return registry


def _import_object(spec: str) -> Callable[[], Compressor]:
    module_name, _, attribute = spec.partition(":")
    module = __import__(module_name, fromlist=[attribute])
    factory: Callable[[], Compressor] = getattr(module, attribute)
    return factory


def _register(registry: Registry, spec: str, factory: Callable[[], Compressor]) -> None:
    compressor = factory()
    if not isinstance(compressor, Compressor):
        raise TypeError(f"{spec} does not implement the Compressor protocol (kind, name, compress)")
    registry[compressor.kind] = compressor
    if callable(getattr(compressor, "detect", None)):
        registry.detectors.append(compressor)
    # A compressor may also serve kinds that have no compressor of their own (yet).
    for kind in getattr(compressor, "fallback_for", ()):
        registry.setdefault(kind, compressor)


MARKER_TOKENS = GAP_TOKENS
"""About what one gap marker costs (`[headroom: 24 lines]`); the payload's ref is stated
once, on its closing line."""


MARKER_SHARE = 0.03
"""Gap markers may take about this share of an output's tokens: past it, a lossy fill
prefers lines that extend a kept run over lines that open a new gap."""


def token_estimator(whole: str, counter: TokenCounter) -> Callable[[str], int]:
    """Tokens of a piece of `whole`, estimated at the payload's own exact rate (tokens per
    character) rather than counted piece by piece: selection then costs no second
    tokenizer pass, and the output is counted exactly once at the end."""
    return _at_rate(counter.count(whole) / max(1, len(whole)))


def per_length(estimate: Callable[[str], int]) -> Callable[[str], int]:
    """`estimate` (a rate per character, so a function of a piece's length) asked once per
    distinct length."""
    known: dict[int, int] = {}

    def cached(piece: str) -> int:
        size = len(piece)
        tokens = known.get(size)
        if tokens is None:
            tokens = known[size] = estimate(piece)
        return tokens

    return cached


def pieces_estimator(pieces: Sequence[str], counter: TokenCounter) -> Callable[[str], int]:
    """Like `token_estimator`, at the rate of `pieces` alone (one count of them joined by
    line breaks, the breaks left out): for pieces denser than their payload, such as the
    cells of one column of a padded listing."""
    breaks = max(0, len(pieces) - 1)
    joined = "\n".join(pieces)
    return _at_rate(max(0, counter.count(joined) - breaks) / max(1, len(joined) - breaks))


def _at_rate(per_char: float) -> Callable[[str], int]:
    """Tokens of a piece at `per_char` tokens a character (at least one)."""
    return lambda piece: max(1, round(len(piece) * per_char))


def runs_added(kept: set[int], index: int, count: int) -> int:
    """How many more omitted runs (so markers) there are once `index` is kept too: -1 when
    it closes a gap, +1 when it splits one, else 0."""
    left = index > 0 and index - 1 not in kept
    right = index < count - 1 and index + 1 not in kept
    return int(left) + int(right) - 1


def fill_within_budget(
    order: Iterable[int],
    kept: set[int],
    cost_of: Callable[[int], int],
    spent: int,
    budget: int,
    count: int,
) -> int:
    """Add the indices of `order` (of `count` lines) to `kept` while they fit in `budget`,
    each paying its cost and the gap marker it adds (or saves); returns the tokens spent.

    Gaps may take about `MARKER_SHARE` of the budget: past it, an index that would open a
    new gap waits, and the budget left then widens the kept runs (see `widen_runs`)."""
    order = list(order)
    runs = gap_runs(kept, count)
    max_runs = max(1, int(MARKER_SHARE * budget / MARKER_TOKENS))
    for index in order:
        if index in kept:
            continue
        added = runs_added(kept, index, count)
        if added > 0 and runs + added > max_runs:
            continue
        cost = cost_of(index) + MARKER_TOKENS * added
        if spent + cost <= budget:
            kept.add(index)
            spent += cost
            runs += added
    if runs > max_runs:  # what must be kept left more gaps than markers may take
        spent = _close_cheapest_gaps(order, kept, cost_of, spent, budget, count, runs - max_runs)
    return widen_runs(order, kept, cost_of, spent, budget, count)


def _close_cheapest_gaps(
    order: list[int],
    kept: set[int],
    cost_of: Callable[[int], int],
    spent: int,
    budget: int,
    count: int,
    most: int,
) -> int:
    """Show the lines of up to `most` gaps of `kept` (of `count` lines) whose lines are all
    in `order`, the cheapest first, while they fit in `budget` (each closed gap pays its
    lines and saves its marker); returns the tokens spent. A gap closed is a marker less:
    where the lines that must stay are spread out, the budget left closes gaps rather than
    widening every run."""
    offered = set(order)
    closable = [
        (sum(map(cost_of, gap)), gap.start, gap)
        for gap in _gaps(kept, count)
        if offered.issuperset(gap)
    ]
    closed = 0
    for cost, _, gap in sorted(closable):  # the cheapest first, then the earliest
        if closed == most or spent + cost - MARKER_TOKENS > budget:
            break
        kept.update(gap)
        spent += cost - MARKER_TOKENS
        closed += 1
    return spent


def widen_runs(
    order: list[int],
    kept: set[int],
    cost_of: Callable[[int], int],
    spent: int,
    budget: int,
    count: int,
    admit: Callable[[int], bool] | None = None,
) -> int:
    """Grow the kept runs into their neighbours while they fit in `budget` (and `admit`
    them, when given): no new gap is opened. Every run grows a line at a time in turn
    (nearest first, then best ranked in `order`), so the budget left is shared out over the
    payload rather than spent on the runs of its best ranked lines."""
    rank = {index: position for position, index in enumerate(order)}
    frontier: list[tuple[int, int, int]] = []

    def push_neighbours(index: int, distance: int) -> None:
        for neighbour in (index - 1, index + 1):
            if 0 <= neighbour < count and neighbour not in kept and neighbour in rank:
                heapq.heappush(frontier, (distance, rank[neighbour], neighbour))

    for index in kept:
        push_neighbours(index, 1)
    while frontier:
        distance, _, index = heapq.heappop(frontier)
        if index in kept:
            continue
        cost = cost_of(index) + MARKER_TOKENS * runs_added(kept, index, count)
        if spent + cost > budget or (admit is not None and not admit(index)):
            continue
        kept.add(index)
        spent += cost
        push_neighbours(index, distance + 1)
    return spent


def gap_runs(kept: Iterable[int], count: int) -> int:
    """Runs of indices of `range(count)` not in `kept`."""
    return len(_gaps(kept, count))


def _gaps(kept: Iterable[int], count: int) -> list[range]:
    """The runs of indices of `range(count)` not in `kept`, in order."""
    edges = [-1, *sorted(kept), count]
    return [range(a + 1, b) for a, b in zip(edges, edges[1:], strict=False) if b - a > 1]


def close_cheap_gaps(lines: Sequence[str], kept: Iterable[int], unit: str = "lines") -> list[int]:
    """`kept` (sorted) plus every gap whose lines are shorter than twice the marker that
    would stand for them: cut, such a gap would save less than its marker costs again."""
    chosen = sorted(set(kept))
    out: list[int] = []
    previous = -1
    for index in [*chosen, len(lines)]:
        gap = range(previous + 1, index)
        if gap and _cheaper_than_marker(lines, gap, unit):
            out.extend(gap)
        if index < len(lines):
            out.append(index)
        previous = index
    return out


def _cheaper_than_marker(lines: Sequence[str], gap: range, unit: str) -> bool:
    marker = 2 * len(format_gap(len(gap), unit))
    size = 0
    for index in gap:
        size += len(lines[index].strip()) + 1
        if size > marker:
            return False
    return True


def render_kept_lines(lines: Sequence[str], kept: Sequence[int], unit: str = "lines") -> str:
    """The kept lines in their order, each run of omitted lines replaced by one short gap
    marker (`[headroom: 24 lines]`); the payload states its ref once, elsewhere."""
    out: list[str] = []
    previous = -1
    for index in kept:
        gap = index - previous - 1
        if gap > 0:
            out.append(format_gap(gap, unit))
        out.append(lines[index])
        previous = index
    tail = len(lines) - previous - 1
    if tail > 0:
        out.append(format_gap(tail, unit))
    return "\n".join(out)


def kept_lines_result(
    lines: Sequence[str], kept: Iterable[int], ref: str, unit: str = "lines"
) -> Compressed | None:
    """The kept lines with short gap markers and one closing line that states the counts
    and the ref; None when every line is kept (nothing to compress)."""
    chosen = close_cheap_gaps(lines, kept, unit)
    if len(chosen) == len(lines):
        return None
    body = render_kept_lines(lines, chosen, unit)
    closing = format_marker(ref, len(chosen), len(lines), unit)
    return Compressed(
        text=f"{body}\n{closing}", ref=ref, kept=len(chosen), total=len(lines), unit=unit
    )
