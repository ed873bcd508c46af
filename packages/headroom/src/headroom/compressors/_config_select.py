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
from headroom.compressors._config_tree import ROOT, Node, Tree
from headroom.compressors._ranking import (
    holders,
    holding,
    lines_finding,
    lowered,
    rare_terms,
    spread_order,
)
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
# What each of `_OPAQUE`'s finds holds: a run of 16 of these characters (a hex or base64
# value), or one of these parts (change them with it).
_RUN_CHARS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/"
_AS_A = bytes.maketrans(_RUN_CHARS, b"a" * len(_RUN_CHARS))
_OPAQUE_PARTS = (b"sha", b"md5", b"blake", b"://", b"git+", b"registry+")
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
        keys = [node.key for node in nodes]
        parents = [node.parent for node in nodes]
        self.group: list[int] = [-1] * len(nodes)
        self.rank: list[int] = [0] * len(nodes)
        self.groups: list[list[int]] = []
        siblings: dict[int, list[int]] = defaultdict(list)
        for index, up in enumerate(parents):
            siblings[up].append(index)
        self.common: set[int] = set()  # nodes whose key many siblings share
        for members in siblings.values():
            if len(members) < _MIN_GROUP:
                continue  # too few to make a group or to share a key
            self._group_siblings(nodes, keys, members, xml)
            names = [keys[index] for index in members]
            shared = {name for name, seen in Counter(names).items() if seen >= _MIN_GROUP}
            if shared:
                self.common.update(
                    i for i, name in zip(members, names, strict=True) if name in shared
                )
        path: list[str] = []
        block: list[int] = []  # the nearest enclosing block of rank >= 1, or -1
        level: list[int] = []
        group, rank = self.group, self.rank
        for index, up in enumerate(parents):
            label = keys[index] if group[index] < 0 or xml else "*"
            if up == ROOT:
                path.append("/" + label)
                level.append(0)
                block.append(index if rank[index] >= 1 else -1)
            else:
                path.append(path[up] + "/" + label)
                level.append(level[up] + 1)
                block.append(index if rank[index] >= 1 else block[up])
        self.path, self.block, self.level = path, block, level
        self.owner = tree.owners(count)

    def _group_siblings(
        self, nodes: list[Node], keys: list[str], members: list[int], xml: bool
    ) -> None:
        """Group the `members` of one parent by shape (see `__init__`); `keys`: each node's."""
        with_children = [index for index in members if nodes[index].children]
        if len(with_children) < _MIN_GROUP:
            return  # too few blocks to make a group
        shapes: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for index in with_children:
            children = nodes[index].children
            key = keys[index]
            # `[[package]]` tables share their name; `[pkg.a]`, `[pkg.b]` tables (and INI
            # sections) of one parent differ by name only: their keys make the shape.
            named = xml or key == "-" or key.startswith("[[")
            shape = (key if named else "*", *sorted({keys[child] for child in children}))
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
        spread = [0] * len(tree.nodes)  # each repeated block's rank in `spread_order`
        for group in plan.groups:
            for rank, block in zip(spread_order(len(group)), sorted(group), strict=False):
                spread[block] = rank
        owners, blocks, levels, ranks = plan.owner, plan.block, plan.level, plan.rank
        # Each line's place in the fill is (tier, first, second, its number), packed into
        # one int per line (`span` bounds every level and spread rank): sorted stably by it,
        # the lines of one key stay in their order (sorting 4-tuples took as long as the rest).
        span = max(max(levels, default=0), max(spread, default=0)) + 1
        keys: list[int] = []
        for number, line in enumerate(lines):
            owner = owners[number]
            block = blocks[owner] if owner >= 0 else -1
            if not line or line.isspace():  # last, yet there: a widening run passes through it
                tier, first, second = _BLANK, 0, 0
            elif block < 0:
                tier, first, second = _STRUCTURE, levels[owner] if owner >= 0 else 0, 0
            elif number in ids:
                tier, first, second = _IDS, levels[block], spread[block]
            elif number in opaque:
                tier, first, second = _OPAQUE_TIER, spread[block], 0
            elif number in varied:
                tier, first, second = _VARIED, spread[block], levels[owner]
            elif ranks[block] == 1:
                tier, first, second = _SECOND, levels[owner], 0
            else:
                tier, first, second = _REST, spread[block], levels[owner]
            keys.append((tier * span + first) * span + second)
        self.order = sorted(range(len(lines)), key=keys.__getitem__)

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
    valued = [
        (node, path)
        for node, path, block in zip(tree.nodes, plan.path, plan.block, strict=True)
        if block >= 0 and node.value
    ]
    values: dict[str, Counter[str]] = defaultdict(Counter)
    for node, path in valued:
        values[path][node.value] += 1
    # Per key path of two values or more, once: how many values it has, and whether its
    # most common value is most of them (asked of every node, these would cost a pass
    # over the path's values each).
    limits: dict[str, tuple[float, bool]] = {}
    for path, seen in values.items():
        if len(seen) >= 2:
            total = sum(seen.values())
            shared = total - max(seen.values()) <= _EXCEPTIONS * total
            limits[path] = (max(1, _VARIED_SHARE * total), shared)
    found: set[int] = set()
    outliers: list[int] = []
    for node, path in valued:
        limit = limits.get(path)
        if limit is not None and values[path][node.value] <= limit[0]:
            found.add(node.start)
            if limit[1]:
                outliers.append(node.start)  # one of the few exceptions to a shared value
    return found, outliers


def _lines_holding_opaque(lines: Sequence[str]) -> set[int]:
    """The lines `_OPAQUE` finds something in: searched only in the lines that may hold a
    find, those `_maybe_opaque` finds (the pattern, tried at every letter of megabytes,
    would take most of the time)."""
    joined = "\n".join(lines)
    if joined.count("\n") != len(lines) - 1:  # a line holding a break: line by line
        return holding(_OPAQUE, lines)
    search = _OPAQUE.search
    return {number for number in _maybe_opaque(joined) if search(lines[number])}


def _maybe_opaque(joined: str) -> set[int]:
    """The lines of `joined` that hold a run of 16 characters of `_RUN_CHARS` (any hex or
    base64 value `_OPAQUE` finds does) or one of `_OPAQUE_PARTS` (its other finds do):
    found by `bytes.find`, over the text with each of those characters read as an `a`."""
    data = joined.encode("utf-8", "surrogatepass")  # `_RUN_CHARS` are ASCII: one byte each
    found = set(lines_finding(data.translate(_AS_A), b"a" * 16, b"\n"))
    for part in _OPAQUE_PARTS:
        found.update(lines_finding(data, part, b"\n"))
    return found


def _lines_naming(lines: Sequence[str], terms: Sequence[str]) -> set[int]:
    """The lines whose lower-cased text holds one of `terms`."""
    return set().union(*holders(terms, lowered(lines)).values())


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
        must.update(_lines_naming(lines, rare))
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
    for depth in range(1, _ID_DEPTH + 1):
        following: list[tuple[int, str]] = []
        for index, relative in frontier:
            node = nodes[index]
            if relative not in out and node.start not in opaque:
                line = lines[node.start].strip()
                if line:
                    out[relative] = (node.start, line)
            if node.children and depth < _ID_DEPTH:  # the last level's children: not searched
                following.extend((c, f"{relative}/{nodes[c].key}") for c in node.children)
            if len(out) >= _ID_CANDIDATES:
                return out
        frontier = following
    return out
