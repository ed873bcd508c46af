"""Which lines of a config file the budget keeps: each node's repeated group and key path
(`_Plan`), the lines kept whatever the budget (the key structure down to the depth that
fits, severity comments, the question's lines), and the order the budget fill offers the
rest in (structure, identifying lines of repeated blocks, the lines whose value tells
the blocks apart, the second block, the rest, hashes and URLs, blank lines).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from headroom.ccr.markers import GAP_TOKENS
from headroom.compressors._config_tree import ROOT, Tree
from headroom.compressors._ranking import holding, rare_terms, spread_order
from headroom.compressors.base import CompressContext, fill_within_budget, gap_runs, runs_added
from headroom.engine.detect import FILE_HEADER
from headroom.engine.query import lines_with, query_terms

__all__ = ["Choice"]

_SEVERITY = re.compile(
    r"\b(warn(ing)?s?|deprecated?|todo|fixme|xxx|hack|caution|danger|important|error|"
    r"security|insecure|unsafe|breaking|do not|don't|must not|never)\b",
    re.I,
)
_OPAQUE = re.compile(
    r"(?=[0-9A-Za-z+/])"  # a cheap first look before the alternatives (one pass over MBs)
    r"(?:\b[0-9a-fA-F]{16,}\b|\b(sha\d+|md5|blake\d*)[-:=]|https?://|git\+|registry\+|"
    r"[A-Za-z0-9+/]{40,}={0,2})"
)
_PATH_COMMENT = re.compile(r"[#;]+ ?/[^\s]+")  # a comment naming a file, and nothing else
_MIN_GROUP = 3  # sibling blocks of one shape that make a repeated group
_ID_DEPTH = 2  # levels below a block searched for its identifying line
_ID_CANDIDATES = 40  # nodes of a block searched for it
_PATH_SHARE = 0.5  # of the budget, at most, for the key paths kept whatever it is

_VARIED_SHARE = 0.1  # of a path's values in repeated blocks, at most, for one to be varied
_EXCEPTIONS = 0.2  # values of a path other than its most common: at most this share are outliers

# Tiers of the budget fill, most wanted first.
_STRUCTURE, _IDS, _VARIED, _SECOND, _REST, _OPAQUE_TIER, _BLANK = range(7)


class _Plan:
    """Each node's repeated group and rank in it, its key path, and each line's owner."""

    def __init__(self, tree: Tree, count: int, xml: bool) -> None:
        nodes = tree.nodes
        self.group: list[int] = [-1] * len(nodes)
        self.rank: list[int] = [0] * len(nodes)
        self.groups: list[list[int]] = []
        siblings: dict[int, list[int]] = defaultdict(list)
        for index, node in enumerate(nodes):
            siblings[node.parent].append(index)
        self.common: set[int] = set()  # nodes whose key many siblings share
        for members in siblings.values():
            if len(members) < _MIN_GROUP:
                continue  # too few to make a group or to share a key
            self._group_siblings(tree, members, xml)
            keys = Counter(nodes[index].key for index in members)
            self.common.update(i for i in members if keys[nodes[i].key] >= _MIN_GROUP)
        path: list[str] = []
        block: list[int] = []  # the nearest enclosing block of rank >= 1, or -1
        level: list[int] = []
        group, rank = self.group, self.rank
        for index, node in enumerate(nodes):
            up = node.parent
            label = node.key if group[index] < 0 or xml else "*"
            if up == ROOT:
                path.append("/" + label)
                level.append(0)
                block.append(index if rank[index] >= 1 else -1)
            else:
                path.append(path[up] + "/" + label)
                level.append(level[up] + 1)
                block.append(index if rank[index] >= 1 else block[up])
        self.path, self.block, self.level = path, block, level
        self.owner = [-1] * count
        for index, node in enumerate(nodes):  # children come later and overwrite
            self.owner[node.start : node.end] = [index] * (min(node.end, count) - node.start)

    def _group_siblings(self, tree: Tree, members: list[int], xml: bool) -> None:
        shapes: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for index in members:
            node = tree.nodes[index]
            if not node.children:
                continue
            keys = sorted({tree.nodes[child].key for child in node.children})
            # `[[package]]` tables share their name; `[pkg.a]`, `[pkg.b]` tables (and INI
            # sections) of one parent differ by name only: their keys make the shape.
            named = xml or node.key == "-" or node.key.startswith("[[")
            shape = (node.key if named else "*", *keys)
            shapes[shape].append(index)
        for group in shapes.values():
            if len(group) < _MIN_GROUP:
                continue
            for rank, index in enumerate(group):
                self.group[index] = len(self.groups)
                self.rank[index] = rank
            self.groups.append(group)


class Choice:
    """What choosing the kept lines of one file takes whatever the budget: its plan and
    the order the budget fill offers its lines in (made once, chosen from again when a
    selection must be made within less)."""

    def __init__(
        self, tree: Tree, lines: Sequence[str], costs: list[int], ctx: CompressContext, *, xml: bool
    ):
        self.tree, self.lines, self.costs = tree, lines, costs
        plan = self.plan = _Plan(tree, len(lines), xml)
        self.fixed = _fixed(tree, lines, ctx)
        self.outline = _outline(tree, plan)
        opaque = _lines_holding_opaque(lines)
        ids_of = _id_lines(tree, plan, lines, opaque)
        ids = {number for found in ids_of.values() for number in found}
        varied, self.outliers = _varied_lines(tree, plan)
        self.ids_of = ids_of
        spread = {
            block: rank
            for group in plan.groups
            for rank, block in zip(spread_order(len(group)), sorted(group), strict=False)
        }
        tiers: list[tuple[int, int, int, int]] = []
        append, owners, blocks, levels, ranks = (
            tiers.append,
            plan.owner,
            plan.block,
            plan.level,
            plan.rank,
        )
        for number, line in enumerate(lines):
            if not line.strip():  # last, yet there: a widening kept run passes through it
                append((_BLANK, 0, 0, number))
                continue
            owner = owners[number]
            block = blocks[owner] if owner >= 0 else -1
            if block < 0:
                append((_STRUCTURE, levels[owner] if owner >= 0 else 0, 0, number))
            elif number in ids:
                append((_IDS, levels[block], spread.get(block, 0), number))
            elif number in opaque:
                append((_OPAQUE_TIER, spread.get(block, 0), 0, number))
            elif number in varied:
                append((_VARIED, spread.get(block, 0), levels[owner], number))
            elif ranks[block] == 1:
                append((_SECOND, levels[owner], 0, number))
            else:
                append((_REST, spread.get(block, 0), levels[owner], number))
        tiers.sort()
        self.order = [t[3] for t in tiers]

    def select(self, budget: int) -> set[int]:
        """The lines kept whatever the budget: `fixed`, and the first line of every key
        path and top-level key down to the depth whose lines fit in `_PATH_SHARE` of it (an
        API schema's thousands of distinct property paths would take it all: deeper ones
        are kept as it allows, shallow first); then as many more as it allows."""
        lines, costs, tree, plan = self.lines, self.costs, self.tree, self.plan
        depth = _outline_depth(tree, plan, self.outline, costs, budget)
        must = self.fixed | {tree.nodes[i].start for i in self.outline if plan.level[i] <= depth}
        kept = set(must)
        spent = self._spent(kept)
        # A value where the other blocks agree on another (`memory: 6Gi` among `512Mi`s)
        # may open a gap past the markers' share, as an error does elsewhere.
        for number in self.outliers:
            added = runs_added(kept, number, len(lines))
            if number not in kept and spent + costs[number] + GAP_TOKENS * added <= budget:
                kept.add(number)
                spent += costs[number] + GAP_TOKENS * added
        # Gaps keep to the markers' share of the budget, taken in tier order (structure,
        # then repeated blocks' identifying lines, ...); past it, the budget left widens
        # the kept runs in that order (see `fill_within_budget`).
        order = [number for number in self.order if number not in must]
        chosen = set(kept)
        fill_within_budget(order, chosen, costs.__getitem__, spent, budget, len(lines))
        # A line kept inside repeated blocks keeps what each of them is (a keyboard
        # variant shown, its layout's `<name>`), as a line keeps the line it is under;
        # past the budget, the fill is made again within what those lines leave of it.
        extra = self._identities_over(chosen)
        room = budget - sum(costs[i] for i in extra)
        if extra and self._spent(chosen | extra) > budget and room > spent:
            chosen = set(kept)
            fill_within_budget(order, chosen, costs.__getitem__, spent, room, len(lines))
            extra = self._identities_over(chosen)
        return chosen | extra

    def _spent(self, kept: set[int]) -> int:
        """Tokens of `kept` with the gap markers between them."""
        return sum(self.costs[i] for i in kept) + GAP_TOKENS * (gap_runs(kept, len(self.lines)) + 1)

    def _identities_over(self, kept: set[int]) -> set[int]:
        """The opening and identifying lines of every repeated block holding a line of
        `kept`."""
        nodes, plan, found = self.tree.nodes, self.plan, set()
        seen: set[int] = set()
        for number in kept:
            index = plan.owner[number] if number < len(plan.owner) else -1
            while index >= 0 and index not in seen:
                seen.add(index)
                if plan.group[index] >= 0:
                    found.update(self.ids_of[index])
                index = nodes[index].parent
        return found - kept


def _varied_lines(tree: Tree, plan: _Plan) -> tuple[set[int], list[int]]:
    """The lines of repeated blocks whose value is rare among the values the same key path
    has in the other blocks (one Deployment's `image:` tag, `memory: 6Gi` where the rest
    have `512Mi`): what tells the blocks apart, where the lines they share only repeat.
    Also, in order, the outliers among them: a rare value where most blocks agree."""
    values: dict[str, Counter[str]] = defaultdict(Counter)
    for index, node in enumerate(tree.nodes):
        if plan.block[index] >= 0 and node.value:
            values[plan.path[index]][node.value] += 1
    # Per key path, once: how many values it has, and how many of them its most common
    # value is (asked of every node, these would cost a pass over the path's values each).
    totals = {path: (sum(seen.values()), max(seen.values())) for path, seen in values.items()}
    found: set[int] = set()
    outliers: list[int] = []
    for index, node in enumerate(tree.nodes):
        seen = values.get(plan.path[index]) if plan.block[index] >= 0 and node.value else None
        if not seen or len(seen) < 2:
            continue
        total, most = totals[plan.path[index]]
        if seen[node.value] <= max(1, _VARIED_SHARE * total):
            found.add(node.start)
            if total - most <= _EXCEPTIONS * total:
                outliers.append(node.start)  # one of the few exceptions to a shared value
    return found, outliers


def _lines_holding_opaque(lines: Sequence[str]) -> set[int]:
    """The lines `_OPAQUE` finds something in: one search over the lines joined, skipping
    to the next line after each find (a line of URLs is found once, not once a URL)."""
    joined = "\n".join(lines)
    if joined.count("\n") != len(lines) - 1:  # a line holding a break: line by line
        return holding(_OPAQUE, lines)
    found: set[int] = set()
    search = _OPAQUE.search
    position = line = 0
    while (match := search(joined, position)) is not None:
        line += joined.count("\n", position, match.start())
        found.add(line)
        position = joined.find("\n", match.end()) + 1
        if position == 0:
            break
        line += 1
    return found


def _fixed(tree: Tree, lines: Sequence[str], ctx: CompressContext) -> set[int]:
    """Lines kept whatever the budget, whatever it is: the first, the question's, severity
    comments, and the lines naming the file the lines after them come from (several
    files' `head`, the `# /path` comment `systemctl cat` writes before each unit)."""
    must = {next((i for i, line in enumerate(lines) if line.strip()), 0)}
    must.update(i for i, line in enumerate(lines) if " <==" in line and _names_a_file(line))
    # `systemctl cat` names each unit's file in a comment before it: `# /lib/systemd/...`.
    named = [i for i in tree.comments if _PATH_COMMENT.fullmatch(lines[i].strip())]
    if len(named) >= 2:
        must.update(named)
    must.update(lines_with(lines, ctx.focus))
    rare = rare_terms(query_terms(ctx.query), lines, max(2, len(lines) // 100))
    if rare:
        must.update(i for i, line in enumerate(lines) if any(t in line.lower() for t in rare))
    must.update(i for i in tree.comments if _SEVERITY.search(lines[i]))
    return must


def _outline(tree: Tree, plan: _Plan) -> list[int]:
    """The nodes of the file's outline: the first of each key path, and the top-level keys
    (and section headers) no sibling shares."""
    seen: set[str] = set()
    outline: list[int] = []
    for index in range(len(tree.nodes)):
        if plan.path[index] not in seen:
            seen.add(plan.path[index])
            outline.append(index)
        elif plan.level[index] <= 1 and plan.block[index] < 0 and index not in plan.common:
            outline.append(index)
    return outline


def _outline_depth(
    tree: Tree, plan: _Plan, outline: list[int], costs: list[int], budget: int
) -> int:
    """The deepest level whose `outline` lines, with every shallower level's, cost at most
    `_PATH_SHARE` of the budget (the top level whatever they cost), each line counted with
    the gap marker it may open: the keys of hundreds of list items, kept one by one between
    gaps, would otherwise take half the budget and leave the rest to markers."""
    by_level: Counter[int] = Counter()
    for index in outline:
        by_level[plan.level[index]] += costs[tree.nodes[index].start] + GAP_TOKENS
    spent, depth = 0, 0
    for level in sorted(by_level):
        spent += by_level[level]
        if spent > _PATH_SHARE * budget and level > 0:
            break
        depth = level
    return depth


def _names_a_file(line: str) -> bool:
    return FILE_HEADER.fullmatch(line.strip()) is not None


def _id_lines(
    tree: Tree, plan: _Plan, lines: Sequence[str], opaque: set[int]
) -> dict[int, list[int]]:
    """Each block of a repeated group: its opening line and its identifying line (not one
    of `opaque`: the lines holding a hash, a checksum or a URL)."""
    found: dict[int, list[int]] = {}
    for group in plan.groups:
        candidates = [_candidates(tree, block, lines, opaque) for block in group]
        distinct: dict[str, set[str]] = defaultdict(set)
        order: dict[str, int] = {}
        for per_block in candidates:
            for relative, (_, value) in per_block.items():
                distinct[relative].add(value)
                order.setdefault(relative, len(order))
        best = max(distinct, key=lambda r: (len(distinct[r]), -order[r]), default=None)
        for block, per_block in zip(group, candidates, strict=True):
            found[block] = [tree.nodes[block].start]
            if best is not None and best in per_block and len(distinct[best]) > 1:
                found[block].append(per_block[best][0])
    return found


def _candidates(
    tree: Tree, block: int, lines: Sequence[str], opaque: set[int]
) -> dict[str, tuple[int, str]]:
    """Relative key path -> (line, value) of the nodes near the top of `block` whose value
    could name it (not a hash, a checksum or a URL: not in `opaque`)."""
    nodes = tree.nodes
    out: dict[str, tuple[int, str]] = {}
    frontier = [(child, nodes[child].key) for child in nodes[block].children]
    for _ in range(_ID_DEPTH):
        following: list[tuple[int, str]] = []
        for index, relative in frontier:
            node = nodes[index]
            if relative not in out and node.start not in opaque:
                line = lines[node.start].strip()
                if line:
                    out[relative] = (node.start, line)
            following.extend((c, f"{relative}/{nodes[c].key}") for c in node.children)
            if len(out) >= _ID_CANDIDATES:
                return out
        frontier = following
    return out
