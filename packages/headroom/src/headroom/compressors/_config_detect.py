"""Which config format a sample of lines is, by structure alone: YAML, TOML / INI or XML."""

from __future__ import annotations

import re
from collections.abc import Sequence

from headroom.compressors._config_tree import (
    ASSIGN,
    BLOCK_SCALAR,
    DOCUMENT,
    HEADER,
    bracket_depth,
    open_string,
    yaml_tokens,
)

__all__ = ["config_format"]

_HTML_DOCUMENT = re.compile(r"<(!doctype html|html\b)", re.I)
_HTML_ELEMENT = re.compile(r"</(div|p|span|table|td|tr|body|head|li|ul|ol|a|h[1-6]|script)>", re.I)
_XML_DECLARATION = re.compile(r"\s*<\?xml\b")
_ELEMENT_SHARE = 0.6  # lines starting with a tag, in XML without a declaration
_OTHER_SHARE = 0.15  # lines that are not config, per config line, at most
_KEY_SHARE = 0.25  # YAML lines with a key, of the YAML lines, at least
_MIN_KEYS = 3
# Plain scalars running on over lines are rare in config (block scalars are skipped): a
# trace's indented frames under `SyntaxError: ...` are not a value.
_RUN_ON_LINES = 20
_RUN_ON_PER_KEY = 2


def config_format(lines: Sequence[str], head: str) -> tuple[str, float] | None:
    """("xml" | "toml" | "yaml", confidence) when the non-blank `lines` read as a config
    file, else None. XML with HTML in it is left to the HTML detector (0.8): 0.7 then when
    declared, else 0.6."""
    if lines and lines[0].lstrip().startswith("<"):
        return _xml(lines, head)  # compact XML may be one line
    if len(lines) < _MIN_KEYS:
        return None
    return _toml(lines) or _yaml(lines)


def _xml(lines: Sequence[str], head: str) -> tuple[str, float] | None:
    if _HTML_DOCUMENT.search(head, 0, 4096):
        return None
    declared = bool(_XML_DECLARATION.match(head))
    elements = sum(1 for line in lines if line.lstrip().startswith("<"))
    if not declared and (elements < len(lines) * _ELEMENT_SHARE or "</" not in head):
        return None
    if _HTML_ELEMENT.search(head):
        # Above a listing's 0.6 when declared (an AppStream file's `<p>` descriptions are
        # still XML), below the HTML detector's 0.8 whenever it claims the page.
        return "xml", 0.7 if declared else 0.6
    return "xml", 0.85 if declared else 0.75


def _toml(lines: Sequence[str]) -> tuple[str, float] | None:
    if not any(line.startswith("[") for line in lines):
        return None  # no `[section]` header at a line start: not TOML / INI, whatever the keys
    headers = assigns = other = depth = 0
    quotes: str | None = None  # inside a `"""` string: its lines are a value
    for line in lines:
        stripped = line.strip()
        if quotes is not None:
            quotes = None if line.count(quotes) % 2 else quotes
            continue
        if depth > 0:
            depth += bracket_depth(stripped)
            continue
        if stripped[0] in "#;":
            continue
        if HEADER.match(line) and not line[0].isspace():
            headers += 1  # indented, a header is text of a value (a YAML block scalar's)
            continue
        assign = ASSIGN.match(line)
        if assign:
            assigns += 1
            quotes = open_string(assign.group(2))
            depth = 0 if quotes else max(0, bracket_depth(assign.group(2)))
        elif not line[0].isspace():
            other += 1
            if other > (len(lines) - other) * _OTHER_SHARE:
                return None  # even if every line left were a key, too many are not
    if not headers or assigns < 2 or other > (headers + assigns) * _OTHER_SHARE:
        return None
    return "toml", 0.8


def _yaml(lines: Sequence[str]) -> tuple[str, float] | None:
    keys = items = other = run_on = 0
    nested = document = False
    block: int | None = None  # a block scalar's key column
    opened: int | None = None  # column of a `key:` with its value on the lines below
    continued: int | None = None  # column of a key whose value may run on below
    for line in lines:
        stripped = line.strip()
        column = len(line) - len(line.lstrip(" "))
        if block is not None and column > block or stripped.startswith("#"):
            continue
        block = None
        if column == 0 and DOCUMENT.match(stripped):
            document = True
            continue
        tokens = yaml_tokens(line)
        if not tokens:
            if continued is None or column <= continued:
                other += 1
                if other > (len(lines) - other) * _OTHER_SHARE:
                    return None  # even if every line left were a key, too many are not
            else:
                run_on += 1
                if run_on > _RUN_ON_LINES and run_on > _RUN_ON_PER_KEY * (keys + items):
                    return None  # values running on below keys, line after line: not YAML
            continue
        first_column, first_key, _ = tokens[0]
        if opened is not None and (first_column > opened or first_key == "-"):
            nested = nested or first_column >= opened
        column, key, value = tokens[-1]
        keys += key != "-"
        items += key == "-"
        opened = column if key != "-" and not value else None
        continued = column if value else None
        if BLOCK_SCALAR.match(value):
            block = column
    found = keys + items
    if keys < _MIN_KEYS or keys < found * _KEY_SHARE or other > found * _OTHER_SHARE:
        return None
    return ("yaml", 0.8) if nested or document else None
