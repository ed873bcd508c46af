"""An audit of every corpus file through the engine with default settings: outputs say only
what the original says, markers count truly, JSON parses, code parses, refs are exact."""

import json
import re

import pytest

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.markers import ANY_MARKER_RE, find_markers, split_lines
from headroom.compressors._grammars import parser_for
from tests.conftest import CorpusFile, corpus_files

FILES = corpus_files()
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
GAP = re.compile(r"^(\d+) (?:more identical )?(lines?|rows?)$")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, object]]:
    """Each corpus file compressed once (default settings), with the engine to redeem refs."""
    store = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('audit') / 'store.db'}")
    engine = Headroom(HeadroomConfig(), store=store)
    return {f.id: (engine.compress_text(f.text()), engine) for f in FILES}


@pytest.mark.parametrize("corpus_file", FILES, ids=lambda f: f.id)
def test_output_is_faithful_to_the_original(audited, corpus_file: CorpusFile) -> None:
    result, engine = audited[corpus_file.id]
    original = corpus_file.text()
    for marker in find_markers(result.text):
        assert engine.retrieve(marker.ref) == original  # every ref byte-exact
    if result.text == original:
        return
    kind = result.kind
    if kind == "json":
        json.loads(result.text)
    elif kind == "code":
        assert_no_new_syntax_errors(original, result.text, result.language)
    elif kind == "diff":
        assert_hunk_headers_count_their_lines(result.text)
    if kind == "listing":
        assert_rows_are_original_rows_or_cells_of_them(result.text, original)
    elif kind in ("log", "search", "text", "diff", "lines") and result.compressor != "html":
        assert_lines_come_from_the_original(result.text, original, kind)
    if kind in ("log", "lines"):
        assert_log_counts(result.text, original)
    if kind == "search":
        assert_search_counts(result.text, original)


def body_lines(text: str) -> list[str]:
    """The output up to its closing marker (logs put a documented summary after it)."""
    lines = text.split("\n")
    closing = max(i for i, line in enumerate(lines) if line.startswith("[headroom: kept "))
    return lines[:closing]


def assert_lines_come_from_the_original(text: str, original: str, kind: str) -> None:
    originals = {line.rstrip("\r") for line in split_lines(original)}
    lines = body_lines(text) if kind in ("log", "listing") else text.split("\n")
    for line in lines:
        bare = ANY_MARKER_RE.sub("", line)
        if not bare.strip() or ANY_MARKER_RE.fullmatch(line.strip()):
            continue  # a marker line, or a blank line between paragraphs
        if bare.startswith("[quoted headroom: ") or (kind == "diff" and HUNK.match(line)):
            continue  # diffs recompute the @@ header of a trimmed hunk (checked apart)
        if line != bare:  # a line cut with a marker after it (logs, long prose lines)
            head = bare.rstrip()
            assert any(o.startswith(head) or head in o for o in originals), line[:120]
            continue
        assert line in originals or line.strip() in {o.strip() for o in originals}, line[:160]


def assert_rows_are_original_rows_or_cells_of_them(text: str, original: str) -> None:
    """A listing's table form: each line is an original row with cells left out (the
    constant columns it states once, or all but the key cell), never a changed cell."""
    rows = [line.split() for line in split_lines(original) if line.split()]
    by_cell: dict[str, list[list[str]]] = {}
    for cells in rows:
        for cell in set(cells):
            by_cell.setdefault(cell, []).append(cells)
    for line in text.split("\n"):
        cells = line.split()
        if not cells or ANY_MARKER_RE.fullmatch(line.strip()):
            continue
        candidates = by_cell.get(cells[-1], [])
        assert any(_ordered_subset(cells, row) for row in candidates), line[:160]


def _ordered_subset(cells: list[str], row: list[str]) -> bool:
    remaining = iter(row)
    return all(cell in remaining for cell in cells)


def assert_log_counts(text: str, original: str) -> None:
    """Kept lines plus every gap of the body add up to the lines of the original."""
    total = len(split_lines(original))
    closing = find_markers(text)[-1]
    kept, of = re.match(r"kept (\d+) of (\d+) lines", closing.detail).groups()  # type: ignore[union-attr]
    assert int(of) == total
    shown = gaps = 0
    for line in body_lines(text):
        marker = ANY_MARKER_RE.fullmatch(line)
        gap = GAP.match(marker["detail"]) if marker else None
        if gap:
            gaps += int(gap.group(1))
        else:
            shown += 1
    assert shown == int(kept) and shown + gaps == total


def assert_search_counts(text: str, original: str) -> None:
    """The closing marker counts matches (`path:12:`), never grep's context lines."""
    matches = sum(1 for line in split_lines(original) if re.match(r"^[^\s:][^:\n]*?:\d+:", line))
    closing = find_markers(text)[-1]
    kept, of = re.match(r"kept (\d+) of (\d+) matches", closing.detail).groups()  # type: ignore[union-attr]
    assert int(of) == matches
    shown = sum(1 for line in text.split("\n") if re.match(r"^[^\s:][^:\n]*?:\d+:", line))
    assert shown == int(kept)


def assert_no_new_syntax_errors(original: str, text: str, language: str | None) -> None:
    parser = parser_for(language) if language else None
    assert parser is not None
    before = parser.parse(original.encode()).root_node.has_error
    assert before or not parser.parse(text.encode()).root_node.has_error


def assert_hunk_headers_count_their_lines(text: str) -> None:
    """Every `@@ -a,b +c,d @@` header counts the lines of its hunk, so the patch applies."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        header = HUNK.match(line)
        if not header:
            continue
        old = int(header.group(2) or 1)
        new = int(header.group(4) or 1)
        seen_old = seen_new = 0
        for body in lines[index + 1 :]:
            if seen_old >= old and seen_new >= new:
                break
            if body.startswith("\\"):
                continue  # "\ No newline at end of file"
            if body.startswith("-"):
                seen_old += 1
            elif body.startswith("+"):
                seen_new += 1
            elif body.startswith(" ") or body == "":
                seen_old += 1
                seen_new += 1
            else:
                break
        assert (seen_old, seen_new) == (old, new), line
