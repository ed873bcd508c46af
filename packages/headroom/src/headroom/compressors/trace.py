"""Stack traces: every exception kept, the user's own frames kept, library frames collapsed.

Python tracebacks (chained ones too), JVM traces with `Caused by:` and `... N more`, Node
`at fn (file:line:col)` frames, Go panics and goroutine dumps, Rust backtraces. Always
kept: every exception or error line, every chain line (`Caused by:`, `During handling of
the above exception`, `The above exception was the direct cause`), headers (`Traceback`,
`Exception in thread`, `panic:`), `... N more`, the frames of the user's own code, the
frame where each exception was raised, and the lines the question quotes. Library frames
(judged by path shape: site-packages, node_modules, the language's own runtime) and
frames repeating one already shown (recursion, a trace printed twice) go first, into gap
markers with exact counts, as the JVM does with `... N more`: a trace's frames are its
boilerplate, so they go whatever the budget (retrievable like every cut). Past the
budget, the other lines (a debug preamble, a code frame, a logged message) are kept as the
budget allows, error-like and rare ones first.
"""

from __future__ import annotations

import re
from collections import Counter

from headroom.ccr.markers import split_lines
from headroom.compressors._ranking import ERROR_RE, spread_order
from headroom.compressors._runs import Selection, alternation, first_class, message_template
from headroom.compressors.base import CompressContext, Compressed, kept_lines_result
from headroom.engine.detect import ContentKind, Detection, Sample
from headroom.engine.line_patterns import remember

__all__ = ["TraceCompressor", "classify"]

# Line classes.
OTHER, FRAME, BODY, EXCEPTION, CHAIN, HEADER, MORE = range(7)
_PY_FRAME = re.compile(r'\s+File "([^"]*)", line \d+')
_AT_FRAME = re.compile(r"\s+at (?:\S.*\(.*\)|\S+:\d+(?::\d+)?\)?)\s*$")
_GO_FILE = re.compile(r"\t\S+\.go:\d+")
_RUST_AT = re.compile(r"\s+at \S+:\d+")
_RUST_FRAME = re.compile(r"\s{1,6}\d+:\s+(?:0x[0-9a-f]+ - )?\S")  # `RUST_BACKTRACE=full` pads
_MORE = re.compile(
    r"\s+\.\.\. \d+ (?:more|common frames omitted|lines matching)|\s*\[Previous line repeated"
)
# Python's exception groups draw a gutter: `  + Exception Group Traceback`, `  | File ...`,
# and `+---------------- 2 ----------------` between their sub-exceptions.
_GUTTER = re.compile(r" *[|+] (?=\S| )")
_HEADER = re.compile(
    r"Traceback \(most recent call last\):|Exception in thread |panic: |goroutine \d+ \[|"
    r"Exception Group Traceback |Full thread dump |\"[^\"\n]*\" #\d+ |"  # a JVM thread dump, each thread
    r"thread '.*' panicked at|stack backtrace:|fatal error: |Uncaught |Unhandled "
)
_CHAIN = re.compile(
    r"During handling of the above exception|The above exception was the direct cause|"
    r"\s*\+[-+]+(?: \d+ -+| \.\.\.[^\n]*)?$|"  # between the sub-exceptions of a group
    r"\s*Caused by: |\s*Suppressed: |\s*\[CIRCULAR REFERENCE|"
    r"\s*\[\w+\]: [\w$.]*(?:Error|Exception)\b"  # Node's `[cause]: TypeError: ...`
)
_EXCEPTION = re.compile(
    r"\s*(?:[\w$]+[.:]+)*[A-Z][\w$]*(?:Error|Exception|Exit|Interrupt|Warning|Fault|Failure|Throwable|Panic)\b"
    r"|\s*(?:error|Error|ERROR)(?:\[\w+\])?: "
)
_CODE_FRAME = re.compile(r"\s*>?\s*\d+ \|")
# A library frame, by the shape of its path or name. Every branch opens with a literal the
# regex engine skips to (a word start or a frame number's digit checked behind it), so a
# line is not tried branch by branch at each character; `_LIBRARY_START` opens the line.
_LIBRARY = re.compile(
    r"site-packages|dist-packages|node_modules|/usr/lib/|/usr/local/lib/|/lib/python\d|"
    r"<frozen |node:|\(internal/|at internal/|/usr/local/go/src/|/go/pkg/mod/|/rustc/|"
    r"\.cargo/registry|\.rustup/|<anonymous>|"
    r"a(?<!\wa)t (?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|org\.junit|junit)\.|"
    r"java\.base[@/]|"
    r":(?<=\d:)\s+(?:0x[0-9a-f]+ - )?(?:std|core|alloc|rust_begin_unwind|__rust|_start|__libc)"
)
_LIBRARY_START = re.compile(r"\s*(?:runtime|testing)\.")
_TRACE_WORDS = ("at ", 'File "', "goroutine ", "panic", "backtrace")  # one is in every trace
_TRACE_SHARE = 0.5  # trace lines among the sampled ones: the payload is a trace
_MIN_FRAMES = 3
_FRAME_SHARE = 0.15  # frames among the sampled lines, without a trace header
_RECURRING = 3  # a frame seen this many times is a recursion's: shown once


def classify(lines: list[str]) -> list[int]:
    """The class of each line (OTHER, FRAME, BODY, EXCEPTION, CHAIN, HEADER, MORE); the
    lines of an exception group are read without their `|` gutter."""
    return _classes(_read(lines))


def _classes(lines: list[str]) -> list[int]:
    """`classify` of lines already read (`_read`)."""
    classes = _line_classes(lines)
    last = len(lines) - 1
    for index, line in enumerate(lines):
        kind = classes[index]
        if kind == FRAME:
            if index < last and line.lstrip().startswith("File "):
                _python_body(lines, classes, index)
        elif kind == OTHER and index:
            above = classes[index - 1]
            if line[:1] == "\t" and _GO_FILE.match(line):
                classes[index] = BODY  # go: the function line above is the frame
                if above in (OTHER, EXCEPTION):
                    classes[index - 1] = FRAME
            elif above == FRAME and _RUST_AT.match(line):
                classes[index] = BODY
            elif above in (FRAME, BODY) and line[:1].isalnum():
                classes[index] = EXCEPTION  # the unindented line ending a traceback names it
    return classes


def _read(lines: list[str]) -> list[str]:
    """`lines` as they are read: an exception group's without their gutter."""
    joined = "\n".join(lines)  # one look in C, not a match per line
    if "Exception Group Traceback" not in joined and "| Traceback (most recent" not in joined:
        return lines
    return [_ungutter(line) for line in lines]


def _ungutter(line: str) -> str:
    """A line of an exception group as a plain traceback's line: `  |   File ...` as
    `  File ...`, `  + Exception Group Traceback ...` as its header."""
    found = _GUTTER.match(line)
    return line[found.end() :] if found else line


# One pass per line: the classes' patterns as one alternation, tried in this order (an
# indented frame before the exception pattern, which takes indented lines too).
_CLASSED = (
    (FRAME, _PY_FRAME),
    (FRAME, _AT_FRAME),
    (FRAME, _RUST_FRAME),
    (MORE, _MORE),
    (CHAIN, _CHAIN),
    (HEADER, _HEADER),
    (EXCEPTION, _EXCEPTION),
)
_CLASS_OF = alternation(_CLASSED)
# Frames and `... N more` are indented: an unindented line is read as the rest are.
_UNINDENTED_CLASS_OF = alternation([c for c in _CLASSED if c[0] not in (FRAME, MORE)])
# Past six columns of indentation a Rust frame's number (`\s{1,6}\d+:`) is no longer one.
_DEEP_CLASS_OF = alternation([c for c in _CLASSED if c[1] is not _RUST_FRAME])
_RUST_FRAME_INDENT = 6
_INDENT = re.compile(r"\s*")


# Line classes remembered (detect's sample lines come back in compress, and a trace
# repeats its frames), as a line set remembers its answers (see `remember`).
_CLASS_BY_LINE: dict[str, int] = {}


def _line_classes(lines: list[str]) -> list[int]:
    """`_line_class` of each line, a line classified before looked up (one `get`: another
    thread may clear the memo between a look and a read)."""
    known = _CLASS_BY_LINE.get
    return [
        kind if (kind := known(line)) is not None else _remembered_class(line) for line in lines
    ]


def _remembered_class(line: str) -> int:
    """`_line_class(line)`, remembered when the line is short enough."""
    kind = _line_class(line)
    remember(_CLASS_BY_LINE, line, kind)
    return kind


def _line_class(line: str) -> int:
    if not line or line.isspace():
        return OTHER
    if line[0] not in " \t":
        return first_class(_UNINDENTED_CLASS_OF, line, 0, OTHER)
    # Every pattern an indented line can match reads its indentation as `\s+` or `\s*`
    # before a non-space: matched from the indentation's last character, no pattern walks
    # the indentation back character by character.
    indent = _INDENT.match(line)
    last = indent.end() - 1 if indent else 0
    deep = last >= _RUST_FRAME_INDENT
    return first_class(_DEEP_CLASS_OF if deep else _CLASS_OF, line, last, OTHER)


# A line that may be a frame or a `... N more` line: indented by a space or a tab, then
# what `_PY_FRAME`, `_AT_FRAME`, `_RUST_FRAME` or `_MORE` reads past the indentation, or a
# go file line (whose function line above is the frame). Searched after a newline, a
# literal the regex engine skips to; `(?!\s)` ends the indentation at once.
_FRAME_CANDIDATE = re.compile(
    r'\n[ \t][^\S\n]*(?!\s)(?:File "|at |\d|\.\.\. \d|\[Previous line repeated)|\n\t\S+\.go:\d'
)


def _frame_candidates(lines: list[str]) -> int:
    """At least as many as the FRAME and MORE lines `_classes(lines)` finds (in lines that
    hold no newline, as a sample's do)."""
    return len(_FRAME_CANDIDATE.findall("\n" + "\n".join(lines)))


def _python_body(lines: list[str], classes: list[int], index: int) -> None:
    """The source line and caret lines under a Python frame belong to it."""
    depth = len(lines[index]) - len(lines[index].lstrip())
    end = index + 1
    while end < len(lines) and end <= index + 3 and classes[end] == OTHER:
        line = lines[end]
        if not line.strip() or len(line) - len(line.lstrip()) <= depth:
            break
        classes[end] = BODY
        end += 1


class TraceCompressor:
    """Stack traces: exceptions and the user's frames kept, library frames collapsed."""

    kind: ContentKind = "trace"
    name = "trace"
    max_confidence = 0.88  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Trace lines (headers, frames, exceptions) on most of the sample."""
        lines = sample.lines
        if not lines or not any(word in sample.head for word in _TRACE_WORDS):
            return None
        read = _read(lines)
        if _frame_candidates(read) < _MIN_FRAMES:
            return None  # the quick no, before each line is classified
        classes = _classes(read)
        counts = Counter(classes)
        frames = counts[FRAME] + counts[MORE]
        if frames < _MIN_FRAMES or not (counts[EXCEPTION] or counts[HEADER]):
            return None
        code_frame = sum(1 for line in lines if " |" in line and _CODE_FRAME.match(line))
        trace = len(lines) - counts[OTHER] + code_frame
        headed = counts[HEADER] + counts[CHAIN] > 0
        if trace >= _TRACE_SHARE * len(lines) and (headed or frames >= _FRAME_SHARE * len(lines)):
            # Above code named by a file (0.85): `python fail.py` prints a trace, not fail.py.
            return Detection("trace", confidence=0.88 if headed else 0.8)
        return None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        lines = split_lines(text)
        if "\r" in text:
            lines = [line.rstrip("\r") for line in lines]
        if len(lines) < 4:
            return None
        read = _read(lines)  # what the lines say (the output keeps them as they are)
        # Classified as `classify(read)` reads them: read again, a nested group's lines
        # lose a second gutter; lines the first reading left alone, a second leaves alone.
        classes = _classes(read if read is lines else _read(read))
        units = _frame_units(classes)
        selection = Selection(text, lines, ctx)
        collapsible = _collapsible(read, classes, units)
        whole = selection.fits_whole()
        if whole and not collapsible:
            return None
        selection.force(  # one force: the kept lines' cost is summed once
            [
                *(i for i, c in enumerate(classes) if c in (EXCEPTION, CHAIN, HEADER, MORE)),
                *(i for unit in units if unit[0] not in collapsible for i in unit),
                *_continuations(read, classes),
            ]
        )
        others = [i for i, c in enumerate(classes) if c == OTHER and i not in selection.kept]
        if whole:  # within the budget only the boilerplate frames go
            selection.force(others)
        else:  # new gaps within the markers' share, then the budget left widens kept runs
            ranked = _ranked(lines, others)
            selection.offer_each([i] for i in ranked)
            selection.widen(ranked)
        return kept_lines_result(lines, sorted(selection.kept), ctx.ref)


def _frame_units(classes: list[int]) -> list[list[int]]:
    """Each frame with the body lines under it, in order."""
    units: list[list[int]] = []
    for index, kind in enumerate(classes):
        if kind == FRAME:
            units.append([index])
        elif kind == BODY and units and units[-1][-1] == index - 1:
            units[-1].append(index)
    return units


def _collapsible(lines: list[str], classes: list[int], units: list[list[int]]) -> set[int]:
    """First lines of the frame units to collapse: library frames, except where an
    exception was raised, and frames already shown above (recursion, a repeated trace)."""
    keys = [tuple([lines[i].strip() for i in unit]) for unit in units]
    occurrences = Counter(keys)
    seen: set[tuple[str, ...]] = set()
    raised = _raise_sites(lines, units)
    out: set[int] = set()
    for unit, key in zip(units, keys, strict=True):
        if key in seen:  # shown above: collapsed, library or not
            out.add(unit[0])
        # A frame that recurs (recursion) shows once, even from a library, as Python's own
        # `[Previous line repeated N more times]` does: the cycle is what the trace says.
        elif occurrences[key] < _RECURRING and unit[0] not in raised:
            if _is_library(lines[unit[0]]):
                out.add(unit[0])
        seen.add(key)
    return out


def _is_library(line: str) -> bool:
    return _LIBRARY.search(line) is not None or _LIBRARY_START.match(line) is not None


def _raise_sites(lines: list[str], units: list[list[int]]) -> set[int]:
    """The frame nearest each exception, one per run of frames: the last of a Python
    traceback (its frames run outermost first), the first of any other kind of trace."""
    sites: set[int] = set()
    run: list[list[int]] = []
    for unit in [*units, [-2]]:
        if run and unit[0] != run[-1][-1] + 1:
            python = lines[run[-1][0]].lstrip().startswith("File ")
            sites.add(run[-1][0] if python else run[0][0])
            run = []
        run.append(unit)
    return sites


def _continuations(lines: list[str], classes: list[int]) -> list[int]:
    """Lines that continue an exception message (its following lines up to the next frame
    or blank line, a few at most)."""
    out: list[int] = []
    for index, kind in enumerate(classes):
        if kind not in (EXCEPTION, CHAIN):
            continue
        end = index + 1
        while (
            end < len(lines) and end <= index + 3 and classes[end] == OTHER and lines[end].strip()
        ):
            if _CODE_FRAME.match(lines[end]) or lines[end][:1] not in (" ", "\t", ""):
                break
            out.append(end)
            end += 1
    return out


def _ranked(lines: list[str], indices: list[int]) -> list[int]:
    """Other lines, error-like first, then the first of each template, then the rest spread."""
    first: dict[str, int] = {}  # each distinct line read once, at its first index
    for i in indices:
        first.setdefault(lines[i], i)
    error_lines = {line for line in first if ERROR_RE.search(line)}
    errors = [i for i in indices if lines[i] in error_lines]
    templates: dict[str, int] = {}
    for line, i in first.items():
        templates.setdefault(message_template(line), i)
    spread = [indices[k] for k in spread_order(len(indices))]
    return list(dict.fromkeys([*errors, *templates.values(), *spread]))
