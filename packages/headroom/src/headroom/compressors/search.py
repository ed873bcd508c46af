"""Search-result compression: `path:line:text` output of grep / ripgrep, grouped by file.

Every file keeps its name and its count of matches; within the budget the matches kept
are the ones most relevant to the query (BM25-style), at most `_PER_FILE` per file before
the rest of the budget is shared out, always in their original order and format, so
`path:line:` stays greppable. A file's omitted matches are counted in one marker line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.ccr.markers import format_marker, format_note, split_lines
from headroom.compressors._ranking import ERROR_RE, relevance
from headroom.compressors.base import CompressContext, Compressed
from headroom.detect import ContentKind
from headroom.query import lines_with, query_terms

__all__ = ["SearchCompressor"]

_MATCH = re.compile(r"^(?P<path>[^\s:][^:\n]*?)(?P<sep>[:-])(?P<line>\d+)(?P=sep)")
_PER_FILE = 3


@dataclass(frozen=True)
class _Hit:
    index: int
    path: str
    text: str


class SearchCompressor:
    """grep / ripgrep results: per-file and total caps, ranked by query relevance."""

    kind: ContentKind = "search"
    name = "search"

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        raw = split_lines(text)
        hits = _parse(raw)
        if len(hits) < 8 or ctx.counter.count(text) <= ctx.budget_tokens:
            return None  # within budget: nothing is worth losing
        terms = sorted(query_terms(ctx.query))
        scores = relevance([h.text for h in hits], terms)
        kept = _choose(hits, scores, ctx)
        if len(kept) == len(hits):
            return None
        out = _render(raw, hits, kept, ctx.ref)
        closing = format_marker(ctx.ref, len(kept), len(hits), "matches")
        return Compressed(f"{out}\n{closing}", ctx.ref, len(kept), len(hits), "matches")


def _parse(raw: list[str]) -> list[_Hit]:
    hits: list[_Hit] = []
    for index, line in enumerate(raw):
        match = _MATCH.match(line)
        if match:
            hits.append(_Hit(index, match["path"], line.rstrip("\r")))
    return hits


def _choose(hits: list[_Hit], scores: list[float], ctx: CompressContext) -> set[int]:
    """Indices into `hits`: each file's best match first, then each file's second best, up to
    `_PER_FILE` per file; then the best of the rest, all within the budget."""
    by_score = sorted(
        range(len(hits)), key=lambda i: (-scores[i], -bool(ERROR_RE.search(hits[i].text)), i)
    )
    rank: dict[int, int] = {}
    seen: dict[str, int] = {}
    for i in by_score:
        rank[i] = seen.get(hits[i].path, 0)
        seen[hits[i].path] = rank[i] + 1
    order = sorted(by_score, key=lambda i: (min(rank[i], _PER_FILE), -scores[i], i))
    # Matches holding a phrase the question quotes are kept whatever they cost.
    kept = set(lines_with([hit.text for hit in hits], ctx.focus))
    spent = sum(ctx.counter.count(hits[i].text) + 1 for i in kept)
    for i in order:
        cost = ctx.counter.count(hits[i].text) + 1
        if i not in kept and spent + cost <= ctx.budget_tokens:
            kept.add(i)
            spent += cost
    return kept


def _render(raw: list[str], hits: list[_Hit], kept: set[int], ref: str) -> str:
    """Original line order; after each run of a file's lines, a count of its omitted ones.
    Files with no match kept are named, with their counts, in one closing marker."""
    by_line = {hit.index: i for i, hit in enumerate(hits)}
    shown_paths = {hits[i].path for i in kept}
    hidden: dict[str, int] = {}
    out: list[str] = []
    run_path: str | None = None
    run_total = run_missing = 0

    def close_run() -> None:
        if run_missing and run_path in shown_paths:
            out.append(
                format_note(ref, f"{run_path}: {run_missing} of {run_total} matches omitted")
            )

    for index, line in enumerate(raw):
        hit_index = by_line.get(index)
        if hit_index is None:
            if line.strip() and line.strip() != "--":
                out.append(line.rstrip("\r"))  # grep's own messages are always kept
            continue
        hit = hits[hit_index]
        if hit.path != run_path:
            close_run()
            run_path, run_total, run_missing = hit.path, 0, 0
        run_total += 1
        if hit_index in kept:
            out.append(hit.text)
        else:
            run_missing += 1
            if hit.path not in shown_paths:
                hidden[hit.path] = hidden.get(hit.path, 0) + 1
    close_run()
    if hidden:
        listing = ", ".join(f"{path} {count}" for path, count in hidden.items())
        out.append(
            format_note(ref, f"{len(hidden)} more files, matches omitted per file: {listing}")
        )
    return "\n".join(out)
