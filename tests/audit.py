"""The integrity audit of compressed output, shared by `make test` and `make bench-wild`.

The rule (DESIGN "Integrity"): every output line is a verbatim original line (white space
around it ignored), or carries a marker, with at most the start of an original line before
the marker and, after it, the end of the line where the elided span ends (an "omitted, N
lines" detail says where); payloads of a lossless table kind are exempt, and a diff may
recompute its `@@` hunk headers. Counts in markers are exact: where the output is nothing
but original lines and gap markers, kept lines plus gap counts give the original's lines.

This mirrors `../shared/tools/integrity.py`, so the test and the judged figure agree, with
one difference: marker-like text of the original is compared in its neutralised form
(`[quoted headroom: ...`), since the engine neutralises it on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from headroom.ccr.markers import neutralise_markers, split_lines

__all__ = [
    "ANY_MARKER",
    "TABLE_KINDS",
    "Audit",
    "audit",
    "count_errors",
    "marker_tokens",
    "violations",
]

ANY_MARKER = re.compile(r"\[headroom:[^\]]*\]")
"""Anything that looks like a marker, well formed or not."""
_IN_COMMENT = re.compile(
    r"(/\*|<!--)\s*\[headroom:[^\]]*\]\s*(\*/|-->)|(#|//|--)\s*\[headroom:[^\]]*\]"
)
_GAP = re.compile(r"\[headroom: (\d+) lines?\]")
_CLOSING = re.compile(r"\[headroom: kept (\d+) of (\d+) lines?; headroom_retrieve ref=[0-9a-f]+\]")
_OMITTED = re.compile(r"omitted, (\d+) lines")
_TRIM = " \t})];,"
TABLE_KINDS = frozenset({"json", "jsonl", "csv", "html", "listing"})
"""Kinds whose documented lossless table form may re-render lines (needles count there
as the value itself, not the line)."""


@dataclass(frozen=True)
class Audit:
    """What the audit found in one compressed payload."""

    violations: list[str]
    count_errors: list[str]
    output_tokens: int
    marker_tokens: int


def audit(original: str, compressed: str, kind: str, count: Callable[[str], int]) -> Audit:
    """The integrity findings and marker economy of `compressed`, the output for `original`
    (a payload of `kind`), counting tokens with `count`."""
    exempt = kind in TABLE_KINDS
    return Audit(
        violations=[] if exempt else violations(original, compressed, kind),
        count_errors=[] if exempt else count_errors(original, compressed),
        output_tokens=count(compressed),
        marker_tokens=marker_tokens(compressed, count),
    )


def marker_tokens(compressed: str, count: Callable[[str], int]) -> int:
    """Tokens spent on marker text in `compressed`."""
    return sum(count(found) for found in ANY_MARKER.findall(compressed))


def violations(original: str, compressed: str, kind: str) -> list[str]:
    """The output lines that break the integrity rule (see the module docstring)."""
    olines = [line.strip() for line in neutralise_markers(original).splitlines()]
    known = set(olines) | {line.strip() for line in original.splitlines()}
    bad = []
    for out in compressed.splitlines():
        line = out.strip()
        if not line or line in known:
            continue
        if kind == "diff" and line.startswith("@@") and line.count("@@") >= 2:
            continue
        if "[headroom:" not in line:
            bad.append(out)
        elif not _is_marker_line(line) and not _marker_fits(line, olines):
            bad.append(out)
    return bad


def _is_marker_line(line: str) -> bool:
    return line.startswith("[headroom:") and line.endswith("]") and line.count("[headroom:") == 1


def _marker_fits(line: str, olines: list[str]) -> bool:
    """A marker inside a line: the start of an original line before it, the end of the
    line where the elided span ends after it."""
    found = _IN_COMMENT.search(line) or ANY_MARKER.search(line)
    assert found is not None  # the caller saw "[headroom:" in the line
    before, after = line[: found.start()].strip(), line[found.end() :].strip()
    after = re.sub(r"\s*(//|#).*$", "", after).strip(_TRIM)
    after = ANY_MARKER.sub("", after).strip()
    starts = [i for i, original in enumerate(olines) if before and original.startswith(before)]
    if before and before not in ("...", "pass") and not starts:
        return False
    if not after:
        return True
    omitted = _OMITTED.search(found.group(0))
    if omitted and starts:
        span = int(omitted.group(1))
        ends = (j for i in starts for j in range(i + span, min(i + span + 3, len(olines))))
        return any(olines[j].strip(_TRIM).endswith(after) for j in ends)
    return any(original.strip(_TRIM).endswith(after) for original in olines)


def count_errors(original: str, compressed: str) -> list[str]:
    """Where `compressed` is only original lines, `[headroom: N lines]` gaps and a closing
    `kept K of T lines` marker, whether the counts add up; a list of what does not."""
    olines = split_lines(neutralise_markers(original))
    known = {line.strip() for line in olines}
    kept = gaps = 0
    closing: tuple[int, int] | None = None
    for out in compressed.split("\n"):
        line = out.strip()
        gap, close = _GAP.fullmatch(line), _CLOSING.fullmatch(line)
        if gap:
            gaps += int(gap.group(1))
        elif close:
            closing = (int(close.group(1)), int(close.group(2)))
        elif "[headroom:" in line or line not in known:
            return []  # not pure lines and gaps: the per-line rule covers it
        else:
            kept += 1
    if not gaps and closing is None:
        return []  # nothing was cut
    errors = []
    if kept + gaps != len(olines):
        errors.append(f"{kept} kept + {gaps} in gaps != {len(olines)} original lines")
    if closing is not None and closing != (kept, len(olines)):
        errors.append(
            f"closing marker says kept {closing[0]} of {closing[1]}, "
            f"output has {kept} of {len(olines)}"
        )
    return errors
