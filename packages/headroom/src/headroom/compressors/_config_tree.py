"""Config files as trees of keyed line spans: YAML by indentation, TOML / INI by section
headers, XML by its tags.

Each parser turns the lines of a file into `Node`s: a key (a YAML or TOML key, `-` for a
list item, a section header, an element name), the line it starts on, the line it ends
before, its parent and children. Parsing is forgiving: malformed input gives some tree,
never an error; a line that starts no node (a comment, a continuation, a closing tag)
belongs to the innermost node around it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "open_string",
    "ASSIGN",
    "BLOCK_SCALAR",
    "DOCUMENT",
    "HEADER",
    "Node",
    "Tree",
    "bracket_depth",
    "parse_toml",
    "parse_xml",
    "parse_yaml",
    "yaml_tokens",
]

ROOT = -1


@dataclass(slots=True)
class Node:
    key: str
    start: int
    end: int
    parent: int
    indent: int = 0
    value: str = ""
    closer: int | None = None
    """The line that only closes this node (`</dependency>`, `]`): kept with its start."""
    head: int = 1
    """Lines its opening takes (an XML start tag whose attributes run over lines)."""
    children: list[int] = field(default_factory=list)


@dataclass
class Tree:
    nodes: list[Node]
    comments: set[int]
    """Lines inside comments (`#`, `;`, `<!-- -->`)."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """First and last line of each comment that runs over lines (XML)."""
    in_values: set[int] = field(default_factory=set)
    """Lines wholly inside an XML attribute value that runs over lines (an SVG path's `d`):
    text of the value, which a plain marker may stand for."""

    def interiors(self) -> set[int]:
        """Lines inside one unit past its first (a value running on over lines, a multi-line
        array up to its `]`): a cut there leaves the file unreadable."""
        inside: set[int] = set()
        for node in self.nodes:
            last = node.closer if node.closer is not None else node.start + node.head - 1
            inside.update(range(node.start + 1, last + 1))
        return inside

    def joints(self) -> list[Node]:
        """The nodes whose opening runs over lines or whose closing is a line of its own:
        all that keeping a node's start line may keep more of."""
        return [node for node in self.nodes if node.head > 1 or node.closer is not None]

    def owners(self, count: int) -> list[int]:
        """The innermost node each of `count` lines belongs to, or -1."""
        owner = [-1] * count
        for index, node in enumerate(self.nodes):  # children come later and overwrite
            start, end = node.start, node.end
            if end == start + 1 and start < count:
                owner[start] = index  # most nodes: one line, no list made for it
            else:
                owner[start:end] = [index] * (min(end, count) - start)
        return owner

    def openings_above(self, kept: set[int], owner: list[int]) -> set[int]:
        """The opening line of every node enclosing a line of `kept` (`owner`: see
        `owners`): a key kept without its `[table]` header (or its parent key, or start
        tag) would read as another's."""
        found: set[int] = set()
        done: set[int] = set()
        for line in kept:
            index = owner[line] if 0 <= line < len(owner) else -1
            while index >= 0 and index not in done:
                done.add(index)
                found.add(self.nodes[index].start)
                index = self.nodes[index].parent
        return found

    def add(self, node: Node) -> int:
        self.nodes.append(node)
        index = len(self.nodes) - 1
        if node.parent != ROOT:
            self.nodes[node.parent].children.append(index)
        return index


# --- YAML -----------------------------------------------------------------------------

_YAML_ITEM = re.compile(r"-(?: +|$)")
# A key: quoted, or a word without spaces, brackets or parentheses (not `if x:`, `f(x):`).
_YAML_KEY = re.compile(
    r"""("[^"\n]{0,200}"|'[^'\n]{0,200}'|[\w$@/.\-][^\s:#()=,;<>{}\[\]]{0,120})\s*:(?:\s+|$)"""
)
BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*\s*(?:#.*)?$")
DOCUMENT = re.compile(r"---(?:\s|$)")
# A value that opens no scalar: an anchor or a tag alone (its children follow), a comment.
_NO_SCALAR = re.compile(r"(?:[&!]\S*\s*)+(?:#.*)?$|#")


def yaml_tokens(line: str) -> list[tuple[int, str, str]]:
    """The (column, key, value) tokens a YAML line opens: `- ` items, then a `key:`."""
    stripped = line.lstrip(" ")
    return _tokens(stripped, len(line) - len(stripped))


def _tokens(rest: str, column: int) -> list[tuple[int, str, str]]:
    """`yaml_tokens` of a line whose text from `column` on is `rest`."""
    tokens: list[tuple[int, str, str]] = []
    while rest[:1] == "-":
        item = _YAML_ITEM.match(rest)
        if not item:
            break
        tokens.append((column, "-", rest[item.end() :]))
        column += item.end()
        rest = rest[item.end() :]
    key = _YAML_KEY.match(rest)
    if key:
        tokens.append((column, key.group(1).strip("\"'"), rest[key.end() :].strip()))
    return tokens


def parse_yaml(lines: Sequence[str]) -> Tree:
    tree = Tree([], set())
    nodes, comments = tree.nodes, tree.comments
    stack: list[int] = []
    running = -1  # the node whose value runs on over the deeper lines after it, or -1
    running_column = 0
    block = False  # that value is a `|` / `>` block scalar: its lines stay apart
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        rest = line.lstrip(" ")
        column = len(line) - len(rest)
        if running >= 0:
            if column > running_column:
                if not block:  # a plain or quoted value running on: one unit
                    nodes[running].head = number - nodes[running].start + 1
                continue
            running = -1
        if stripped[0] == "#":
            comments.add(number)
        elif column == 0 and DOCUMENT.match(stripped):
            _close(tree, stack, number, -1, "---")
            stack.append(tree.add(Node("---", number, number + 1, ROOT, -1)))
        else:
            opened = _open_tokens(tree, stack, number, rest, column)
            if opened is not None:
                running, running_column, block = opened
    _close(tree, stack, len(lines), -2, "")
    return tree


def _open_tokens(
    tree: Tree, stack: list[int], number: int, rest: str, column: int
) -> tuple[int, int, bool] | None:
    """Add the nodes the tokens of line `number` open (closing those they end, see
    `_close`, written out: it runs for every line of files of a megabyte and more); the
    last one's (index, column, block scalar) when its value runs on over deeper lines."""
    nodes = tree.nodes
    opened = None
    for token_column, name, value in _tokens(rest, column):
        while stack:
            top = nodes[stack[-1]]
            if top.indent < token_column or (
                top.indent == token_column and name == "-" and top.key != "-" and not top.value
            ):
                break
            top.end = number
            stack.pop()
        parent = stack[-1] if stack else ROOT
        index = len(nodes)
        nodes.append(Node(name, number, number + 1, parent, token_column, value))
        if parent != ROOT:
            nodes[parent].children.append(index)
        stack.append(index)
        opened = None
        # The patterns are tried only where they may match: a value's first character
        # tells (`&`, `!` or `#` opens no scalar; `|` or `>` a block scalar).
        if value and (value[0] not in "&!#" or not _NO_SCALAR.match(value)):
            block = value[0] in "|>" and BLOCK_SCALAR.match(value) is not None
            opened = (index, token_column, block)
    return opened


def _close(tree: Tree, stack: list[int], line: int, column: int, key: str) -> None:
    """Pop the nodes a token at `column` ends: deeper ones, and siblings at its column (a
    `- ` item under a `key:` at the same column is its child: an indentless sequence)."""
    while stack:
        top = tree.nodes[stack[-1]]
        same = top.indent == column
        if top.indent < column or (same and key == "-" and top.key != "-" and not top.value):
            break
        top.end = line
        stack.pop()


# --- TOML and INI ---------------------------------------------------------------------

HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:[#;].*)?$")
ASSIGN = re.compile(r"\s*([\w\"'.\-/ ]{1,120}?)\s*[=:]\s*(.*)$")
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")


def bracket_depth(value: str) -> int:
    if "[" not in value and "]" not in value and "{" not in value and "}" not in value:
        return 0  # most values: no bracket to count, inside quotes or not
    bare = _QUOTED.sub("", value.split(" #")[0])
    return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")


def open_string(value: str) -> str | None:
    """The quotes of a TOML multi-line string `value` opens and does not close, or None."""
    if '"""' in value and value.count('"""') % 2:
        return '"""'
    if "'''" in value and value.count("'''") % 2:
        return "'''"
    return None


def parse_toml(lines: Sequence[str]) -> Tree:
    tree = Tree([], set())
    headers: list[int] = []  # open section headers, outermost first
    value: _OpenValue | None = None  # a multi-line array or string still open
    for number, line in enumerate(lines):
        stripped = line.strip()
        if value is not None:
            value = value.take(tree, number, line, stripped)
            continue
        if not stripped:
            continue
        if stripped[0] in "#;":
            tree.comments.add(number)
            continue
        header = HEADER.match(line) if stripped[0] == "[" else None
        if header:
            _open_header(tree, headers, number, header.group(1), header.group(2))
            continue
        assign = ASSIGN.match(line)
        if assign is None:
            continue  # a continuation line: part of the key above
        parent = headers[-1] if headers else ROOT
        key, text = assign.group(1).strip("\"' "), assign.group(2)
        index = tree.add(Node(key, number, number + 1, parent, 1, text))
        value = _OpenValue.of(index, text)
    for index in headers:
        tree.nodes[index].end = len(lines)
    _extend_keys(tree, len(lines))
    return tree


@dataclass
class _OpenValue:
    """A key's value running on over the lines below: a multi-line array (its items are
    nodes, its `]` the closer) or a `\"\"\"` string (its lines are the key's head: one unit)."""

    key: int
    quotes: str | None
    depth: int

    @classmethod
    def of(cls, key: int, value: str) -> _OpenValue | None:
        quotes = open_string(value)
        if quotes:
            return cls(key, quotes, 0)
        depth = bracket_depth(value)
        return cls(key, None, depth) if depth > 0 else None

    def take(self, tree: Tree, number: int, line: str, stripped: str) -> _OpenValue | None:
        """Line `number` read as part of the value; None once the value is closed."""
        node = tree.nodes[self.key]
        if self.quotes is not None:
            node.head = number - node.start + 1
            return None if line.count(self.quotes) % 2 else self
        if not stripped:
            return self
        self.depth += bracket_depth(stripped)
        if self.depth <= 0:
            node.closer = number
            node.end = number + 1
            return None
        tree.add(Node("-", number, number + 1, self.key, 1, stripped))
        return self


def _open_header(tree: Tree, headers: list[int], number: int, bracket: str, name: str) -> None:
    """A `[a.b]` table nests in the open `[a]` or `[[a]]` before it; others close."""
    name = ".".join(part.strip().strip("\"'") for part in name.split("."))
    while headers and not name.startswith(tree.nodes[headers[-1]].value + "."):
        tree.nodes[headers.pop()].end = number
    parent = headers[-1] if headers else ROOT
    key = f"{bracket}{name}{']' * len(bracket)}"
    headers.append(tree.add(Node(key, number, number + 1, parent, 0, name)))


def _extend_keys(tree: Tree, count: int) -> None:
    """A key spans its continuation lines, up to the next node's start."""
    starts = sorted(node.start for node in tree.nodes) + [count]
    for node in tree.nodes:
        if node.key.startswith("[") or node.closer is not None:
            continue
        node.end = max(node.end, starts[bisect_right(starts, node.start)])


# --- XML ------------------------------------------------------------------------------

_QUOTED_VALUE = re.compile(r"\"[^\"]*\"|'[^']*'")
_XML_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<\?.*?\?>|<![^>]*>"
    r"|<(/?)([A-Za-z_][\w:.\-]*)((?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*)>",
    re.S,
)


def parse_xml(text: str, lines: Sequence[str]) -> Tree:
    tree = Tree([], set())
    stack: list[int] = []
    position = line = 0
    for token in _XML_TOKEN.finditer(text):
        start, whole = token.start(), token.group(0)
        line += text.count("\n", position, start)
        position = start
        first, last = line, line + whole.count("\n") if "\n" in whole else line
        name = token.group(2)
        if name is None:
            if whole.startswith("<!--"):
                tree.comments.update(range(first, last + 1))
                if last > first:
                    tree.spans.append((first, last))
        elif token.group(1):
            _close_element(tree, stack, name, first, last)
        else:
            parent = stack[-1] if stack else ROOT
            node = Node(name, first, last + 1, parent, len(stack), lines[first].strip())
            node.head = last + 1 - first
            index = tree.add(node)
            if last - first > 1:
                tree.in_values.update(_value_lines(whole, first))
            if not token.group(3).endswith("/"):
                stack.append(index)
    for index in stack:
        tree.nodes[index].end = len(lines)
    return tree


def _value_lines(tag: str, first: int) -> list[int]:
    """The lines of `tag` (a start tag from line `first`) that lie wholly inside one of its
    quoted attribute values."""
    inside: list[int] = []
    for value in _QUOTED_VALUE.finditer(tag):
        opening = first + tag.count("\n", 0, value.start())
        closing = opening + value.group(0).count("\n")
        inside.extend(range(opening + 1, closing))
    return inside


def _close_element(tree: Tree, stack: list[int], name: str, first: int, last: int) -> None:
    if not stack or (
        tree.nodes[stack[-1]].key != name and all(tree.nodes[i].key != name for i in stack)
    ):
        return  # a stray closing tag
    while stack:
        node = tree.nodes[stack.pop()]
        node.end = max(node.end, last + 1)
        if node.key == name:
            if first > node.start:
                node.closer = first
            return
