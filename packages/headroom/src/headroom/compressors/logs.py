"""Log and build-output compression: one line per template, every error kept verbatim.

Lines are grouped by template (timestamps, numbers, hex and ids masked, as in Drain).
Always kept verbatim, with one line of context and any stack trace: build and test
failures and summaries, and the first three and the last occurrence of every error /
fatal / exception template; every other error line comes next as the budget allows, so a
log of a few errors keeps them all and a storm of one error keeps its shape and count.
Warnings are kept per template, its first occurrences and its last. The budget is then
filled with the first occurrence of each template (rare ones first); each run of omitted
lines becomes one marker.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from headroom.ccr.markers import format_marker, split_lines
from headroom.compressors._log_lines import LINE_CLASSES
from headroom.compressors._log_values import by_rare_values
from headroom.compressors._long_lines import (
    CLIP_OVER,
    clip_head,
    clip_limit,
    clip_to_phrase,
)
from headroom.compressors._ranking import naming_rare_terms
from headroom.compressors._records import record_heads
from headroom.compressors.base import (
    MARKER_SHARE,
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    kept_lines_result,
    token_estimator,
    widen_runs,
)
from headroom.engine.detect import ContentKind, Detection, Sample, log_evidence, test_run_banner
from headroom.engine.query import lines_with, query_terms

__all__ = ["LogCompressor", "template_of"]

_MARKER_TOKENS = MARKER_TOKENS
_MAX_TRACE_LINES = 200  # stack-trace lines kept after one error line
_LONG_LINE_FACTOR = 4  # a line this many times the median length (at least...
_MIN_MEDIAN_CHARS = 40  # ... as if the median were this long) is an outlier
_DIGIT_BYTES_TO_ONE = bytes.maketrans(b"0123456789", b"1" * 10)
_STORM_REPEATS = 3  # past the budget, a template's last line stays only if it was seen this often
_FEW_ERRORS = 10  # lines of one error template that are a few errors, not a storm
_TAIL_LINES = 3  # last lines always kept: where a build or a run states its verdict
_FAILED_REQUEST = re.compile(r'HTTP/[\d.]+" [45]\d\d\b')
_STATUS_KEY = re.compile(r'" 111\b|[Ee]xit(?:ed)?\b.{0,16}\b1+\b')  # a status, digit-blind
_ERROR_REPEATS = 3  # occurrences of one error template always kept (1 when over budget); the rest as budget allows
_TRACE = re.compile(r"^(\s+at |\s+File \"|\s+\.\.\. \d+ more|Caused by: |\s{2,}\S|\t)")
# One pass masks timestamps, UUIDs, IPs (with port), hex ids and numbers, in that priority.
# Every match starts with a hex digit or "-": the lookahead lets the engine skip other
# positions at once. (No possessive quantifiers: Python 3.10 has none.)
_HEX = "0-9a-fA-F"
_MASK = re.compile(
    rf"(?=[-{_HEX}])(?:"
    r"\b\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?"
    rf"|\b[{_HEX}]{{8}}-[{_HEX}]{{4}}-[{_HEX}]{{4}}-[{_HEX}]{{4}}-[{_HEX}]{{12}}\b"
    r"|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"
    rf"|\b(?:0[xX])?[a-fA-F]*\d[{_HEX}]*\b"
    r"|(?:(?<![A-Za-z0-9])-)?\d+)",  # a sign only where it cannot be a separator (blk_-42, not req-42)
    re.ASCII,  # ASCII digits and word boundaries: twice as fast as Unicode classes
)


def _line_keys(text: str, raw: list[str]) -> list[str]:
    """Each line digit-blind (every digit as 1), or as it is when it holds `0x` (the one
    place a digit's value counts). The mask reads digits only as digits and covers every
    one of them, and the line classes never tell one digit from another, so lines of one
    key share their template and their classes: each is worked out once per key."""
    keys = split_lines(_digit_blind(text))
    if "0x" in text or "0X" in text:
        keys = [
            line if "0x" in line or "0X" in line else key
            for key, line in zip(keys, raw, strict=True)
        ]
    return keys


def _templates_of(distinct: list[str]) -> dict[str, str]:
    """The template of each distinct key, all masked in one pass (masks never span lines);
    keys of one template share one string."""
    masked = _MASK.sub("<*>", "\n".join(distinct)).split("\n")
    template_of_key: dict[str, str] = {}
    by_text: dict[str, str] = {}
    for key, template in zip(distinct, masked, strict=True):
        bare = template.rstrip("\r")
        template_of_key[key] = by_text.setdefault(bare, bare)
    return template_of_key


def _digit_blind(text: str) -> str:
    """`text` with every ASCII digit as 1, translated as UTF-8 bytes (a digit is one byte
    there, part of no other character): `str.translate` walks a string holding any
    non-ASCII character one character at a time, 15x slower."""
    data = text.encode("utf-8", "surrogatepass").translate(_DIGIT_BYTES_TO_ONE)
    return data.decode("utf-8", "surrogatepass")


def template_of(line: str) -> str:
    """The line with variable parts masked: lines of one template differ only there."""
    return _MASK.sub("<*>", line)


class _Line(NamedTuple):  # a tuple: made once per line, so made cheaply
    text: str
    template: str
    error: bool
    warning: bool
    summary: bool
    title: bool = False


class LogCompressor:
    """Logs and build / test output: template mining with errors kept verbatim."""

    kind: ContentKind = "log"
    name = "logs"
    max_confidence = 0.75  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """A test runner's banners, or timestamps, levels and tracebacks on many lines."""
        if test_run_banner(sample):
            return Detection("log", confidence=0.75)
        return Detection("log", confidence=0.65) if log_evidence(sample) else None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        raw = split_lines(text)
        if len(raw) < 8:
            return None
        focused = set(lines_with(raw, ctx.focus))
        keys = _line_keys(text, raw)
        distinct = list(dict.fromkeys(keys))
        template_of_key = _templates_of(distinct)
        classes_of_key = {key: _classes(key) for key in distinct}
        lines = [
            _Line(line.rstrip("\r"), template_of_key[key], *classes_of_key[key])
            for line, key in zip(raw, keys, strict=True)
        ]
        _read_statuses(lines, keys, distinct)
        if max(map(len, raw)) > CLIP_OVER:  # long lines are cut, unless the question is on them
            limit = clip_limit(raw, text, ctx)
            phrases = ctx.focus.phrases
            lines = [
                _clip_to_phrase(line, phrases) if i in focused else _clip_line(line, limit)
                for i, line in enumerate(lines)
            ]
        texts = [line.text for line in lines]
        estimate = token_estimator(text, ctx.counter)
        costs = [estimate(line) for line in texts]
        asked = naming_rare_terms(texts, query_terms(ctx.query))
        must = _must_keep(lines, asked, _ERROR_REPEATS)
        if _cost(costs, must) > ctx.budget_tokens:
            # An error storm: each error template once (and its last), then without the
            # lines around each, so some budget is left for the rest of the log.
            must = _must_keep(lines, asked, 1)
            if _cost(costs, must) > ctx.budget_tokens:
                must = _must_keep(lines, asked, 1, context=False)
            if _cost(costs, must) > ctx.budget_tokens:
                must = _must_keep(lines, asked, 1, context=False, last_after=_STORM_REPEATS)
        must.update(focused)
        # A line of a record (apt's `Start-Date:` entries) keeps the record's first line.
        heads = record_heads(raw)
        must.update([heads[i] for i in must if heads[i] >= 0])
        kept = _fill(lines, costs, must, ctx, heads)
        result = kept_lines_result(texts, kept, ctx.ref)
        if result is None and texts != [line.rstrip("\r") for line in raw]:
            # Every line kept, some of them cut: the cuts are marked, the ref stated.
            closing = format_marker(ctx.ref, len(texts), len(texts), "lines")
            text = "\n".join([*texts, closing])
            return Compressed(text=text, ref=ctx.ref, kept=len(texts), total=len(texts))
        return result


def _read_statuses(lines: list[_Line], keys: list[str], distinct: list[str]) -> None:
    """Whether a line stating a status is an error depends on a digit's value (`exit code
    0` is none, `exited with 1` and a request answered `404` are), which the digit-blind
    keys the classes are read from cannot tell: those lines are read as they are."""
    stating = {key for key in distinct if _STATUS_KEY.search(key)}  # each key looked at once
    if not stating:
        return
    for index, key in enumerate(keys):
        if key in stating:
            line = lines[index]
            error = _classes(line.text)[0] or bool(_FAILED_REQUEST.search(line.text))
            lines[index] = line._replace(error=error)


def _classes(line: str) -> tuple[bool, bool, bool, bool]:
    """Whether `line` is an error, a warning, a summary, a failure title."""
    names = LINE_CLASSES.names_in(line.rstrip("\r"))
    return "error" in names, "warning" in names, "summary" in names, "title" in names


def _clip_line(line: _Line, limit: int) -> _Line:
    """A line of more than `CLIP_OVER` characters (a whole file's text in an assertion, a
    package list) keeps its first `limit`, cut at a space, and says what was cut."""
    if len(line.text) <= max(CLIP_OVER, limit):
        return line
    return line._replace(text=clip_head(line.text, limit))


def _clip_to_phrase(line: _Line, phrases: Sequence[str]) -> _Line:
    """A long line the question quotes, cut to the part that shows the phrase, when that
    is worth it (see `clip_to_phrase`)."""
    if len(line.text) <= CLIP_OVER:
        return line
    clipped = clip_to_phrase(line.text, phrases)
    return line if clipped is None else line._replace(text=clipped)


def _cost(costs: list[int], kept: set[int]) -> int:
    return sum(costs[i] + 1 for i in kept)


def _must_keep(
    lines: list[_Line],
    asked: set[int],
    repeats: int,
    *,
    context: bool = True,
    last_after: int = 1,
) -> set[int]:
    """First line and last three; summaries; failure titles; each error template's first
    `repeats` occurrences with their stack traces (with `context`, also the line before and
    after each); each warning template's first occurrences; the last occurrence of each
    error and warning template seen at least `last_after` times; and lines naming a query
    term few lines name."""
    must = {0, *range(max(0, len(lines) - _TAIL_LINES), len(lines))}  # a verdict ends a log
    error_seen: Counter[str] = Counter()
    last_error: dict[str, int] = {}
    warning_seen: Counter[str] = Counter()
    warning_count: Counter[str] = Counter()
    last_warning: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line.error or line.summary:
            error_seen[line.template] += 1
            last_error[line.template] = index
            if error_seen[line.template] <= repeats or line.summary:
                if context:
                    must.update(range(max(0, index - 1), min(len(lines), index + 2)))
                must.add(index)
                must.update(_trace_after(lines, index))
        elif line.warning:
            last_warning[line.template] = index
            warning_count[line.template] += 1
            if warning_seen[line.template] < repeats:
                warning_seen[line.template] += 1
                must.add(index)
        if line.title:
            must.add(index)
    # A storm shows where it began and where it ended.
    must.update(i for t, i in last_error.items() if error_seen[t] >= last_after)
    must.update(i for t, i in last_warning.items() if warning_count[t] >= last_after)
    must.update(asked)
    return must


def _trace_after(lines: list[_Line], index: int) -> range:
    end = index + 1
    while end < len(lines) and end - index <= _MAX_TRACE_LINES and _TRACE.match(lines[end].text):
        end += 1
    return range(index + 1, end)


def _fill(
    lines: list[_Line], costs: list[int], must: set[int], ctx: CompressContext, heads: list[int]
) -> list[int]:
    kept = set(must)
    ordered = sorted(kept)
    gaps = sum(1 for a, b in zip([-1, *ordered], [*ordered, len(lines)], strict=True) if b - a > 1)
    spent = _cost(costs, kept) + gaps * _MARKER_TOKENS
    counts = Counter(line.template for line in lines)
    shown = {lines[i].template for i in kept}
    first_of: dict[str, int] = {}
    for index, line in enumerate(lines):
        first_of.setdefault(line.template, index)
    errors = [i for i, line in enumerate(lines) if (line.error or line.warning) and i not in kept]
    exemplars = sorted(first_of.values(), key=lambda i: (counts[lines[i].template], i))
    first_pass = set(errors) | set(exemplars)
    per_template = Counter(lines[i].template for i in kept)
    cap = {template: _template_share(n) for template, n in counts.items()}
    # Lines far longer than usual (a package list on one line) come after all the others:
    # one of them costs the budget of dozens of ordinary lines.
    long_line = _long_line_threshold(lines)
    candidates = [*exemplars, *by_rare_values([line.text for line in lines])]
    candidates.sort(key=lambda i: len(lines[i].text) > long_line)  # stable: order kept
    shown_texts = {lines[i].text for i in kept}
    for index in errors + candidates:
        if index in kept or lines[index].text in shown_texts:
            continue  # a copy of a line shown says nothing more (the gap counts it)
        template = lines[index].template
        # Warnings beyond the ones already kept may fill a third of the budget; errors any.
        warning_room = lines[index].warning and spent <= ctx.budget_tokens // 3
        if index in first_pass and not (lines[index].error or warning_room) and template in shown:
            continue
        if index not in first_pass and per_template[template] >= _template_share(counts[template]):
            continue  # a run of one template shows a sample of it, not the whole budget
        head = heads[index] if heads[index] not in kept else -1
        cost = costs[index] + 1 + (costs[head] + 1 + _MARKER_TOKENS if head >= 0 else 0)
        isolated = index - 1 not in kept and index + 1 not in kept
        if isolated:
            cost += _MARKER_TOKENS  # an isolated line splits a gap: one more marker to pay for
            # An error of a template seen a few times, and the first error or warning of
            # any template, open a gap whatever it costs (the budget bounds them); a
            # storm's repeats, or any other line, only within the markers' share.
            severe = (lines[index].error or lines[index].warning) and template not in shown
            severe = severe or (lines[index].error and counts[template] <= _FEW_ERRORS)
            if (gaps + 1) * _MARKER_TOKENS > MARKER_SHARE * ctx.budget_tokens and not severe:
                continue
        if spent + cost > ctx.budget_tokens:
            continue
        gaps += isolated - (index - 1 in kept and index + 1 in kept)
        if head >= 0:
            gaps += head + 1 != index  # (a head away from its line opens one more gap)
            kept.add(head)
            shown_texts.add(lines[head].text)
        kept.add(index)
        shown.add(template)
        shown_texts.add(lines[index].text)
        per_template[template] += 1
        spent += cost
    # The budget left grows the kept runs into their neighbours (no new gap), a run of one
    # template still showing a sample of it, not the whole budget.
    widen_runs(
        [i for i in candidates if per_template[lines[i].template] < cap[lines[i].template]],
        kept,
        lambda i: costs[i] + 1,
        spent,
        ctx.budget_tokens,
        len(lines),
        admit=lambda i: _take_share(per_template, cap, lines[i].template),
    )
    _close_short_gaps(kept, costs, len(lines))
    return sorted(kept)


def _take_share(per_template: Counter[str], cap: dict[str, int], template: str) -> bool:
    """Whether one more line of `template` is within its share; counts it if so."""
    if per_template[template] >= cap[template]:
        return False
    per_template[template] += 1
    return True


def _close_short_gaps(kept: set[int], costs: list[int], count: int) -> None:
    """A one-line gap costs a marker; a line cheaper than that is kept instead."""
    for index in range(1, count - 1):
        if index not in kept and index - 1 in kept and index + 1 in kept:
            if costs[index] <= _MARKER_TOKENS:
                kept.add(index)


def _template_share(count: int) -> int:
    """Lines of one template the budget fill may show: grows as the square root of its count."""
    return max(2, math.isqrt(4 * count))


def _long_line_threshold(lines: list[_Line]) -> int:
    """Lines longer than this (4x the median, at least 160 characters) are outliers: one of
    them (a package list on one line) costs the budget of dozens of ordinary lines."""
    lengths = sorted(len(line.text) for line in lines)
    return _LONG_LINE_FACTOR * max(_MIN_MEDIAN_CHARS, lengths[len(lengths) // 2])
