"""Line patterns that tell a kind by its lines: each language's own keywords, and a
compiler's or linter's message line. Detection asks them of every sampled line in its one
pass (`headroom.engine.detect`); the diagnostics compressor finds its units with the same
pattern, so the two never disagree on what a message line is."""

from __future__ import annotations

from headroom.engine.line_patterns import LinePattern

__all__ = ["CODE_HINTS", "DIAGNOSTIC_MESSAGE", "SEVERITY"]

SEVERITY = r"(?:fatal error|error|warning|note|info|information|hint|help|style|remark)"
"""A diagnostic's severity words, as a regular expression group."""
DIAGNOSTIC_MESSAGE = LinePattern(
    # A compiler's or linter's message line: a location, then a severity or a rule code.
    at_start=(
        rf"\s*(?:\S.*?(?::\d+(?::\d+)?:| ?\(\d+,\d+\):?)|\S.*?:\d+:\d+ -)\s+{SEVERITY}\b"  # gcc, mypy, tsc, pyright
        r"|\s*\S.*?:\d+:\d+:?\s+[A-Z]{1,4}\d{2,5}\b"  # ruff, flake8, pylint codes
        r"|\s*\S.*?:\d+(?::\d+)?:\s+\[[A-Z]{1,4}\d{2,5}\]"  # pylint's format: `path:12: [E501] msg`
        rf"|{SEVERITY}(?:\[\w+\])?: "  # rustc
        r"|[A-Z]{1,4}\d{2,5}(?: \[\*\])? \S"  # ruff's full format: `F401 [*] msg`, then ` --> path`
        r"|\s*\^-*\^? SC\d+ \("  # shellcheck
        rf"|\s+\d+:\d+\s+{SEVERITY}\s"  # eslint stylish
    )
)
"""A diagnostic's message line (the diagnostics compressor's unit; see its module)."""

CODE_HINTS: dict[str, LinePattern] = {
    "python": LinePattern(
        at_start=r"\s*(def \w+\(|class \w+[(:]|import \w+|from [\w.]+ import |async def |@\w+)"
    ),
    "go": LinePattern(
        at_start=r"(package \w+|func (\(\w+ \*?\w+\) )?\w+\(|import \(|type \w+ (struct|interface) \{)"
    ),
    "rust": LinePattern(
        at_start=r"\s*(pub(\(crate\))? )?(fn \w+|impl\b|use \w+::|struct \w+|enum \w+|mod \w+|trait \w+|let mut )"
    ),
    "java": LinePattern(
        at_start=r"\s*(public |private |protected )(static )?(final )?(class|interface|enum|[\w<>\[\]]+ \w+\()|package [\w.]+;|import java"
    ),
    "typescript": LinePattern(
        at_start=r"\s*(export )?(declare )?(interface \w+|type \w+(<.*>)? = |(abstract )?class \w+.*\{|enum \w+)",
        anywhere=r": (?:string|number|boolean)\b",
    ),
    "javascript": LinePattern(
        at_start=r"\s*(function \w*\(|const \w+ = |let \w+ = |var \w+ = |module\.exports|exports\.\w+ = |\w+\.prototype\.)",
        anywhere=r"=> \{|require\(['\"]",
    ),
    "cpp": LinePattern(
        at_start=r"\s*(#include [<\"]|#define |template ?<|namespace \w+|(static |inline |constexpr )*[\w:<>]+[ *&]+\w+\(.*\)\s*(const)?\s*\{?$)",
        anywhere=r"std::",
    ),
    "c": LinePattern(
        at_start=(
            r"\s*(#include [<\"]|#define |typedef |struct \w+ \{|(static )?(void|int|char|size_t) \*?\w+\()"
            r"|\s*(const\s+)?(struct\s+)?[A-Za-z_]\w*\s+\*+\w+\s*[;=,)\[(]"
            r"|\s*#\s*(if|ifdef|ifndef|endif|elif|pragma|undef)\b"
        ),
        anywhere=r"\w->\w",
    ),
}
