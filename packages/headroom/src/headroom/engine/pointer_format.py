"""Where a de-duplication pointer may stand in an output: as a comment of its code or
config format, and only where the file stays readable (JSON pointed at whole, YAML / TOML /
INI in whole units, XML still well-formed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from headroom.compressed import Compressed
from headroom.compressors._config_tree import parse_toml, parse_yaml
from headroom.compressors._grammars import edited, parser_for
from headroom.engine.repeats import Run
from headroom.engine.wellformed import parses_as_json, parses_as_xml

__all__ = ["changed_span", "commented", "fits_json", "language_of", "runs_in_format"]

_LINE_UNIT_FORMATS = frozenset({"yaml", "toml", "ini"})
_RUNS_CHECKED = 16  # runs of one output tried one by one when together they break it
_HASH_COMMENT = frozenset({"python", "ruby", "shell", "bash", "perl", "r", "yaml", "toml", "ini"})


def language_of(outcome: Compressed | None) -> str | None:
    """The language of a code or config output (its pointers are comments of it), or None."""
    if outcome is None or outcome.kind not in ("code", "config"):
        return None
    return outcome.language


def commented(marker: str, language: str | None) -> str:
    """Inside code or a config file, a pointer sits in a comment of its language or format
    (the file still parses)."""
    if language is None:
        return marker
    if language == "xml":
        return f"<!-- {marker} -->"
    return f"# {marker}" if language in _HASH_COMMENT else f"// {marker}"


def fits_json(text: str, runs: list[Run], keys: list[str | None]) -> bool:
    """A JSON document is pointed at whole or not at all (a pointer inside it would leave
    invalid JSON)."""
    if not parses_as_json(text):
        return True
    return len(runs) == 1 and runs[0].length >= sum(1 for k in keys if k is not None)


def runs_in_format(
    language: str | None,
    shown: str,
    lines: list[str],
    runs: list[Run],
    rewrite: Callable[[list[Run]], str],
    worth: Callable[[Run], bool],
) -> tuple[str, list[Run]] | None:
    """`rewrite(runs)` (the output with the runs as pointers), keeping only the runs that
    leave a code or config file readable (None: no run does): in YAML / TOML / INI the runs
    cut back to whole units; in XML and code the runs after which it still parses when it
    did before (a run closing elements or brackets it did not open does not)."""
    if language in _LINE_UNIT_FORMATS:
        runs = _whole_units(lines, runs, language, worth)
    text = rewrite(runs) if runs else ""
    parses = _parse_check(language, shown)
    if runs and parses is not None and not parses(text) and parses(shown):
        runs = [run for run in runs[:_RUNS_CHECKED] if parses(rewrite([run]))]
        text = rewrite(runs)
        if not parses(text):
            return None
    return (text, runs) if runs else None


def _parse_check(language: str | None, base: str) -> Callable[[str], bool] | None:
    """Whether a text of `language` parses: XML by expat, code by its tree-sitter grammar
    (no syntax error), each text read as an edit of `base` (see `_Reparse`); None for the
    formats checked by their units, or none."""
    if language == "xml":
        return parses_as_xml
    parser = parser_for(language) if language and language not in _LINE_UNIT_FORMATS else None
    if parser is None:
        return None
    return _Reparse(parser, base)


class _Reparse:
    """Whether texts parse with no syntax error, each told to tree-sitter as an edit of
    `base` (parsed once, when first asked): a pointer changes a few lines of an output the
    size of a source file, and tree-sitter reparses only around the change, where a parse
    from scratch would read the whole file for every run tried."""

    def __init__(self, parser: Any, base: str) -> None:
        self._parser = parser
        self._base = base.encode("utf-8", "replace")
        self._tree: Any = None

    def __call__(self, text: str) -> bool:
        if self._tree is None:
            self._tree = self._parser.parse(self._base)
        source = text.encode("utf-8", "replace")
        if source == self._base:
            return not self._tree.root_node.has_error
        start, old_end, new_end = changed_span(self._base, source)
        tree = edited(self._tree.copy(), self._base, [(start, old_end, source[start:new_end])])
        return not self._parser.parse(source, tree).root_node.has_error


def changed_span(old: bytes, new: bytes) -> tuple[int, int, int]:
    """The one span that turns `old` into `new`: where they first differ, and where that
    span ends in each (what lies past it is the same in both)."""
    limit = min(len(old), len(new))
    start = _common_length(old, new, limit, from_end=False)
    end = _common_length(old, new, limit - start, from_end=True)
    return start, len(old) - end, len(new) - end


def _common_length(old: bytes, new: bytes, limit: int, *, from_end: bool) -> int:
    """How many bytes (at most `limit`) `old` and `new` share at their start (or end),
    halving the span compared in C rather than stepping byte by byte."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if from_end:
            same = old[len(old) - middle :] == new[len(new) - middle :]
        else:
            same = old[:middle] == new[:middle]
        if same:
            low = middle
        else:
            high = middle - 1
    return low


def _whole_units(
    lines: list[str], runs: list[Run], language: str | None, worth: Callable[[Run], bool]
) -> list[Run]:
    """The runs of a YAML / TOML / INI output cut back to whole units: a run neither starts
    inside one (a value running on over lines, a multi-line array) nor ends before the end
    of a key, item or table it opens; else what is left of it would stand under another
    key, or alone, and the file read otherwise or not at all. A run cut too short to be
    worth a pointer goes."""
    tree = parse_yaml(lines) if language == "yaml" else parse_toml(lines)
    inside = tree.interiors()
    reach: dict[int, int] = {}  # line -> the last line of the units opening on it
    for node in tree.nodes:
        last = min(node.end, len(lines)) - 1
        while last > node.start and (not lines[last].strip() or last in tree.comments):
            last -= 1
        reach[node.start] = max(reach.get(node.start, last), last)
    out: list[Run] = []
    for run in runs:
        start, end = _longest_whole(run.start, run.start + run.length, inside, reach)
        cut = replace(run, start=start, line=run.line + start - run.start, length=end - start)
        if cut == run or (cut.length > 0 and worth(cut)):
            out.append(cut)
    return out


def _longest_whole(
    start: int, end: int, inside: set[int], reach: dict[int, int]
) -> tuple[int, int]:
    """The longest span of lines `start`..`end - 1` made of whole units: it starts inside
    none, and every unit opening in it ends in it (a unit reaching past the end splits the
    span: the lines before it, or its own lines after its opening line)."""
    best = (start, start)
    while start < end:
        while start < end and start in inside:
            start += 1
        index = start
        while index < end and reach.get(index, index) < end:
            index += 1
        if index - start > best[1] - best[0]:
            best = (start, index)
        start = index + 1
    return best
