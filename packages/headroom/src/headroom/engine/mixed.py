"""Mixed payloads: a build log with a diff in it, a report with a traceback and a JSON blob.

When no detector is sure of a whole payload, it is cut at blank lines into blocks, each
block asked of the detectors on its own, and runs of blocks of one confident kind become a
part. A payload of two or more kinds is compressed part by part, each by its kind's
compressor within a share of the budget proportional to its size; a block no detector is
sure of joins the part before it (or after it, at the start). A multi-file `head` / `tail`
output (`==> name <==` before each file) is cut at those headers instead: each file is a
part of the kind its own lines are, and each header stays, naming the file its lines come
from. Parts are whole lines, so the output is the parts' outputs joined line by line, and
every marker counts within its part. One ref covers the whole payload. A JSON or XML
document after a few lines of something else (`curl -i`: a status line and headers; a
command's warning before its `-o json` output) is a part of its own, between those lines
kept as they are, and so is one fenced block (`` ``` ``) with a few lines around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from headroom.ccr.markers import format_marker, split_lines
from headroom.compressed import Compressed
from headroom.compressors.base import CompressContext, Compressor
from headroom.engine.detect import FALLBACK_KIND, FILE_HEADER, LIKELY, POSSIBLE, Detection
from headroom.engine.wellformed import parse_json_payload, parses_as_xml

__all__ = [
    "MIXED_KIND",
    "Part",
    "compress_parts",
    "split_files",
    "split_document",
    "split_fenced",
    "split_parts",
]

MIXED_KIND = "mixed"

_MIN_LINES = 40  # payloads shorter than this are never split
_MIN_BLOCK_LINES = 4  # a block shorter than this takes the kind of its neighbours
_MIN_PART_LINES = 12  # a part shorter than this is not worth a compressor of its own
_MAX_BLOCKS = 400  # detection of a payload is bounded: past this many blocks, no split
# Kinds whose compressors re-encode their payload (tables, visible text): inside a mixed
# payload their blocks stay lines of the part around them.
_WHOLE_PAYLOAD_KINDS = frozenset({"json", "jsonl", "csv", "html", "binary"})
_MIN_FILES = 2
_STRUCTURED = frozenset({"config"})  # kinds whose compressor reads one format's syntax
_LINES = Detection(FALLBACK_KIND, confidence=0.0)  # lines of no kind: the generic compressor's
_HEADER = Detection("file header", confidence=1.0)  # no compressor: kept as it is
_AROUND = Detection("around a document", confidence=1.0)  # no compressor: kept as it is
_MAX_AROUND_LINES = 64  # lines before (or after) a JSON body that leave it the payload's body
_CLOSING_TRIES = 3  # lines ending as a document does, tried as its end, from the last
# A Markdown fence line, stripped: its info string (`python`, Cursor's `12:40:src/app.py`)
# holds no backtick.
_FENCE = re.compile(r"(?:```|~~~)[^`]*")
_MIN_DOCUMENT_CHARS = 2000  # a document of fewer lines than a part is still one at this size
_LINES_CLOSING = re.compile(
    r"\[headroom: kept (?P<kept>\d+) of (?P<total>\d+) lines; "
    r"headroom_retrieve ref=(?P<ref>[0-9a-f]{16})\]"
)


@dataclass(frozen=True)
class Part:
    """Lines `start` to `end` (exclusive) of a payload, of one kind."""

    start: int
    end: int
    detection: Detection


def split_parts(text: str, detect: Callable[[str], Detection]) -> list[Part]:
    """The parts of `text` when it holds two or more confidently detected kinds, else []."""
    lines = split_lines(text)
    if len(lines) < _MIN_LINES:
        return []
    blocks = _blocks(lines)
    if len(blocks) < 2 or len(blocks) > _MAX_BLOCKS:
        return []
    kinds: list[Detection | None] = []
    for start, end in blocks:
        if end - start < _MIN_BLOCK_LINES:
            kinds.append(None)
            continue
        found = detect("\n".join(lines[start:end]))
        confident = found.confidence >= POSSIBLE and found.kind not in _WHOLE_PAYLOAD_KINDS
        kinds.append(found if confident else None)
    parts = _merged(blocks, kinds)
    distinct = {part.detection.kind for part in parts}
    sure = any(part.detection.confidence >= LIKELY for part in parts)
    if len(parts) < 2 or len(distinct) < 2 or not sure:
        return []
    return parts


def split_files(text: str, detect: Callable[[str], Detection]) -> list[Part]:
    """The files of a multi-file `head` / `tail` output, each a part of the kind its lines
    are, with the header line naming it a part of its own that stays as it is; [] when
    `text` holds fewer than two such headers."""
    if text.count(" <==") < _MIN_FILES:
        return []  # the quick no
    lines = split_lines(text)
    headers = [i for i, line in enumerate(lines) if FILE_HEADER.fullmatch(line.strip())]
    if len(headers) < _MIN_FILES or len(lines) < _MIN_LINES:
        return []
    parts: list[Part] = []
    for position, header in enumerate(headers):
        if position == 0 and header > 0:
            parts.append(Part(0, header, detect("\n".join(lines[:header]))))
        end = headers[position + 1] if position + 1 < len(headers) else len(lines)
        parts.append(Part(header, header + 1, _HEADER))
        if end > header + 1:
            parts.append(Part(header + 1, end, detect("\n".join(lines[header + 1 : end]))))
    return parts


def split_document(text: str, detect: Callable[[str], Detection]) -> list[Part]:
    """A JSON or XML document with at most `_MAX_AROUND_LINES` lines of something else
    before or after it, as parts: those lines (kept as they are) and the document (a part
    of the kind its detector says); [] when `text` holds no such document. A JSON document
    opens on a line starting `{` or `[` and closes on a line ending `}` or `]`, an XML one
    opens on a line starting `<` and closes on a line ending `>`: of the last three such
    lines, the last that leaves the document parsing whole."""
    lines = split_lines(text)
    head = min(len(lines), _MAX_AROUND_LINES + 1)
    start = next((i for i in range(head) if lines[i][:1] in ("{", "[", "<")), None)
    if start is None:
        return []  # the quick no
    xml = lines[start][:1] == "<"
    before = any(line.strip() for line in lines[:start])
    end, after, tries = len(lines), 0, 0  # back from the end to the line closing it
    while True:
        if end <= start or after > _MAX_AROUND_LINES or tries == _CLOSING_TRIES:
            return []
        if _closes(lines[end - 1], xml):
            if not before and not after:
                return []  # the document alone: no part of something else around it
            piece = "\n".join(lines[start:end])
            if _parses(piece, xml):
                break
            tries += 1  # a footer line that ends as a document does (`[exit status 1]`)
        after += bool(lines[end - 1].strip())
        end -= 1
    if end - start < _MIN_PART_LINES and len(piece) < _MIN_DOCUMENT_CHARS:
        return []  # a few short lines (a one-line document may be long)
    found = detect(piece)
    if found.kind == FALLBACK_KIND or (not xml and found.parsed is None):
        return []  # no detector claims it (an XML one's parse is the evidence enough)
    return _body_parts(start, end, len(lines), found)


def split_fenced(text: str, detect: Callable[[str], Detection]) -> list[Part]:
    """One fenced block (`` ``` `` or `~~~`, a language after the opening fence or not) with
    at most `_MAX_AROUND_LINES` lines of something else before or after it, as parts: the
    block's lines (a part of the kind its detector says, when one claims them) between the
    fences and the lines around (kept as they are); [] when `text` is no such payload."""
    if "```" not in text and "~~~" not in text:
        return []  # the quick no
    lines = split_lines(text)
    head = min(len(lines), _MAX_AROUND_LINES + 1)
    opening = next((i for i in range(head) if _FENCE.fullmatch(lines[i].strip())), None)
    if opening is None:
        return []
    fence = lines[opening].strip()[:3]
    closing, after = len(lines) - 1, 0
    while closing > opening and lines[closing].strip() != fence:
        after += bool(lines[closing].strip())
        if after > _MAX_AROUND_LINES:
            return []
        closing -= 1
    block = lines[opening + 1 : closing]
    if len(block) < _MIN_PART_LINES or any(_FENCE.fullmatch(line.strip()) for line in block):
        return []  # a short block, or several: prose with code in it
    found = detect("\n".join(block))
    if found.kind == FALLBACK_KIND:
        return []
    return _body_parts(opening + 1, closing, len(lines), found)


def _body_parts(start: int, end: int, count: int, found: Detection) -> list[Part]:
    """Lines `start`..`end` of `count` as a part detected as `found`, between the lines
    before and after them (when there are any), kept as they are."""
    before = [Part(0, start, _AROUND)] if start else []
    after = [Part(end, count, _AROUND)] if end < count else []
    return [*before, Part(start, end, found), *after]


def _parses(piece: str, xml: bool) -> bool:
    """Whether `piece` is one XML or JSON document (parsed in C)."""
    return parses_as_xml(piece) if xml else parse_json_payload(piece) is not None


def _closes(line: str, xml: bool) -> bool:
    """Whether `line` may close a document: it ends with `>` (XML) or `}` or `]` (JSON)."""
    return line.rstrip().endswith(">" if xml else ("}", "]"))


def compress_parts(
    text: str,
    parts: Sequence[Part],
    registry: dict[str, Compressor],
    ctx: CompressContext,
) -> Compressed | None:
    """Each part by its kind's compressor within its share of the budget; None when no
    part changed. When every changed part closes on a `kept K of T lines` marker, those
    give way to one closing marker counting the whole payload's lines."""
    lines = split_lines(text)
    total = ctx.counter.count(text)
    outputs: list[_PartOutput] = []
    for part in parts:
        end = part.end
        while end > part.start + 1 and not lines[end - 1].strip():
            end -= 1  # trailing blank lines stay as they are (a compressor drops them)
        piece = "\n".join(lines[part.start : end])
        blanks = lines[end : part.end]
        compressor = registry.get(part.detection.kind)
        result = None
        if compressor is not None:
            piece_tokens = ctx.counter.count(piece)
            share = ctx.budget_tokens * piece_tokens // max(1, total)
            part_ctx = replace(
                ctx,
                budget_tokens=max(1, share),
                language=part.detection.language,
                parsed=part.detection.parsed if end == part.end else None,
            )
            result = compressor.compress(piece, part_ctx)
            fallback = registry.get(FALLBACK_KIND)
            if result is None and fallback not in (None, compressor) and piece_tokens > share:
                # Over its share and declined (as the router does for a whole payload): the
                # generic line compressor holds on anything.
                result = fallback.compress(piece, part_ctx)
        if result is None or result.text == piece:
            whole = "\n".join([piece, *blanks])
            outputs.append(_PartOutput(whole, whole, part.end - part.start, False))
            continue
        body, kept = _without_closing(result.text, ctx.ref)
        outputs.append(
            _PartOutput(
                "\n".join([result.text, *blanks]),
                None if kept is None else "\n".join([body, *blanks]),
                None if kept is None else kept + len(blanks),
                True,
            )
        )
    changed = sum(o.changed for o in outputs)
    if not changed:
        return None
    if all(o.kept is not None for o in outputs):
        kept = sum(o.kept or 0 for o in outputs)
        closing = format_marker(ctx.ref, kept, len(lines), "lines")
        out = "\n".join([*(o.body or "" for o in outputs), closing])
    else:  # a part closes in its own way (code, a table): each keeps its own closing
        out = "\n".join(o.text for o in outputs)
    return Compressed(
        text=out, ref=ctx.ref, kept=len(parts) - changed, total=len(parts), unit="parts"
    )


@dataclass(frozen=True)
class _PartOutput:
    """A part's output: as its compressor closed it, and without a closing that counts
    its lines (None when it has none) with the lines it kept."""

    text: str
    body: str | None
    kept: int | None
    changed: bool


def _without_closing(text: str, ref: str) -> tuple[str, int | None]:
    """`text` without its closing `kept K of T lines` marker line, and K; (text, None)
    when it does not close on one."""
    head, _, last = text.rpartition("\n")
    found = _LINES_CLOSING.fullmatch(last.strip())
    if found is None or found["ref"] != ref:
        return text, None
    return head, int(found["kept"])


def _blocks(lines: Sequence[str]) -> list[tuple[int, int]]:
    """Runs of lines separated by blank lines; the blank lines go with the run before."""
    blocks: list[tuple[int, int]] = []
    start = 0
    previous_blank = False
    for index, line in enumerate(lines):
        blank = not line.strip()
        if not blank and previous_blank and index > start:
            blocks.append((start, index))
            start = index
        previous_blank = blank
    blocks.append((start, len(lines)))
    return blocks


def _merged(blocks: list[tuple[int, int]], kinds: list[Detection | None]) -> list[Part]:
    """Runs of blocks of one kind as parts; undecided blocks join their neighbour, unless
    it is a structured format (a config file's XML or YAML: a shell script around its
    here-document is no XML) when they make a part of lines; parts too short to compress on
    their own join the one before, unless it is structured."""
    parts: list[Part] = []
    pending_start: int | None = None
    for (start, end), kind in zip(blocks, kinds, strict=True):
        if kind is None and parts and parts[-1].detection.kind in _STRUCTURED:
            parts.append(Part(start, end, _LINES))
            continue
        if kind is None or (parts and parts[-1].detection.kind == kind.kind):
            if parts:
                parts[-1] = replace(parts[-1], end=end)
            elif pending_start is None:
                pending_start = start
            continue
        if pending_start is not None and kind.kind in _STRUCTURED:
            parts.append(Part(pending_start, start, _LINES))
            pending_start = None
        parts.append(Part(start if pending_start is None else pending_start, end, kind))
        pending_start = None
    if not parts:
        return []
    joined: list[Part] = [parts[0]]
    for part in parts[1:]:
        previous = joined[-1]
        same = previous.detection.kind == part.detection.kind
        short = part.end - part.start < _MIN_PART_LINES
        if same or (short and previous.detection.kind not in _STRUCTURED):
            joined[-1] = replace(previous, end=part.end)
        else:
            joined.append(part)
    return joined
