"""Parses told to tree-sitter as edits of an earlier one answer as parses from scratch."""

import inspect

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.compressors import _code_parses, code
from headroom.compressors._code_parses import HeadTree, parse_from, parses_mostly
from headroom.compressors._grammars import parser_for
from headroom.engine import pointer_format
from headroom.engine.pointer_format import _Reparse, changed_span

# Real source: this project's own code compressor, and a module of code with classes.
SOURCE = inspect.getsource(code)
LINES = SOURCE.split("\n")
REPLACEMENTS = ["    # [headroom: lines 3-9 as in message 2]", "# x", "    )", "def f(:", ""]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, len(LINES) - 1),
    st.integers(0, 40),
    st.sampled_from(REPLACEMENTS),
)
def test_a_rewritten_run_parses_as_it_would_from_scratch(
    start: int, length: int, replacement: str
) -> None:
    parser = parser_for("python")
    check = _Reparse(parser, SOURCE)
    rewritten = "\n".join([*LINES[:start], replacement, *LINES[start + length :]])
    fresh = not parser.parse(rewritten.encode()).root_node.has_error
    assert check(rewritten) == fresh
    assert check(SOURCE)  # the base itself, parsed once, still answers


def test_a_run_that_breaks_the_syntax_is_seen_broken_after_a_good_one() -> None:
    parser = parser_for("python")
    check = _Reparse(parser, SOURCE)
    at = next(i for i, line in enumerate(LINES) if line.startswith("def "))
    good = "\n".join([*LINES[:at], "# [headroom: pointer]", *LINES[at + 1 :]])
    broken = "\n".join([*LINES[: at + 1], "    (", *LINES[at + 1 :]])
    assert check(good) is (not parser.parse(good.encode()).root_node.has_error)
    assert check(broken) is False


@given(st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=40))
def test_the_changed_span_turns_the_old_text_into_the_new(
    prefix: bytes, middle: bytes, suffix: bytes
) -> None:
    old = prefix + b"OLD" + suffix
    new = prefix + middle + suffix
    start, old_end, new_end = changed_span(old, new)
    assert old[:start] + new[start:new_end] + old[old_end:] == new
    assert old[:start] == new[:start] and old[old_end:] == new[new_end:]
    assert start >= len(prefix) and len(old) - old_end >= len(suffix)  # nothing shared is in it


def test_a_payload_is_parsed_as_the_sample_it_begins_with_grown_to_its_end() -> None:
    parser = parser_for("python")
    source = SOURCE.encode()
    head = parses_mostly(SOURCE[:3000], "python")
    assert isinstance(head, HeadTree)
    before = str(head.tree.root_node)
    tree = parse_from(parser, "python", source, head)
    assert str(tree.root_node) == str(parser.parse(source).root_node)
    assert str(head.tree.root_node) == before  # the sample's own tree is left as it was


def test_a_sample_of_another_language_or_text_is_not_built_on() -> None:
    parser = parser_for("python")
    source = inspect.getsource(_code_parses).encode()
    other = parses_mostly(SOURCE[:2000], "python")
    assert other is not None
    assert str(parse_from(parser, "python", source, other).root_node) == str(
        parser.parse(source).root_node
    )
    as_javascript = HeadTree("javascript", source[:500], other.tree)
    assert str(parse_from(parser, "python", source, as_javascript).root_node) == str(
        parser.parse(source).root_node
    )


def test_pointer_format_checks_code_by_edits_and_xml_whole() -> None:
    assert isinstance(pointer_format._parse_check("python", SOURCE), _Reparse)
    assert pointer_format._parse_check("yaml", "a: 1") is None
    assert pointer_format._parse_check("xml", "<a/>") is pointer_format.parses_as_xml
