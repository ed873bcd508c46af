"""Search-result compression: `path:line:text` output of grep / ripgrep, grouped by file.

Every file keeps its name and its count of matches; within the budget the matches kept
are the ones most relevant to the query (BM25-style), taken file by file in turn (each
file's best, then each file's second best, ...) so the budget is shared over the files,
always in their original order and format, so `path:line:` stays greppable. A file's omitted matches are counted in one marker line.
`grep -C` context lines (`path-12-`) are not matches: they stay only around kept matches,
after every match the budget allows, and the marker counts them apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

from headroom.ccr.markers import format_detail, format_marker, split_lines
from headroom.compressors._ranking import ERROR_RE, relevance, spread_order
from headroom.compressors.base import MARKER_TOKENS, CompressContext, Compressed, token_estimator
from headroom.engine.detect import ContentKind, Detection, Sample, search_evidence
from headroom.engine.query import lines_with, query_terms

__all__ = ["SearchCompressor"]

_MATCH = re.compile(r"^(?P<path>[^\s:][^:\n]*?)(?P<sep>[:-])(?P<line>\d+)(?P=sep)")


class _Hit(NamedTuple):
    line: int
    """Its index among the payload's lines."""
    path: str
    text: str
    context: bool = False
    """A `grep -C` context line (`path-12-...`), not a match."""
    block: int = 0
    """Lines between two `--` separators (or file changes) share a block."""


class SearchCompressor:
    """grep / ripgrep results: per-file and total caps, ranked by query relevance."""

    kind: ContentKind = "search"
    name = "search"
    max_confidence = 0.9  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Most lines `path:line:` matches or `path-line-` context."""
        return Detection("search", confidence=0.9) if search_evidence(sample) else None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        raw = split_lines(text)
        lines = _parse(raw)
        hits = [line for line in lines if not line.context]
        if len(hits) < 8 or ctx.counter.count(text) <= ctx.budget_tokens:
            return None  # within budget: nothing is worth losing
        terms = sorted(query_terms(ctx.query))
        scores = relevance([h.text for h in hits], terms)
        estimate = token_estimator(text, ctx.counter)
        costs = [estimate(hit.text) + 1 for hit in hits]
        kept = _choose(hits, scores, costs, ctx, estimate)
        kept_lines = {hits[i].line for i in kept}
        spent = sum(costs[i] for i in kept)
        context = _context_of(lines, kept_lines, spent, ctx, estimate)
        # A context line the question quotes stays too, like a quoted match.
        context |= {lines[i].line for i in lines_with([ln.text for ln in lines], ctx.focus)}
        if len(kept) == len(hits) and len(context) == len(lines) - len(hits):
            return None
        out = _render(raw, lines, kept_lines | context)
        closing = format_marker(ctx.ref, len(kept), len(hits), "matches")
        return Compressed(
            text=f"{out}\n{closing}", ref=ctx.ref, kept=len(kept), total=len(hits), unit="matches"
        )


def _parse(raw: list[str]) -> list[_Hit]:
    """Matches (`path:12:`) and context lines (`path-12-`), each with its block."""
    found: list[_Hit] = []
    block = 0
    previous_path: str | None = None
    for index, line in enumerate(raw):
        if line.strip() == "--":
            block += 1
            continue
        match = _MATCH.match(line)
        if match:
            if match["path"] != previous_path:
                block += 1
                previous_path = match["path"]
            found.append(_Hit(index, match["path"], line.rstrip("\r"), match["sep"] == "-", block))
    return found


def _context_of(
    lines: list[_Hit],
    kept_lines: set[int],
    spent: int,
    ctx: CompressContext,
    estimate: Callable[[str], int],
) -> set[int]:
    """Context lines of the blocks whose matches are kept, as the budget the matches left
    (`spent` of it used) allows: grep's context goes before any match does."""
    live_blocks = {line.block for line in lines if line.line in kept_lines}
    chosen: set[int] = set()
    for line in lines:
        if line.context and line.block in live_blocks:
            cost = estimate(line.text) + 1
            if spent + cost > ctx.budget_tokens:
                break
            chosen.add(line.line)
            spent += cost
    return chosen


def _choose(
    hits: list[_Hit],
    scores: list[float],
    costs: list[int],
    ctx: CompressContext,
    estimate: Callable[[str], int],
) -> set[int]:
    """Indices into `hits`: each file's best match first, then each file's second best, and
    so on, within the budget; among equals, files spread over the listing (its first, its
    middle, its quarters, ...), not its first ones. What the markers cost is paid: a file not
    shown is named with its count in the closing note, a shown file that loses matches
    says so in a marker of its own."""
    by_score = sorted(
        range(len(hits)), key=lambda i: (-scores[i], -bool(ERROR_RE.search(hits[i].text)), i)
    )
    rank: dict[int, int] = {}
    seen: dict[str, int] = {}
    for i in by_score:
        rank[i] = seen.get(hits[i].path, 0)
        seen[hits[i].path] = rank[i] + 1
    files = list(dict.fromkeys(hit.path for hit in hits))
    spread = {files[k]: position for position, k in enumerate(spread_order(len(files)))}
    order = sorted(by_score, key=lambda i: (rank[i], -scores[i], spread[hits[i].path], i))
    per_file = Counter(hit.path for hit in hits)
    named = {path: estimate(f"{path} {count}, ") for path, count in per_file.items()}
    # Matches holding a phrase the question quotes are kept whatever they cost.
    kept = set(lines_with([hit.text for hit in hits], ctx.focus))
    shown = {hits[i].path for i in kept}
    spent = sum(costs[i] for i in kept) + MARKER_TOKENS  # the closing note's own words
    spent += sum(cost for path, cost in named.items() if path not in shown)
    for i in order:
        cost = costs[i]
        path = hits[i].path
        if path not in shown:
            # Shown, a file leaves the closing note and, when it has more matches than are
            # kept, brings a marker of its own.
            cost += MARKER_TOKENS * (per_file[path] > 1) - named[path]
        if i not in kept and spent + cost <= ctx.budget_tokens:
            kept.add(i)
            shown.add(path)
            spent += cost
    return kept


def _render(raw: list[str], lines: list[_Hit], kept: set[int]) -> str:
    """Original line order; after each run of a file's lines, a count of its omitted
    matches (and context lines). Files with no match kept are named, with their counts, in
    one closing marker."""
    by_index = {line.line: line for line in lines}
    shown_paths = {by_index[i].path for i in kept if not by_index[i].context}
    unshown = [line for line in lines if line.path not in shown_paths and line.line not in kept]
    hidden = Counter(line.path for line in unshown if not line.context)
    hidden_context = sum(1 for line in unshown if line.context)
    out: list[str] = []
    run_path: str | None = None
    run_total = run_missing = context_missing = 0

    def close_run() -> None:
        if run_path in shown_paths and (run_missing or context_missing):
            parts = [f"{run_missing} of {run_total} matches"] if run_missing else []
            if context_missing:
                parts.append(f"{context_missing} context lines")
            out.append(format_detail(", ".join(parts)))

    for index, text in enumerate(raw):
        line = by_index.get(index)
        if line is None:
            if text.strip() and text.strip() != "--":
                out.append(text.rstrip("\r"))  # grep's own messages are always kept
            continue
        if line.path != run_path:
            close_run()
            run_path, run_total, run_missing, context_missing = line.path, 0, 0, 0
        run_total += not line.context
        if index in kept:
            out.append(line.text)
        elif line.context:
            context_missing += 1
        else:
            run_missing += 1
    close_run()
    if hidden:
        out.append(_hidden_files_note(hidden, hidden_context))
    return "\n".join(out)


def _hidden_files_note(hidden: Counter[str], context_lines: int) -> str:
    """One marker for the files none of whose matches were kept."""
    listing = ", ".join(f"{path} {count}" for path, count in hidden.items())
    detail = f"{len(hidden)} more files, their matches: {listing}"
    if context_lines:
        detail += f", and {context_lines} context lines"
    return format_detail(detail)
