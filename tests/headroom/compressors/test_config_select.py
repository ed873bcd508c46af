"""The varied lines of repeated config blocks, against their definition read plainly."""

from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.ccr.markers import split_lines
from headroom.compressors._config_select import (
    _OPAQUE,
    _lines_holding_opaque,
    _Plan,
    _varied_lines,
)
from headroom.compressors._config_tree import Tree, parse_toml, parse_yaml
from headroom.compressors._ranking import holding

_VARIED_SHARE = 0.1
_EXCEPTIONS = 0.2


def varied_by_definition(tree: Tree, plan: _Plan) -> tuple[set[int], list[int]]:
    """A line of a repeated block is varied when its value is among the rare ones its key
    path takes in the blocks; an outlier when, besides, the blocks mostly agree on one
    value of that path."""
    values: dict[str, Counter[str]] = defaultdict(Counter)
    for index, node in enumerate(tree.nodes):
        if plan.block[index] >= 0 and node.value:
            values[plan.path[index]][node.value] += 1
    found: set[int] = set()
    outliers: list[int] = []
    for index, node in enumerate(tree.nodes):
        if plan.block[index] < 0 or not node.value:
            continue
        seen = values[plan.path[index]]
        if len(seen) < 2:
            continue
        total = sum(seen.values())
        if seen[node.value] <= max(1, _VARIED_SHARE * total):
            found.add(node.start)
            if total - seen.most_common(1)[0][1] <= _EXCEPTIONS * total:
                outliers.append(node.start)
    return found, outliers


blocks = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 40), st.sampled_from(["v1", "v2", "v9"])),
    min_size=3,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(blocks)
def test_varied_lines_and_outliers_are_those_of_the_definition(
    rows: list[tuple[int, int, str]],
) -> None:
    yaml_docs = "".join(
        f"---\nkind: Pod\nmetadata:\n  name: pod-{n}\n  tier: t{tier}\nspec:\n  image: img:{tag}\n"
        for tier, n, tag in rows
    )
    toml_tables = "".join(
        f'[[package]]\nname = "crate-{n}"\nversion = "{tag}"\nsource = "s{tier}"\n\n'
        for tier, n, tag in rows
    )
    for text, parse in ((yaml_docs, parse_yaml), (toml_tables, parse_toml)):
        lines = split_lines(text)
        tree = parse(lines)
        plan = _Plan(tree, len(lines), False)
        assert plan.groups, "the blocks make a repeated group"
        found, outliers = _varied_lines(tree, plan)
        assert (found, outliers) == varied_by_definition(tree, plan)


# Pieces of lines that hold, nearly hold or break an opaque value: hex and base64 runs of
# the lengths around the pattern's, its parts, non-ASCII text (several bytes a character).
OPAQUE_PIECES = [
    "0123456789abcdef",
    "0123456789abcde",
    "ABCDEF012345",
    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5",
    "+/",
    "==",
    "sha256:",
    "sha:",
    "SHA1=",
    "md5-",
    "blake2b-",
    "blake=",
    "https://x",
    "http:/",
    "git+ssh",
    "registry+",
    "é",
    "٣",
    " ",
    "-",
    "_",
    ":",
    "\t",
]
OPAQUE_LINE = st.lists(st.sampled_from(OPAQUE_PIECES), max_size=10).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(OPAQUE_LINE, max_size=8))
def test_the_opaque_prefilter_finds_every_line_the_pattern_does(lines: list[str]) -> None:
    # `_maybe_opaque` narrows the lines `_OPAQUE` is tried on: it must keep every one it
    # finds something in (they change together).
    assert _lines_holding_opaque(lines) == holding(_OPAQUE, lines)
