"""Line classes of logs: error, warning, summary (see headroom.line_patterns)."""

from __future__ import annotations

from headroom.line_patterns import LinePattern

__all__ = ["ERROR", "SUMMARY", "WARNING"]


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
)
WARNING = LinePattern(
    word=r"(?:WARN|WARNING)\b|warning:", anywhere=r"\[warn(?:ing)?\]|DeprecationWarning"
)
SUMMARY = LinePattern(
    at_start=(
        r"=+ .*\b(?:passed|failed|error|skipped)\b.* =+$|test result:|Tests?:? +\d+"
        r"|(?:ok|FAIL)\s+\S+\s+[\d.]+s$|(?:BUILD|Build) (?:SUCCESS|FAILED|succeeded|failed)"
        r"|make(?:\[\d+\])?: \*\*\*"
    ),
    word=r"found \d+ vulnerabilit",
)
