"""Config and build files: YAML, TOML, INI and XML, compressed by their key structure.

The file is read as a tree of keyed line spans (`_config_tree`). Sibling blocks of one
shape (list items with the same keys, `[[package]]` tables, `<dependency>` elements, the
services of a compose file) are a repeated group: its first block stays whole, then, as
the budget and the markers' share allow, every other block's opening line and its
identifying line (the key whose values differ most between the blocks, not a hash or a
URL), then the second block whole. Always kept: the
first line of every key path, section headers and top-level keys, comments holding a
severity word (`warning`, `deprecated`, `TODO`), lines holding a quoted phrase or a rare
word of the question. The budget is then filled, structure first; lines of repeated blocks
whose values are hashes, checksums or URLs go first. Gap markers keep to their share of the
budget (past it the budget left widens the kept runs). Within budget nothing is dropped.

Every output line is an original line or a gap marker written as a comment of the format
(`# [headroom: 12 lines]`, `<!-- [headroom: 12 lines] -->`); an XML element or TOML array
whose opening line is kept keeps its closing line, so the file still parses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial

from headroom.ccr.markers import GAP_TOKENS, format_gap, format_marker, split_lines
from headroom.compressors._config_detect import config_format
from headroom.compressors._config_select import Choice
from headroom.compressors._config_tree import Node, Tree, parse_toml, parse_xml, parse_yaml
from headroom.compressors._xml_runs import collapse_runs
from headroom.compressors.base import CompressContext, Compressed, gap_runs
from headroom.engine.detect import ContentKind, Detection, Sample

__all__ = ["ConfigCompressor"]

_FORMATS = ("yaml", "toml", "ini", "xml")
_MIN_LINES = 8
_OVER_BUDGET = 1.1  # a selection this far past the budget is made again within less
_SMALL_GAP = 3  # lines: a longer gap is taken to save its marker again
_XML_COMMENT_TOKENS = 3  # `<!--`, ` -->` and the space: what an XML gap marker adds


class ConfigCompressor:
    """Config files: the key structure, repeated blocks collapsed by shape."""

    kind: ContentKind = "config"
    name = "config"
    max_confidence = 0.85  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """YAML by nested `key:` lines, TOML / INI by `[section]` headers and `key = value`
        lines, XML by its declaration or element lines (not HTML)."""
        found = config_format(sample.lines, sample.head)
        if found is None:
            return None
        return Detection("config", language=found[0], confidence=found[1])

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        tokens = ctx.counter.count(text)
        if tokens <= ctx.budget_tokens:
            return None  # within budget: nothing is worth losing
        lines = split_lines(text)
        fmt = ctx.language if ctx.language in _FORMATS else None  # as detected
        if fmt is None:
            found = config_format([line for line in lines[:400] if line.strip()], text[:32768])
            fmt = found[0] if found else "yaml"
        per_char = tokens / max(1, len(text))
        marker_tokens = GAP_TOKENS + (_XML_COMMENT_TOKENS if fmt == "xml" else 1)
        # Runs of sibling elements on one line (compact XML) collapse first: the tree's
        # repeated blocks, where the line is the only unit a selection could drop.
        shown = collapse_runs(lines, ctx, per_char, marker_tokens) if fmt == "xml" else lines
        if len(lines) < _MIN_LINES and shown is lines:
            return None
        tree = _parse(fmt, text, lines)
        lengths = list(map(len, shown))
        cost_of = {n: max(1, round(n * per_char)) + 1 for n in set(lengths)}  # by length, once
        costs = list(map(cost_of.__getitem__, lengths))
        choice = Choice(tree, lines, costs, ctx, xml=fmt == "xml")
        balance = partial(_balanced, tree, tree.joints(), len(lines), choice.plan.owner)
        count = ctx.counter.count
        kept = _kept(choice, shown, ctx.budget_tokens, balance, marker_tokens, count)
        spent = sum(costs[i] for i in kept) + marker_tokens * gap_runs(kept, len(lines))
        if spent > _OVER_BUDGET * ctx.budget_tokens:
            # What keeps the file parsing (the openings and closings of kept lines) took
            # the selection past the budget: chosen again within a budget cut by as much.
            smaller = ctx.budget_tokens * ctx.budget_tokens // spent
            kept = _kept(choice, shown, smaller, balance, marker_tokens, count)
        if len(kept) == len(lines) and shown is lines:
            return None
        return _render(shown, kept, tree, fmt, ctx.ref)


def _kept(
    choice: Choice,
    shown: Sequence[str],
    budget: int,
    balance: Callable[[Iterable[int]], list[int]],
    marker_tokens: int,
    count: Callable[[str], int],
) -> list[int]:
    """The lines kept within `budget`, with what keeps the file parsing (`balance`: see
    `_balanced`)."""
    closed = _close_small_gaps(shown, balance(choice.select(budget)), marker_tokens, count)
    return balance(closed)


def _parse(fmt: str, text: str, lines: Sequence[str]) -> Tree:
    if fmt == "xml":
        return parse_xml(text, lines)
    if fmt in ("toml", "ini"):
        return parse_toml(lines)
    return parse_yaml(lines)


def _balanced(
    tree: Tree, joints: list[Node], count: int, owner: list[int], kept: Iterable[int]
) -> list[int]:
    """`kept` (of `count` lines) with each kept opening whole and closed (an element's
    start tag lines and its closing tag, a TOML array's `]`), closers of dropped openings
    left out, and a comment over several lines kept at both ends when any of it is kept.
    `joints`: `tree.joints()`, `owner`: `tree.owners(count)`."""
    chosen = set(kept)
    chosen.update(tree.openings_above(chosen, owner))
    for node in joints:
        if node.start in chosen:
            head = range(node.start, min(node.start + node.head, count))
            chosen.update(i for i in head if i not in tree.in_values)
            if node.closer is not None:
                chosen.add(node.closer)
        elif node.closer is not None:
            chosen.discard(node.closer)
    for first, last in tree.spans:
        if any(i in chosen for i in range(first, last + 1)):
            chosen.update((first, last))
    return sorted(chosen)


def _close_small_gaps(
    lines: Sequence[str], kept: list[int], marker_tokens: int, count: Callable[[str], int]
) -> list[int]:
    """`kept` plus every gap of a few lines that costs at most twice the marker that would
    stand for it: cut, it would save less than its marker costs again (a schema's one-line
    comments went one by one, a marker each). Counted: indentation makes estimates from
    characters too high."""
    out: list[int] = []
    previous = -1
    for index in [*kept, len(lines)]:
        if 0 < index - previous - 1 <= _SMALL_GAP:
            gap = range(previous + 1, index)
            if count("\n".join(lines[i] for i in gap)) + len(gap) <= 2 * marker_tokens:
                out.extend(gap)
        if index < len(lines):
            out.append(index)
        previous = index
    return out


def _render(lines: Sequence[str], kept: list[int], tree: Tree, fmt: str, ref: str) -> Compressed:
    """Kept lines with each gap as a comment of the format; the closing line states the
    counts and the ref."""
    xml = fmt == "xml"
    inside = _inside_comments(tree, len(lines)) | tree.in_values if xml else set()

    markers: dict[int, str] = {}

    def gap(first: int, count: int) -> str:
        marker = markers.get(count) or markers.setdefault(count, format_gap(count, "lines"))
        line = lines[first]
        indent = line[: len(line) - len(line.lstrip())]
        if not xml or first in inside:
            return f"{indent}{marker}" if xml else f"{indent}# {marker}"
        return f"{indent}<!-- {marker} -->"

    out: list[str] = []
    previous = -1
    for index in [*kept, len(lines)]:
        if index - previous > 1:
            out.append(gap(previous + 1, index - previous - 1))
        if index < len(lines):
            out.append(lines[index])
        previous = index
    closing = format_marker(ref, len(kept), len(lines), "lines")
    out.append(f"<!-- {closing} -->" if xml else f"# {closing}")
    return Compressed(text="\n".join(out), ref=ref, kept=len(kept), total=len(lines), unit="lines")


def _inside_comments(tree: Tree, count: int) -> set[int]:
    """Lines strictly inside an XML comment over several lines (a gap there is plain)."""
    return {i for first, last in tree.spans for i in range(first + 1, last)}
