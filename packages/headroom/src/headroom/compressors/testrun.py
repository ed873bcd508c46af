"""Test-runner output: every failure's assertion, the summaries, the passes counted in gaps.

pytest (with -v `PASSED` lines, doctest), unittest, go test, node --test / TAP (`ok 40`,
`not ok`), jest, cargo test, and junit XML. Nothing is dropped within the budget. Past it,
each failure first: its title and its last lines (where pytest, doctest and unittest state
the assertion, the expected and actual values and the error line); when those overflow
the budget, its title and its failure lines (`> statement`, `E ...`, `file:12: Error`,
taken across the failures in turn); when even the
titles overflow (a compact junit report's titles are long lines of cases), its failure
lines alone, the titles as they fit; past that, a storm: the log compressor's one line of
each template with rare values. Then each failure whole, each distinct warning once,
section banners, summary lines and the lines the question quotes; the other lines
(headers, progress); last the passes, rare ones first, the ones left out counted in gap
markers. In a compact junit report (pytest's: the passing cases side by side on a few
long lines) those runs collapse first, to what the budget leaves room for (`_xml_runs`),
a storm included; its failures are its `<failure>` / `<error>` elements. A JSON report is
JSON and goes to the JSON compressor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from headroom.ccr.markers import format_marker, split_lines
from headroom.compressors._ranking import spread_order
from headroom.compressors._runs import Selection, message_template
from headroom.compressors._test_lines import (
    BANNER,
    FAIL,
    FAILURE_SECTION,
    FAILURE_TITLE,
    OTHER,
    PASS,
    SUMMARY,
    WARNING,
    classify,
    has_banner_signature,
    is_section_banner,
    signature_count,
)
from headroom.compressors._xml_runs import collapse_runs
from headroom.compressors.base import (
    MARKER_TOKENS,
    CompressContext,
    Compressed,
    kept_lines_result,
)
from headroom.engine.detect import ContentKind, Detection, Sample
from headroom.engine.line_patterns import without_ansi

__all__ = ["TestRunCompressor"]

_MIN_SIGNATURES = 2
_MIN_TITLES = 3
_RUN_SHARE = 0.3  # runner lines (passes, failures, summaries) among the sampled lines
_CORE_LINES = 6  # a doctest's Expected/Got pair and its location line fit
_MAX_FAILURE_LINES = 400  # lines one failure may bring with it
_SHORT_RUN_MARKERS = 3  # a run of passes costing up to this many markers is kept whole
_ASSERTION_TOKENS = 80  # a failure line longer than this is no assertion of its own
_JUNIT_HEAD = 4096  # characters in which a junit report names its suite and first case


class TestRunCompressor:
    """Test-runner output: failures and summaries kept, passes counted in gap markers."""

    __test__ = False  # not a pytest test class
    kind: ContentKind = "test"
    name = "testrun"
    max_confidence = 0.88  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """A test runner's signature lines, and its pass, fail and summary lines on a fair
        share of the sample."""
        if has_banner_signature(sample.head) or _is_junit(sample.head):
            return Detection("test", confidence=0.88)  # above code named by a file
        if signature_count(sample.lines) < _MIN_SIGNATURES:
            return None
        classes = classify(sample.lines)
        run = sum(1 for c in classes if c in (PASS, FAIL, SUMMARY, BANNER))
        if run >= _RUN_SHARE * len(classes):
            return Detection("test", confidence=0.8)
        # Failures whose diffs and code frames are most of the lines (jest): their titles,
        # which only a test runner writes, say what it is.
        titles = sum(1 for line in sample.lines if FAILURE_TITLE.match(line))
        return Detection("test", confidence=0.8) if titles >= _MIN_TITLES else None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        lines = [line.rstrip("\r") for line in split_lines(text)]
        selection = Selection(text, lines, ctx)
        if selection.fits_whole():
            return None
        collapsed = False
        junit = _is_junit(text[:_JUNIT_HEAD])
        if junit:
            # Compact junit XML (pytest's) holds runs of passing cases on long lines: they
            # go first, to what the budget leaves room for, the failures' lines as they are.
            shown = collapse_runs(lines, ctx, selection.whole / max(1, len(text)), MARKER_TOKENS)
            if shown is not lines:
                lines, collapsed = shown, True
                selection = Selection("\n".join(lines), lines, ctx)
                if selection.fits_whole() or len(lines) < 4:
                    return _collapsed_whole(lines, ctx.ref)
        if len(lines) < 4:
            return None
        read = [without_ansi(line) for line in lines]  # colour codes read past, kept out
        classes = classify(read)
        # Summaries and section banners stay; an entry's own `--- Captured log ---` goes
        # with its entry.
        selection.force(
            i
            for i, c in enumerate(classes)
            if c == SUMMARY or c == BANNER and is_section_banner(c, read[i])
        )
        selection.force({0, len(lines) - 1})
        failures = _junit_failures(read) if junit else _failure_blocks(read, classes)
        cores = [_failure_core(read, block) for block in failures]
        storm = ctx.registry.get("log")
        if storm is not None and _overflows(selection, cores, ctx):
            slimmer = _slimmer_cores(failures, classes, selection, ctx)
            if slimmer is None:
                # More failures than the budget holds: a storm, where the log compressor's
                # one-of-each-template with rare values says more than the first few whole.
                return storm.compress("\n".join(lines) if collapsed else text, ctx)
            cores = slimmer
        # Each failure, its title, each distinct warning: may open a gap past the markers'
        # share; the other lines only within it, then the budget left widens kept runs.
        # Every failure's title and end first (where pytest, doctest and unittest state the
        # assertion, the expected and actual values and the error line), each distinct
        # warning, then each failure whole.
        selection.offer_each(cores, must=True)
        selection.offer_each([[block[0]] for block in failures], must=True)  # a title alone
        # Then every failure's failure lines (a chained exception's `E ...` lines and the
        # headers between them stand mid-block, away from its end), taken across the
        # failures in turn: each one's failing statement and first `E` line before any
        # one's details.
        gists = [_failure_gist(block, classes) for block in failures]
        in_turn = [
            gist[k]
            for k in range(max(map(len, gists), default=0))
            for gist in gists
            if k < len(gist)
        ]
        selection.offer_each(([i] for i in in_turn), must=True)
        warnings = _distinct_warnings(read, classes)
        selection.offer_each(warnings, must=True)
        selection.offer_each(failures, must=True)
        selection.offer_each(_short_pass_runs(selection, classes))
        others = [i for i, c in enumerate(classes) if c == OTHER and lines[i].strip()]
        selection.offer_each([i] for i in others)
        passes = _passes_ranked(read, classes)
        selection.offer_each([i] for i in passes)
        ranked = [i for group in (*failures, *warnings) for i in group]
        blanks = [i for i, line in enumerate(lines) if not line.strip()]
        selection.widen([*ranked, *others, *passes, *blanks])  # a repeated warning stays out
        result = kept_lines_result(lines, sorted(selection.kept), ctx.ref)
        return result if result is not None or not collapsed else _collapsed_whole(lines, ctx.ref)


def _collapsed_whole(lines: list[str], ref: str) -> Compressed:
    """Every line kept, runs of passing cases collapsed in some: the closing line states the
    ref their markers retrieve from."""
    closing = format_marker(ref, len(lines), len(lines), "lines")
    text = "\n".join([*lines, closing])
    return Compressed(text=text, ref=ref, kept=len(lines), total=len(lines), unit="lines")


def _is_junit(head: str) -> bool:
    """A junit XML report: its `<testsuite>` and `<testcase>` elements, on lines of their
    own or all on one (compact, as pytest writes it)."""
    return "<testcase" in head and "<testsuite" in head and head.lstrip().startswith("<")


def _slimmer_cores(
    failures: list[list[int]], classes: list[int], selection: Selection, ctx: CompressContext
) -> list[list[int]] | None:
    """When failures' titles and last lines overflow the budget: their titles and failure
    lines (the assertions, `E ...`, `file:12: Error`) if those fit, else, when even the
    titles overflow (a compact junit report's titles are long lines of cases), their own
    assertion lines, titles then kept as they fit; None when neither fits (a storm)."""
    gists = [_failure_gist(block, classes) for block in failures]
    if not _overflows(selection, gists, ctx):
        return gists
    asserted = [_asserted(block, classes, selection.costs) for block in failures]
    return None if _overflows(selection, asserted, ctx) else asserted


def _overflows(selection: Selection, failures: list[list[int]], ctx: CompressContext) -> bool:
    """Whether two failures or more would not fit, these lines of each, in the budget."""
    cost = sum(selection.costs[i] for block in failures for i in block)
    return len(failures) >= 2 and cost > ctx.budget_tokens - selection.spent


def _failure_blocks(lines: Sequence[str], classes: list[int]) -> list[list[int]]:
    """Each failure with the lines that explain it: the whole body of a FAILURES / ERRORS
    section entry, the indented lines under a failure line, a failing junit `<testcase>`."""
    blocks: list[list[int]] = []
    in_section = False
    index = 0
    while index < len(lines):
        line, kind = lines[index], classes[index]
        if kind == SUMMARY or is_section_banner(kind, line):
            in_section = bool(FAILURE_SECTION.match(line))
        if in_section and kind not in (BANNER, SUMMARY):
            end = _section_entry_end(lines, classes, index)
            blocks.append(list(range(index, end)))
            index = end
            continue
        if kind == FAIL:
            start = index - _opens_testcase(lines, index)
            end = _indented_end(lines, start)
            # A failure's title under it starts a failure of its own (jest's `● Suite ›
            # test` under its file's `FAIL tests/a.test.js`).
            end = next((j for j in range(index + 1, end) if FAILURE_TITLE.match(lines[j])), end)
            blocks.append(list(range(start, end)))
            index = end
            continue
        index += 1
    return blocks


_JUNIT_OPEN = re.compile(r"<(?:failure|error)\b")
_JUNIT_CLOSE = re.compile(r"</(?:failure|error)>|<(?:failure|error)\b[^>]*/>")


def _junit_failures(lines: Sequence[str]) -> list[list[int]]:
    """Each `<failure>` / `<error>` element of a junit report, from the line it opens on
    to the line it closes on (in pytest's compact report, a failure's text runs over
    lines between two long lines of cases)."""
    blocks: list[list[int]] = []
    index = 0
    while index < len(lines):
        opens = list(_JUNIT_OPEN.finditer(lines[index]))
        if not opens:
            index += 1
            continue
        end = index
        closed = _JUNIT_CLOSE.search(lines[index], opens[-1].start())  # the last one opened
        while closed is None and end + 1 < len(lines) and end - index < _MAX_FAILURE_LINES:
            end += 1
            closed = _JUNIT_CLOSE.search(lines[end])
        start = index - _opens_testcase(lines, index)
        blocks.append(list(range(start, end + 1)))
        index = max(end, index + 1)  # the closing line may open the next failure
    return blocks


def _failure_core(lines: Sequence[str], block: list[int]) -> list[int]:
    """A failure's title and its last `_CORE_LINES` non-blank lines."""
    tail = [i for i in block[1:] if lines[i].strip()][-_CORE_LINES:]
    return [block[0], *tail]


def _failure_gist(block: list[int], classes: list[int]) -> list[int]:
    """A failure's title and its failure lines (pytest's `> statement`, `E ...`,
    `file:12: AssertionError`, an exception line): what it asserts, without the source
    around it."""
    return [block[0], *(i for i in block[1:] if classes[i] == FAIL)]


def _asserted(block: list[int], classes: list[int], costs: list[int]) -> list[int]:
    """A failure's own failure lines after its title (`E ...`, `file:12: Error`), not the
    long lines a compact junit report shares with the cases around it."""
    return [i for i in block[1:] if classes[i] == FAIL and costs[i] <= _ASSERTION_TOKENS]


def _opens_testcase(lines: Sequence[str], index: int) -> bool:
    """A junit `<failure>` / `<error>` on the line after its `<testcase>` opens: the
    failing case starts at that `<testcase>`."""
    if index == 0 or not lines[index].lstrip().startswith(("<failure", "<error")):
        return False
    head = lines[index - 1]
    return head.lstrip().startswith("<testcase") and "/>" not in head and "</testcase>" not in head


def _section_entry_end(lines: Sequence[str], classes: list[int], start: int) -> int:
    """One entry of a FAILURES section runs to the next title (`___ name ___`) or section
    banner; its `--- Captured stdout call ---` parts are its own."""
    end = start + 1
    while end < len(lines) and end - start < _MAX_FAILURE_LINES:
        line, kind = lines[end], classes[end]
        if kind == SUMMARY or line.startswith("___") or is_section_banner(kind, line):
            break
        end += 1
    return end


def _indented_end(lines: Sequence[str], start: int) -> int:
    """A failure line owns the lines indented deeper below it (an assertion, a TAP YAML
    block, a junit `<failure>`), up to the element's close for a junit `<testcase>`."""
    head = lines[start]
    if head.lstrip().startswith("<testcase") and "/>" not in head and "</testcase>" not in head:
        end = start + 1
        while end < len(lines) and end - start < _MAX_FAILURE_LINES:
            end += 1
            if "</testcase>" in lines[end - 1]:
                break
        return end
    depth = len(head) - len(head.lstrip())
    end = start + 1
    while end < len(lines) and end - start < _MAX_FAILURE_LINES:
        line = lines[end]
        if line.strip() and len(line) - len(line.lstrip()) <= depth:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


_LOCATION = re.compile(r"^\s*\S+?:\d+:(?:\d+:)? ")
_DIGITS = re.compile(r"\d+")


def _distinct_warnings(lines: Sequence[str], classes: list[int]) -> list[list[int]]:
    """Each distinct warning once (its message without the location it was raised at;
    `Unknown pytest.mark.slow` and `Unknown pytest.mark.joblib` are two), with the
    indented lines under it."""
    seen: set[str] = set()
    out: list[list[int]] = []
    for index, kind in enumerate(classes):
        if kind != WARNING:
            continue
        template = _DIGITS.sub("#", _LOCATION.sub("", lines[index]))
        if template in seen:
            continue
        seen.add(template)
        out.append(list(range(index, _indented_end(lines, index))))
    return out


def _short_pass_runs(selection: Selection, classes: list[int]) -> list[range]:
    """Omitted runs of passes alone (`ok 7`, `ok 8` between two failures) that cost little
    more than the gap marker standing for them: keeping one saves its marker."""
    return [
        run
        for run in selection.omitted_runs()
        if all(classes[i] == PASS for i in run)
        and sum(selection.costs[i] for i in run) <= _SHORT_RUN_MARKERS * MARKER_TOKENS
    ]


def _passes_ranked(lines: Sequence[str], classes: list[int]) -> list[int]:
    """The passes, the first of each template first (rare ones first), then spread out."""
    passes = [i for i, c in enumerate(classes) if c == PASS]
    counts: dict[str, list[int]] = {}
    for i in passes:
        counts.setdefault(message_template(lines[i]), []).append(i)
    firsts = [group[0] for group in sorted(counts.values(), key=len)]
    spread = [passes[k] for k in spread_order(len(passes))]
    return list(dict.fromkeys([*firsts, *spread]))
