"""Which programming language a payload is in: by its file name, or by line hints."""

from __future__ import annotations

from headroom.engine.detect import CODE_SHAPE_SHARE, Sample
from headroom.engine.line_kinds import CODE_HINTS
from headroom.engine.line_patterns import LineMatches

__all__ = ["language_of", "names_other_source"]

_CODE_HINT_SHARE = 0.04  # lines with a language's own keywords (at least _MINCODE_HINTS)
_MINCODE_HINTS = 2
_DIALECT_SHARE = 0.5  # C++ (TypeScript) hints this many times C's (JavaScript's): the dialect


def language_of(sample: Sample) -> tuple[str | None, bool]:
    """The programming language of the payload and whether its file name says so (else
    it is guessed from line hints, and None when nothing looks like code)."""
    if sample.filename:
        named = _language_from_name(sample.filename)
        if named:
            return named, True
    return _guess_language(sample.matches), False


def _guess_language(matches: LineMatches) -> str | None:
    scores = {name: matches.count(name) for name in CODE_HINTS}
    best = max(scores, key=lambda name: (scores[name], name))
    shape = matches.share("shape")
    enough = max(_MINCODE_HINTS, len(matches) * _CODE_HINT_SHARE)
    if scores[best] < enough or (shape < CODE_SHAPE_SHARE and best != "python"):
        return None
    if best == "c" and scores["cpp"] >= scores["c"] * _DIALECT_SHARE:
        return "cpp"
    if best == "javascript" and scores["typescript"] >= scores["javascript"] * _DIALECT_SHARE:
        return "typescript"
    return best


_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".c": "c",
    ".h": "cpp",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
}


def _language_from_name(filename: str) -> str | None:
    lowered = filename.lower()
    for extension, language in _EXTENSIONS.items():
        if lowered.endswith(extension):
            return language
    return None


# Source files of languages with no grammar here: their lines stay as they are (no table
# form rewrites them), the generic line compressor's to shorten.
_OTHER_SOURCE = (
    ".pl",
    ".pm",
    ".rb",
    ".php",
    ".lua",
    ".sh",
    ".bash",
    ".zsh",
    ".ps1",
    ".kt",
    ".kts",
    ".swift",
    ".scala",
    ".cs",
    ".dart",
    ".ex",
    ".exs",
    ".erl",
    ".hs",
    ".ml",
    ".clj",
    ".groovy",
    ".jl",
    ".nim",
    ".zig",
    ".r",
    ".m",
    ".mm",
    ".pas",
    ".f90",
    ".vb",
)


def names_other_source(filename: str | None) -> bool:
    """Whether `filename` names a source file of a language with no grammar here."""
    return filename is not None and filename.lower().endswith(_OTHER_SOURCE)
