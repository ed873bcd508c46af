"""Whether a detection sample is code of a language: it parses, but for the tokens its
parse has to skip on a few lines (a sample ends wherever its size does, often inside a
class or a literal: the brackets left open are closed for a second look)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from headroom.compressors._grammars import edited, parser_for

__all__ = ["HeadTree", "numbers_its_lines", "parse_from", "parses_mostly"]

_MOSTLY_PARSES = 0.9  # share of a guessed-code sample's lines free of tokens it can't parse
_NAMED_PARSES = 0.5  # share of lines of code named by its file free of tokens it can't parse
_OPENERS = {"(": ")", "[": "]", "{": "}"}
# A line's own number near its start: `git blame`'s `  12)`, `cat -n`'s `    12\t`, a
# listing's `12:` or `  12 |`.
_LINE_NUMBER = re.compile(r"(?<![\w.:])(\d+)(?:\)\s|:\s|\t|\s*\|)")
_NUMBERED_SHARE = 0.9  # of a sample's pairs of lines, numbered one after the other
_MIN_NUMBERED = 10
_COMMENT_SIGNS = {"python": "#"}  # the rest of the languages we parse write `//`


@dataclass(frozen=True)
class HeadTree:
    """A detection sample's syntax tree, handed to the compressor (`Detection.parsed`): a
    payload that begins with `source` is parsed as an edit of it (see `parse_from`)."""

    language: str
    source: bytes
    tree: Any


def parses_mostly(head: str, language: str, *, named: bool = False) -> HeadTree | None:
    """Whether at most a tenth of `head`'s lines hold a token `language` cannot parse (half
    with `named`, when the file's name says the language: then also with what the head
    leaves open closed, a look at its first few KB being cheap). Only the tokens an error
    skips count, not the valid code it wraps. Diagnostics that quote source lines,
    `git blame` or a numbered listing of a file, and Markdown with code blocks have such
    tokens on many lines. The answer, when yes, is `head`'s syntax tree."""
    parser = parser_for(language)
    if parser is None:
        return None
    share = _NAMED_PARSES if named else _MOSTLY_PARSES
    source = head.encode("utf-8", "surrogatepass")
    tree = parser.parse(source)
    found = HeadTree(language, source, tree)
    if _mostly_parses(tree.root_node, source, share):
        return found
    if not named:
        return None
    closers = _unclosed(head, _COMMENT_SIGNS.get(language, "//"))
    if not closers:
        return None
    closed = f"{head}\n{closers}".encode("utf-8", "surrogatepass")
    return found if _mostly_parses(parser.parse(closed).root_node, closed, share) else None


def parse_from(parser: Any, language: str, source: bytes, head: object) -> Any:
    """`source` parsed, as an edit of the detection sample's tree (`head`, see `HeadTree`)
    when `source` begins with that sample: told that the rest was inserted at its end,
    tree-sitter reparses only from where the sample ended, and the tree is the one a
    parse from scratch gives."""
    if not (
        isinstance(head, HeadTree) and head.language == language and source.startswith(head.source)
    ):
        return parser.parse(source)
    tree = head.tree.copy()  # the compressor edits its tree: the sample's stays as it was
    if len(source) == len(head.source):
        return tree
    end = len(head.source)
    return parser.parse(source, edited(tree, head.source, [(end, end, source[end:])]))


def _mostly_parses(root: Any, source: bytes, share: float) -> bool:
    if not root.has_error:
        return True
    limit = (source.count(b"\n") + 1) * (1 - share)
    bad: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if not node.has_error and not node.is_missing:
            continue
        if node.is_missing:
            bad.update(range(node.start_point[0], node.end_point[0] + 1))
        elif node.is_error:  # the tokens it skipped, its valid children looked into
            if not node.children:
                bad.add(node.start_point[0])
            bad.update(c.start_point[0] for c in node.children if c.child_count == 0)
            stack.extend(c for c in node.children if c.child_count and c.has_error)
        else:
            stack.extend(node.children)
        if len(bad) > limit:
            return False
    return True


def _unclosed(text: str, comment: str) -> str:
    """What closes what `text` leaves open: a block comment or a triple-quoted string,
    then its brackets, innermost first (quoted strings and line comments read past; ""
    when a bracket closes one it did not open)."""
    block = ('"""', '"""') if comment == "#" else ("/*", "*/")
    stack: list[str] = []
    in_block = False
    for line in text.split("\n"):
        in_block = _scan_line(line, comment, block, in_block, stack)
        if stack and stack[-1] == "":
            return ""
    return (block[1] if in_block else "") + "".join(reversed(stack))


def _scan_line(
    line: str, comment: str, block: tuple[str, str], in_block: bool, stack: list[str]
) -> bool:
    """Reads `line` into `stack` (the closers of the brackets open; a "" pushed when one
    closes a bracket it did not open); returns whether a block comment is still open."""
    quote = ""
    index = 0
    while index < len(line):
        if in_block:
            end = line.find(block[1], index)
            if end < 0:
                return True
            in_block, index = False, end + len(block[1])
            continue
        char = line[index]
        if quote:
            index += char == "\\"  # an escaped character is read past
            quote = "" if char == quote else quote
        elif line.startswith(block[0], index):
            in_block, index = True, index + len(block[0])
            continue
        elif char in "\"'`":
            quote = char
        elif line.startswith(comment, index):
            break
        elif char in _OPENERS:
            stack.append(_OPENERS[char])
        elif char in ")]}" and (not stack or stack.pop() != char):
            stack.append("")
            return False
        index += 1
    return in_block


def numbers_its_lines(lines: Sequence[str]) -> bool:
    """Whether nearly every line carries its own line number near its start, one more than
    the line before's (`git blame`, `cat -n`, a numbered listing of a file): lines about a
    file, not the file."""
    numbers = []
    for line in lines:
        found = _LINE_NUMBER.search(line, 0, 100)
        numbers.append(int(found.group(1)) if found else None)
    if len(numbers) < _MIN_NUMBERED:
        return False
    following = sum(
        1
        for a, b in zip(numbers, numbers[1:], strict=False)
        if a is not None and b is not None and b == a + 1
    )
    return following >= _NUMBERED_SHARE * (len(numbers) - 1)
