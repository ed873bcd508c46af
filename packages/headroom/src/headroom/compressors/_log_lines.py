"""Line classes of logs: error, warning, summary, failure title (see headroom.line_patterns)."""

from __future__ import annotations

from headroom.line_patterns import LinePattern, LineSet

__all__ = ["ERROR", "FAILURE_TITLE", "LINE_CLASSES", "SUMMARY", "WARNING"]


ERROR = LinePattern(
    at_start=r"(?:FAILED|FAIL|ERROR)\b|(?:=+|-+) .*(?:FAILURES|ERRORS|short test summary)",
    word=(
        r"(?:ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE|PANIC|EMERG|ALERT)\b|panic:"
        r"|(?:error|fatal)\b[:;]|(?:failed|failure|fails|failing)\b|\d+ (?:failed|errors?)\b"
    ),
    anywhere=(
        r"\[(?:error|crit|alert|emerg)\]|(?:Exception|Error)[:(]"
        r"|Traceback \(most recent call last\)|npm ERR!|error\[E\d+\]"
    ),
    hints=(
        "err",
        "fatal",
        "crit",
        "severe",
        "panic",
        "emerg",
        "alert",
        "exception",
        "traceback",
        "fail",
        "summary",
    ),
)
WARNING = LinePattern(
    word=r"(?:WARN|WARNING)\b|warning:",
    anywhere=r"\[warn(?:ing)?\]|DeprecationWarning",
    hints=("warn", "deprecat"),
)
SUMMARY = LinePattern(
    at_start=(
        r"=+ .*\b(?:passed|failed|error|skipped)\b.* =+$|test result:|Tests?:? +\d+"
        r"|(?:ok|FAIL)\s+\S+\s+[\d.]+s$|(?:BUILD|Build) (?:SUCCESS|FAILED|succeeded|failed)"
        r"|make(?:\[\d+\])?: \*\*\*"
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
    ),
)
# The title of one failure in a test run: pytest's `____ test_x[param] ____`, jest's
# `● Suite › test`, go's `--- FAIL: TestX`. Each one is kept, whatever the budget.
FAILURE_TITLE = LinePattern(at_start=r"_{3,} .+ _{3,}$|\s*● .+ › |\s*--- FAIL: ")

LINE_CLASSES = LineSet(
    {"error": ERROR, "warning": WARNING, "summary": SUMMARY, "title": FAILURE_TITLE}
)
