"""Line classes of logs: error, warning, summary, failure title (see headroom.engine.line_patterns)."""

from __future__ import annotations

from headroom.engine.line_patterns import LinePattern, LineSet

__all__ = ["ERROR", "FAILURE_TITLE", "LINE_CLASSES", "SUMMARY", "WARNING"]


ERROR = LinePattern(
    at_start=r"(?:FAILED|FAIL|ERROR)\b|(?:=+|-+) .*(?:FAILURES|ERRORS|short test summary)",
    word=(
        r"(?:ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE|PANIC|EMERG|ALERT|FAILURE|FAILED)\b|panic:"
        r"|[Oo]ut of memory\b|[Kk]illed process\b|[Ss]egmentation fault|[Cc]ore dumped"
        r"|[Ee]rror \d+$"
        r"|(?:[Ee]rror|[Ff]atal)(?: \([^()]{0,60}\))?[:;]|(?:[Ff]ailed|[Ff]ailure|[Ff]ails|[Ff]ailing)\b"
        r"|\d+ (?:failed|errors?)\b|[Ee]xception\b|[Dd]enied\b|[Rr]efused\b|[Ii]nvalid\b"
        r"|[Uu]nable to\b|[Cc]annot\b|[Cc]ould not\b|[Nn]o such (?:file|directory)|[Nn]ot found\b"
        r"|[Tt]imed out\b|[Aa]borted\b|E: |[Ee]xit (?:code|status) [1-9]|[Rr]eturned non-zero"
        r"|[Ee]xited with (?:code |status )?[1-9]"
    ),
    anywhere=(
        r"\[(?:error|crit|alert|emerg)\]|(?:Exception|Error)[:(]|[a-z](?:Exception|Error)\s*$"
        r"|Traceback \(most recent call last\)|npm ERR!|error\[E\d+\]"
    ),
    hints=(
        "err",
        "fatal",
        "denied",
        "refused",
        "invalid",
        "unable",
        "cannot",
        "could not",
        "no such",
        "not found",
        "timed out",
        "abort",
        "e: ",
        "exit ",
        "exited",
        "non-zero",
        "crit",
        "severe",
        "panic",
        "emerg",
        "alert",
        "exception",
        "traceback",
        "fail",
        "summary",
        "out of memory",
        "killed process",
        "segmentation",
        "core dumped",
    ),
)
WARNING = LinePattern(
    # `warning:`, and the kernel's `EXT4-fs warning (device sda1):`
    word=r"(?:WARN|WARNING)\b|[Ww]arning(?: \([^()]{0,60}\))?:",
    anywhere=r"\[warn(?:ing)?\]|DeprecationWarning",
    hints=("warn", "deprecat"),
)
SUMMARY = LinePattern(
    at_start=(
        r"=+ .*\b(?:passed|failed|error|skipped)\b.* =+$|test result:|Tests?:? +\d+"
        r"|(?:ok|FAIL)\s+\S+\s+[\d.]+s$|(?:BUILD|[Bb]uild) (?:SUCCESS|FAILED|succeeded|failed)"
        r"|TOTAL\s+\d"
        r"|\S*make(?:\[\d+\])?: \*\*\*"
    ),
    word=r"found \d+ vulnerabilit",
    hints=(
        "passed",
        "failed",
        "error",
        "skipped",
        "test",
        "build",
        "make",
        "vulnerab",
        "ok",
        "fail",
        "total",
    ),
)
# The title of one failure in a test run: pytest's `____ test_x[param] ____`, jest's
# `● Suite › test`, go's `--- FAIL: TestX`. Each one is kept, whatever the budget.
FAILURE_TITLE = LinePattern(at_start=r"_{3,} .+ _{3,}$|\s*● .+ › |\s*--- FAIL: ")

LINE_CLASSES = LineSet(
    {"error": ERROR, "warning": WARNING, "summary": SUMMARY, "title": FAILURE_TITLE}
)
