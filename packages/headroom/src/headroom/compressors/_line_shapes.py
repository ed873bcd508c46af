"""What the generic line compressor reads off each line: its template, whether it looks like
an error, its tokens, and which of those tokens are rare in the payload.

All of it by shape, so it holds on text nobody tuned for: a template is the line with its
variable parts blinded (numbers, hex, quoted values, paths, URLs); an error is a severity
word anywhere on the line, a chained-exception header, a non-zero exit status, or a line
that breaks a run of one template; a token is rare when few lines of the payload hold it,
unless its shape (digits as 9) is a clock (on most lines, different on nearly every one);
a line belongs under the line above it indented less, or its record's first line; in a
file mostly of comments, the lines that are not are live.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import chain

from headroom.compressors._log_values import clock_shapes
from headroom.compressors._records import block_starts, record_openings
from headroom.compressors.logs import template_of

__all__ = [
    "UNDERLINE_CHARS",
    "digit_blind",
    "error_lines",
    "headings",
    "indentation",
    "live_lines",
    "openings",
    "outliers",
    "rare_token_counts",
    "setext_levels",
    "settings",
    "strong_errors",
    "templates",
]

_DIGIT_BYTES_TO_ONE = bytes.maketrans(b"0123456789", b"1" * 10)
_ASCII_DIGITS_TO_9 = str.maketrans("0123456789", "9" * 10)
# Variable parts a number mask does not see: quoted values, URLs, paths (two segments at
# least). None spans a line break, so all distinct lines are blinded in one pass.
_BLIND = re.compile(
    r"'[^'\n]{1,200}'|\"[^\"\n]{1,200}\"|‘[^’\n]{1,200}’|“[^”\n]{1,200}”"
    r"|\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+"
    r"|(?<![\w/.~-])(?:~|\.{1,2})?/?[\w.@+~-]+(?:/[\w.@+~-]+)+/?"
)
# Error-ness by shape. A severity word anywhere on the line (any case), a chained
# exception's header, a non-zero exit status, a status code, a `E:` / `error[E0425]` prefix.
# Error-ness by shape, read on the lower-cased text: a severity word anywhere on the line
# (not part of a name: `libgpg-error-dev`, `errors.py`),
# a word ending in error / exception / warning (`ValueError`), `error[E0425]`, a non-zero
# exit status (`exit code 2`, `returned 1`, make's `Error 1`). Every branch starts with one
# of the letters of the lookahead, so the engine skips other positions at once.
_SEVERITY = re.compile(
    r"(?=[acdefiknprstuw])(?:(?<![-./])\b(?:errors?|fatal|fail(?:s|ed|ing|ures?)?|warn(?:ings?)?"
    r"|exceptions?|panic(?:ked)?|denied|refused|abort(?:ed)?|crash(?:ed)?|cannot|can't"
    r"|couldn't|unable to|not found|no such file|unexpected|invalid|traceback|critical"
    r"|segmentation fault|timed out|killed)\b(?![-/]\w|\.\w)"
    r"|(?<=\w)(?:error|exception|warning)\b(?![-/]\w|\.\w)|error\["
    r"|\b(?:exit(?:ed)?(?: with)?(?: code| status)?|returned(?: non-zero exit status)?|error)"
    r" [1-9]\d*(?![\d.]| +[a-z]))"
)
# Every match of `_SEVERITY` holds one of these (a line without any cannot match it).
_SEVERITY_WORDS = (
    "error", "fatal", "fail", "warn", "exception", "panic", "denied", "refused", "abort",
    "crash", "cannot", "can't", "couldn't", "unable to", "not found", "no such file",
    "unexpected", "invalid", "traceback", "critical", "segmentation fault", "timed out",
    "killed", "exit", "returned",
)  # fmt: skip
# At a line's start: apt's `E: ` (and `W: `, `F: `), a chained exception's header.
_SEVERITY_START = re.compile(r"^[ \t]*(?:[EWF]: |Caused by\b|During handling\b)", re.M)
_EXIT = (
    r"\b(?:exit(?:ed)?(?: with)?(?: code| status)?|returned(?: non-zero exit status)?)"
    r" [1-9]\d*(?![\d.]| +[A-Za-z])|\bError [1-9]\d*\b"
)
# A strong error: the severity word as a label (`error:`, `ERROR`, `ValueError:`, `E: `,
# `FAILED`), a chained exception, an exit status; a weak one is the word inside prose.
_STRONG = re.compile(
    r"\b(?:[Ee]rror|[Ff]atal|[Ww]arning|[Ee]xception|[Pp]anic|[Ff]ailed|\w+Error|\w+Exception)"
    r"(?:\[\w+\])?\s*[:!]|\b(?:ERROR|FATAL|FAILED|FAIL|WARN|WARNING|CRITICAL|PANIC|SEVERE)\b"
    rf"|^\s*[EWF]: |^\s*(?:Caused by|During handling|Traceback)\b|{_EXIT}",
    re.M,
)
# Runs of blanks or of one punctuation mark (alignment, a caret's underline `^-----^`) are
# one of it in a template: lines that differ only there are one template.
_RUNS = re.compile(r"[ \t]{2,}|([^\w\s])\1+")
_TOKEN = re.compile(r"\w(?:[\w.:/@+-]*\w)?")
_CLOCK_SHARE = 0.3  # a shape on this share of the lines, its values nearly all unique, is a clock
_OUTLIER_RUN = 3  # a template seen this many times makes a run its odd line breaks
_COMMENT_SIGNS = ("#", ";", "//")
UNDERLINE_CHARS = "=-~^"  # a setext / reStructuredText underline's character, by level
_SETTING = re.compile(r"(?:export |set )?[A-Za-z_][\w.-]*[ \t]*(?:[:+?!]?=(?!=)|\()")
_OUTLINE = re.compile(r"(\*{1,8}) \S")  # an outline heading's level: its run of asterisks


def digit_blind(text: str) -> str:
    """`text` with every ASCII digit as 1 (as UTF-8 bytes: one pass, any character)."""
    data = text.encode("utf-8", "surrogatepass").translate(_DIGIT_BYTES_TO_ONE)
    return data.decode("utf-8", "surrogatepass")


def templates(keys: Sequence[str]) -> list[str]:
    """The template of each digit-blind line key, every distinct key blinded once."""
    distinct = list(dict.fromkeys(keys))
    blinded = _RUNS.sub(_one_of_run, _BLIND.sub("<*>", "\n".join(distinct)))
    masked = template_of(blinded).split("\n")
    by_key: dict[str, str] = {}
    by_text: dict[str, str] = {}
    for key, template in zip(distinct, masked, strict=True):
        by_key[key] = by_text.setdefault(template, template)  # one template, one string
    return [by_key[key] for key in keys]


def _one_of_run(match: re.Match[str]) -> str:
    return match.group(1) or " "


def error_lines(lines: Sequence[str]) -> set[int]:
    """Indices of the lines with an error's shape. `_SEVERITY` is read only on the lines
    holding one of its words (`_SEVERITY_WORDS`, found by substring search): on prose, where
    its first letters are everywhere, a pass of it over every line costs several times more.
    The patterns never cross a line break, so a line read alone matches as it would joined."""
    joined = "\n".join(lines)
    lowered = joined.lower()
    found = _holding(_SEVERITY_START, joined)
    hits: list[int] = []  # the first place of each word on each line holding it
    find = lowered.find
    for word in _SEVERITY_WORDS:
        position = find(word)
        while position >= 0:
            hits.append(position)
            following = find("\n", position)
            position = find(word, following) if following >= 0 else -1
    candidates: set[int] = set()
    line = previous = 0
    for position in sorted(hits):
        line += lowered.count("\n", previous, position)
        previous = position
        candidates.add(line)
    search = _SEVERITY.search
    rows = lowered.split("\n") if candidates else []
    found.update(i for i in candidates if search(rows[i]) is not None)
    return found


def strong_errors(lines: Sequence[str], among: set[int]) -> set[int]:
    """The error lines of `among` whose severity is a label, not a word in prose."""
    return {i for i in among if _STRONG.search(lines[i])}


def outliers(template_of_line: Sequence[str], counts: Counter[str]) -> set[int]:
    """Lines that break a run of one template: both neighbours share a template seen
    at least `_OUTLIER_RUN` times, and the line's own differs."""
    found: set[int] = set()
    for i in range(1, len(template_of_line) - 1):
        around = template_of_line[i - 1]
        if (
            around == template_of_line[i + 1]
            and around != template_of_line[i]
            and counts[around] >= _OUTLIER_RUN
            and around.strip()
        ):
            found.add(i)
    return found


def rare_token_counts(lines: Sequence[str], limit: int) -> list[int]:
    """For each line, how many of its tokens at most `limit` lines hold (clocks aside)."""
    tokens = [set(_TOKEN.findall(line)) for line in lines]
    seen: Counter[str] = Counter(chain.from_iterable(tokens))
    rare = {t for t, n in seen.items() if n <= limit}
    if not rare:
        return [0] * len(lines)
    with_digits = [t for t in seen if any(c.isdigit() for c in t)]
    clocks, _ = clock_shapes(tokens, seen, with_digits, _CLOCK_SHARE)
    if clocks:
        rare = {t for t in rare if t.translate(_ASCII_DIGITS_TO_9) not in clocks}
    return [len(found & rare) for found in tokens]


def openings(lines: Sequence[str], setext: dict[int, int]) -> list[int]:
    """The line each line belongs under (-1 for none): the nearest line above it indented
    less, or for an unindented line of a record (one of the blank-line separated blocks
    that mostly open with one field: `Package: ...` stanzas), the record's first line. An
    outline heading (`* Version 3.7.9`, `** libgnutls: ...`: a run of asterisks and a
    space) stands above the plain lines at its own indentation, and a shorter run above a
    longer one; so does a setext heading (`1.24.5` over `=====`, `Bug fixes` over `---`,
    by its underline's level, `setext` as `setext_levels` finds them), whose underline goes
    with it: an entry shown keeps the headings it was written under. One pass with a stack
    of the lines indented less, then the record blocks."""
    opening = [-1] * len(lines)
    stack: list[tuple[float, int]] = []  # (depth, line) of the enclosing lines
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        depth = indentation(line) + 0.1 * setext[i] if i in setext else _depth(line)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            opening[i] = stack[-1][1]
        stack.append((depth, i))
    for i in setext:  # a setext heading's underline goes with its text
        opening[i + 1] = i
    record_openings(lines, block_starts(lines), opening)
    return opening


def setext_levels(lines: Sequence[str]) -> dict[int, int]:
    """Each setext heading's text line (`1.24.5` over `=======`) and its level, by its
    underline's character (`=` 1, `-` 2, ...)."""
    return {
        i - 1: UNDERLINE_CHARS.index(lines[i].strip()[0]) + 1
        for i in range(1, len(lines))
        if _underlines(lines[i - 1], lines[i])
    }


def headings(lines: Sequence[str], setext: dict[int, int]) -> set[int]:
    """A document's headings among `lines` that name one part each: a setext heading's
    text (`setext`) or an outline heading (a run of asterisks and a space at a line's
    start) that occurs once (`1.24.5`, not the `Bug fixes` under every release)."""
    found = set(setext) | {i for i, line in enumerate(lines) if _OUTLINE.match(line)}
    seen = Counter(lines[i].strip() for i in found)
    return {i for i in found if seen[lines[i].strip()] == 1}


def settings(lines: Sequence[str]) -> set[int]:
    """Lines that set something, at a line's start: an assignment (`VERSION= 3.8`,
    `CC := gcc`, `export PATH=...`) or a statement-level call (`find_package(ZLIB)`), the
    facts of a build or variable file, where comments are mostly prose."""
    return {i for i, line in enumerate(lines) if _SETTING.match(line)}


def _underlines(text: str, line: str) -> bool:
    """`line` underlines `text` (`v1.24.5` over `=======`): a run of one of `=-~^` at
    least three long and over most of the text's length."""
    rule = line.strip()
    if len(rule) < 3 or rule[0] not in UNDERLINE_CHARS or rule.strip(rule[0]):
        return False
    words = text.strip()
    return bool(words) and words[0] not in UNDERLINE_CHARS and len(rule) >= 0.6 * len(words)


def _depth(line: str) -> float:
    """Indentation, with an outline heading's level below the plain lines at its column:
    `*` at 0.1, `**` at 0.2, ..., plain text at 0.9."""
    column = indentation(line)
    level = _OUTLINE.match(line, column)
    return column + (0.1 * len(level.group(1)) if level else 0.9)


def live_lines(lines: Sequence[str]) -> set[int]:
    """In a file that is mostly comments (a config shipped with its defaults commented
    out, `#shared_buffers = 128MB`), the lines that are not: the settings in force. Empty
    when comments are not most of the non-blank lines."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    commented = {i for i in content if lines[i].lstrip().startswith(_COMMENT_SIGNS)}
    if len(commented) * 2 < len(content):
        return set()
    return set(content) - commented


def indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


def _holding(pattern: re.Pattern[str], joined: str) -> set[int]:
    """Indices of the lines of `joined` that `pattern` matches in, from one scan."""
    found: set[int] = set()
    line = 0
    position = 0
    for match in pattern.finditer(joined):
        start = match.start()
        line += joined.count("\n", position, start)
        position = start
        found.add(line)
    return found
