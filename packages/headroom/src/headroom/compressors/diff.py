"""Diff compression: every file header kept, context trimmed, hunks ranked within budget.

Unified diffs (`git diff`, `git show`, `diff -u`). A diff within its budget is left alone.
Otherwise the commit header and every file's header lines stay, so no file is silently
dropped; unchanged context is trimmed to one line around each change and the lines the
question quotes (a hunk cut in its
middle becomes several hunks with recomputed `@@` headers, so the result still applies);
then whole hunks are dropped: those holding a phrase the question quotes stay, then the
most relevant to the query and smallest first. A hunk that changes a definition (a `def`,
`fn`, `func`, `class`, a method or function signature) keeps at least those changed lines,
under their own recomputed `@@` headers, before any hunk is kept whole: which functions
changed their signature says more than one more one-line edit. Hunks of generated and lock
files come after all hand-written ones (or when the question quotes them); a lock file with
no hunk kept is summarised as `+added -removed` in a marker; every other file that lost
anything ends with one marker that counts its omitted hunks, hunks shown in part and
trimmed lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from headroom.ccr.markers import format_detail, format_marker
from headroom.compressors._ranking import relevance
from headroom.compressors.base import CompressContext, Compressed, token_estimator
from headroom.engine.detect import ContentKind, Detection, Sample, diff_evidence
from headroom.engine.query import query_terms

__all__ = ["DiffCompressor"]

# A hunk header: where the hunk starts and how many old / new lines it counts.
_HUNK = re.compile(
    r"^@@ -(?P<old>\d+)(?:,(?P<old_count>\d+))? \+(?P<new>\d+)(?:,(?P<new_count>\d+))? @@"
    r"(?P<tail>.*)$"
)
_PATH = re.compile(r"^(?:\+\+\+|---) (?:[ab]/)?(\S+)|^diff --git a/(\S+)")
_GENERATED = re.compile(
    r"(^|/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|poetry\.lock|uv\.lock|"
    r"Gemfile\.lock|composer\.lock|go\.sum|Pipfile\.lock|[^/]+\.lock)$|\.min\.(js|css)$|(^|/)(dist|vendor)/"
)
_CONTEXT = 1
# A changed line that defines something, by shape (its text after the `+` / `-`): a keyword
# that opens a definition, or a signature (modifiers, a type, a name, an open parenthesis;
# at the line's start with no indentation when nothing but a type precedes the name).
_DEFINITION = re.compile(
    r"\s*(?:export\s+(?:default\s+)?)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:def|class|function\*?|interface|enum|struct|trait|impl|type|namespace)\s+\w"
    r"|\s*(?:pub(?:\([\w:]+\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:fn|struct|enum|trait|impl)\b"
    r"|func\s+(?:\([^)]*\)\s*)?\w+\s*[(\[]"
    r"|\s*(?:(?:public|private|protected|internal|static|final|abstract|virtual|override|inline|"
    r"constexpr|extern|synchronized)\s+)+[\w<>\[\],.?*&: ]*?\w+\s*\("
    r"|(?!(?:else|return|case|if|for|while|switch|do|goto|throw|new|delete|await|yield)\b)"
    r"[A-Za-z_][\w:<>,*& ]*?[ *&]\**[\w:~]+\s*\((?!.*;\s*$)"
)
_STUB_SHARE = 3  # definition lines of hunks not kept whole may take a third of the budget
_DEFINITION_CHARS = 400  # longer changed lines are not read for a definition
_STUB_MIN_LINES = 8  # hunks (trimmed) of fewer lines than this are never shown in part


@dataclass
class _Hunk:
    lines: list[str]


@dataclass(frozen=True)
class _Choice:
    """The hunks kept whole, and the hunks shown in part (by their changed definitions)."""

    whole: set[int]
    stubs: dict[int, tuple[list[str], int]]


@dataclass
class _File:
    header: list[str]
    hunks: list[_Hunk] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)
    """Lines after the last hunk's counted lines: the next commit of `git log -p`."""

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
    max_confidence = 0.95  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """A diff header at a line start, and most lines diff lines."""
        return Detection("diff", confidence=0.95) if diff_evidence(sample) else None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        preamble, files = _parse(text.split("\n"))
        hunk_total = sum(len(f.hunks) for f in files)
        if not files or hunk_total == 0:
            return None
        if ctx.counter.count(text) <= ctx.budget_tokens:
            return None  # within budget: nothing is worth losing
        trimmed = {id(h): _trim(h, ctx.focus.hits) for f in files for h in f.hunks}
        choice = _choose(files, trimmed, ctx, preamble, token_estimator(text, ctx.counter))
        out = list(preamble)
        for file in files:
            out.extend(_render_file(file, trimmed, choice, ctx.ref))
        kept_count = sum(1 for f in files for h in f.hunks if id(h) in choice.whole)
        out.append(format_marker(ctx.ref, kept_count, hunk_total, "hunks"))
        return Compressed(
            text="\n".join(out), ref=ctx.ref, kept=kept_count, total=hunk_total, unit="hunks"
        )


def _parse(raw: list[str]) -> tuple[list[str], list[_File]]:
    lines = [line.rstrip("\r") for line in raw]
    preamble: list[str] = []
    files: list[_File] = []
    old_left = new_left = 0  # lines the open hunk's header still counts
    for index, line in enumerate(lines):
        current = files[-1] if files else None
        if _starts_file(lines, index, current):
            files.append(_File([line]))
            old_left = new_left = 0
        elif current is None:
            preamble.append(line)
        elif _HUNK.match(line):
            current.hunks.append(_Hunk([line]))
            old_left, new_left = _hunk_counts(line)
        elif current.hunks and (old_left > 0 or new_left > 0 or line.startswith("\\")):
            current.hunks[-1].lines.append(line)
            old_left -= not line.startswith(("+", "\\"))
            new_left -= not line.startswith(("-", "\\"))
        elif current.hunks:
            current.trailer.append(line)
        else:
            current.header.append(line)
    return preamble, files


def _hunk_counts(header: str) -> tuple[int, int]:
    """The old and new line counts of a `@@ -a,b +c,d @@` header (a missing count is 1)."""
    match = _HUNK.match(header)
    assert match is not None
    return int(match["old_count"] or 1), int(match["new_count"] or 1)


def _starts_file(lines: list[str], index: int, current: _File | None) -> bool:
    line = lines[index]
    if line.startswith("diff "):
        return True
    # A bare `diff -u` file starts with ---/+++; inside a git file section they are header.
    following = lines[index + 1] if index + 1 < len(lines) else ""
    is_pair = line.startswith("--- ") and following.startswith("+++ ")
    return is_pair and (current is None or bool(current.hunks))


def _trim(hunk: _Hunk, quoted: Callable[[str], bool]) -> tuple[list[str], int]:
    """The hunk with unchanged context cut to `_CONTEXT` lines around changes and the lines
    the question quotes (`quoted`); where context is cut from its middle it becomes several
    hunks, each with a recomputed `@@` header, so the result still applies as a patch."""
    header = _HUNK.match(hunk.lines[0])
    body = hunk.lines[1:]
    near: set[int] = set()
    for i, line in enumerate(body):
        if line[:1] in "+-\\":
            near.update(range(i - _CONTEXT, i + _CONTEXT + 1))
    keep = [i for i, line in enumerate(body) if i in near or line[:1] in "+-\\" or quoted(line)]
    if header is not None and quoted(hunk.lines[0]):
        keep = list(range(len(body)))  # the question quotes the header: shown as it is
    return _cut(hunk, keep)


def _definitions(hunk: _Hunk) -> tuple[list[str], int] | None:
    """The hunk cut to its changed lines that define something (see `_DEFINITION`), each
    run under its own `@@` header, and how many body lines that leaves out; None when it
    changes no definition."""
    keep = [
        i
        for i, line in enumerate(hunk.lines[1:])
        if line[:1] in "+-"
        and len(line) <= _DEFINITION_CHARS  # a signature is a short line; a bundle's is not read
        and _DEFINITION.match(line, 1) is not None
    ]
    if not keep or _HUNK.match(hunk.lines[0]) is None:
        return None
    return _cut(hunk, keep)


def _cut(hunk: _Hunk, keep: list[int]) -> tuple[list[str], int]:
    """The hunk with only its body lines `keep`; where lines are cut from its middle it
    becomes several hunks, each with a recomputed `@@` header, so it still applies."""
    header = _HUNK.match(hunk.lines[0])
    body = hunk.lines[1:]
    if header is None or len(keep) == len(body):
        return hunk.lines if header is None else [hunk.lines[0], *body], len(body) - len(keep)
    old_line, new_line = int(header["old"]), int(header["new"])
    positions: list[tuple[int, int]] = []  # old / new line number where each body line sits
    for line in body:
        positions.append((old_line, new_line))
        if line[:1] in (" ", "-", ""):
            old_line += 1
        if line[:1] in (" ", "+", ""):
            new_line += 1
    out: list[str] = []
    run: list[int] = []
    for i in [*keep, -1]:
        if run and (i == -1 or i != run[-1] + 1):
            lines = [body[j] for j in run]
            old_count = sum(1 for line in lines if line[:1] in (" ", "-", ""))
            new_count = sum(1 for line in lines if line[:1] in (" ", "+", ""))
            old_start, new_start = positions[run[0]]
            tail = header["tail"] if not out else ""
            out.append(f"@@ -{old_start},{old_count} +{new_start},{new_count} @@{tail}")
            out.extend(lines)
            run = []
        if i != -1:
            run.append(i)
    return out, len(body) - len(keep)


def _choose(
    files: list[_File],
    trimmed: dict[int, tuple[list[str], int]],
    ctx: CompressContext,
    preamble: list[str],
    count: Callable[[str], int],
) -> _Choice:
    """Hunks to keep (`count` estimates tokens): those holding a quoted phrase of the
    question; the changed definitions of the hand-written hunks whole hunks would leave out
    (within a share of the budget); then whole hunks by relevance, hand written before
    generated (lock) files, smallest first, within the budget (a hunk kept whole no longer
    pays for its definitions)."""
    spent = count("\n".join(preamble)) + sum(count("\n".join(f.header)) + 25 for f in files)
    hunks = [(h, bool(_GENERATED.search(f.path))) for f in files for h in f.hunks]
    texts = ["\n".join(trimmed[id(h)][0]) for h, _ in hunks]
    costs = [count(text) + 1 for text in texts]
    scores = relevance(texts, sorted(query_terms(ctx.query)))
    forced = {i for i, text in enumerate(texts) if ctx.focus.hits(text)}
    spent += sum(costs[i] for i in forced)
    # Worth per token, a hunk's worth being one plus its relevance: a word of the question
    # raises a hunk; it does not put a whole rewritten table before ten small edits (`log`
    # of `git log -p` is every row of a table of `.log` files).
    order = sorted(
        (i for i in range(len(hunks)) if i not in forced),
        key=lambda i: (hunks[i][1], -(1 + scores[i]) / costs[i], i),
    )
    left_out = set(order) - _whole(order, hunks, costs, {}, set(forced), spent, ctx.budget_tokens)
    stubs: dict[int, tuple[list[str], int]] = {}
    stub_costs: dict[int, int] = {}
    stub_room = min(spent + ctx.budget_tokens // _STUB_SHARE, ctx.budget_tokens)
    for i in sorted(left_out):
        hunk, generated = hunks[i]
        if generated or len(trimmed[id(hunk)][0]) < _STUB_MIN_LINES:
            continue  # lock files, and short hunks: kept whole, or not at all
        stub = _definitions(hunk)
        if stub is None or len(stub[0]) >= len(trimmed[id(hunk)][0]):
            continue
        cost = count("\n".join(stub[0])) + 1
        if spent + cost <= stub_room:
            stubs[i] = stub
            stub_costs[i] = cost
            spent += cost
    kept = _whole(order, hunks, costs, stub_costs, set(forced), spent, ctx.budget_tokens)
    return _Choice(
        {id(hunks[i][0]) for i in kept},
        {id(hunks[i][0]): stub for i, stub in stubs.items() if i not in kept},
    )


def _whole(
    order: list[int],
    hunks: list[tuple[_Hunk, bool]],
    costs: list[int],
    stub_costs: dict[int, int],
    kept: set[int],
    spent: int,
    budget: int,
) -> set[int]:
    """`kept` and the hunks of `order` kept whole within `budget` (a hunk shown in part
    pays only the rest of its cost); with none kept, the first hand-written one."""
    for i in order:
        cost = costs[i] - stub_costs.get(i, 0)
        # lock files: only with the budget hand-written hunks leave
        if spent + cost <= budget or (not kept and not stub_costs and not hunks[i][1]):
            kept.add(i)
            spent += cost
    return kept


def _render_file(
    file: _File, trimmed: dict[int, tuple[list[str], int]], choice: _Choice, ref: str
) -> list[str]:
    out = list(file.header)
    shown = [h for h in file.hunks if id(h) in choice.whole or id(h) in choice.stubs]
    if _GENERATED.search(file.path) and not shown:
        added = sum(1 for h in file.hunks for line in h.lines[1:] if line.startswith("+"))
        removed = sum(1 for h in file.hunks for line in h.lines[1:] if line.startswith("-"))
        out.append(
            format_detail(
                f"generated or lock file, {len(file.hunks)} hunks (+{added} -{removed} lines)"
            )
        )
        return out + file.trailer
    omitted = cut = partial = partial_lines = 0
    for hunk in file.hunks:
        if id(hunk) in choice.whole:
            lines, trimmed_count = trimmed[id(hunk)]
            out.extend(lines)
            cut += trimmed_count
        elif id(hunk) in choice.stubs:
            lines, left_out = choice.stubs[id(hunk)]
            out.extend(lines)
            partial += 1
            partial_lines += left_out
        else:
            omitted += 1
    parts = (
        f"{omitted} of {len(file.hunks)} hunks" if omitted else "",
        f"{partial} hunks shown in part ({partial_lines} lines left out)" if partial else "",
        f"{cut} context lines" if cut else "",
    )
    if omitted or cut or partial:
        out.append(format_detail(", ".join(part for part in parts if part)))
    return out + file.trailer
