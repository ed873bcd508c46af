"""Diff compression: every file header kept, context trimmed, hunks ranked within budget.

Unified diffs (`git diff`, `git show`, `diff -u`). The commit header and every file's
header lines always stay, so no file is silently dropped. Lockfiles and generated files
are summarised as `+added -removed` in a marker. Elsewhere unchanged context is trimmed to
one line around each change, then, if still over budget, whole hunks are dropped, least
relevant to the query and largest first. Each file that lost anything ends with one marker
that counts its omitted hunks and trimmed lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from headroom.ccr.markers import format_marker, format_note
from headroom.compressors._ranking import relevance
from headroom.compressors.base import CompressContext, Compressed
from headroom.detect import ContentKind
from headroom.query import query_terms

__all__ = ["DiffCompressor"]

_HUNK = re.compile(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@")
_PATH = re.compile(r"^(?:\+\+\+|---) (?:[ab]/)?(\S+)|^diff --git a/(\S+)")
_GENERATED = re.compile(
    r"(^|/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|poetry\.lock|uv\.lock|"
    r"Gemfile\.lock|composer\.lock|go\.sum|Pipfile\.lock|[^/]+\.lock)$|\.min\.(js|css)$|(^|/)(dist|vendor)/"
)
_CONTEXT = 1


@dataclass
class _Hunk:
    lines: list[str]

    @property
    def changes(self) -> int:
        return sum(1 for line in self.lines[1:] if line[:1] in "+-")


@dataclass
class _File:
    header: list[str]
    hunks: list[_Hunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        for line in self.header:
            match = _PATH.match(line)
            if match and (match[1] or match[2]) != "/dev/null":
                return match[1] or match[2]
        return "?"


class DiffCompressor:
    """Unified diffs: headers kept, lockfiles summarised, context trimmed, hunks ranked."""

    kind: ContentKind = "diff"
    name = "diff"

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        preamble, files = _parse(text.split("\n"))
        hunk_total = sum(len(f.hunks) for f in files)
        if not files or hunk_total == 0:
            return None
        trimmed = {id(h): _trim(h) for f in files for h in f.hunks}
        kept = _choose(files, trimmed, ctx, preamble)
        out = list(preamble)
        for file in files:
            out.extend(_render_file(file, trimmed, kept, ctx.ref))
        kept_count = sum(1 for f in files for h in f.hunks if id(h) in kept)
        out.append(format_marker(ctx.ref, kept_count, hunk_total, "hunks"))
        return Compressed("\n".join(out), ctx.ref, kept_count, hunk_total, "hunks")


def _parse(raw: list[str]) -> tuple[list[str], list[_File]]:
    lines = [line.rstrip("\r") for line in raw]
    preamble: list[str] = []
    files: list[_File] = []
    for index, line in enumerate(lines):
        current = files[-1] if files else None
        if _starts_file(lines, index, current):
            files.append(_File([line]))
        elif current is None:
            preamble.append(line)
        elif _HUNK.match(line):
            current.hunks.append(_Hunk([line]))
        elif current.hunks:
            current.hunks[-1].lines.append(line)
        else:
            current.header.append(line)
    return preamble, files


def _starts_file(lines: list[str], index: int, current: _File | None) -> bool:
    line = lines[index]
    if line.startswith("diff "):
        return True
    # A bare `diff -u` file starts with ---/+++; inside a git file section they are header.
    following = lines[index + 1] if index + 1 < len(lines) else ""
    is_pair = line.startswith("--- ") and following.startswith("+++ ")
    return is_pair and (current is None or bool(current.hunks))


def _trim(hunk: _Hunk) -> tuple[list[str], int]:
    """The hunk with unchanged context cut to `_CONTEXT` lines around changes."""
    body = hunk.lines[1:]
    near: set[int] = set()
    for i, line in enumerate(body):
        if line[:1] in "+-\\":
            near.update(range(i - _CONTEXT, i + _CONTEXT + 1))
    kept = [line for i, line in enumerate(body) if i in near or line[:1] in "+-\\"]
    return [hunk.lines[0], *kept], len(body) - len(kept)


def _choose(
    files: list[_File],
    trimmed: dict[int, tuple[list[str], int]],
    ctx: CompressContext,
    preamble: list[str],
) -> set[int]:
    count = ctx.counter.count
    spent = count("\n".join(preamble)) + sum(count("\n".join(f.header)) + 25 for f in files)
    hunks = [h for f in files if not _GENERATED.search(f.path) for h in f.hunks]
    texts = ["\n".join(trimmed[id(h)][0]) for h in hunks]
    scores = relevance(texts, sorted(query_terms(ctx.query)))
    order = sorted(range(len(hunks)), key=lambda i: (-scores[i], len(texts[i]), i))
    kept: set[int] = set()
    for i in order:
        cost = count(texts[i]) + 1
        if spent + cost <= ctx.budget_tokens or not kept:
            kept.add(id(hunks[i]))
            spent += cost
    return kept


def _render_file(
    file: _File, trimmed: dict[int, tuple[list[str], int]], kept: set[int], ref: str
) -> list[str]:
    out = list(file.header)
    if _GENERATED.search(file.path):
        added = sum(1 for h in file.hunks for line in h.lines[1:] if line.startswith("+"))
        removed = sum(1 for h in file.hunks for line in h.lines[1:] if line.startswith("-"))
        out.append(
            format_note(
                ref,
                f"{file.path}: generated or lock file, {len(file.hunks)} hunks "
                f"(+{added} -{removed} lines) summarised",
            )
        )
        return out
    omitted = cut = 0
    for hunk in file.hunks:
        if id(hunk) in kept:
            lines, trimmed_count = trimmed[id(hunk)]
            out.extend(lines)
            cut += trimmed_count
        else:
            omitted += 1
    if omitted or cut:
        out.append(
            format_note(
                ref,
                f"{file.path}: {omitted} of {len(file.hunks)} hunks omitted, "
                f"{cut} context lines trimmed",
            )
        )
    return out
