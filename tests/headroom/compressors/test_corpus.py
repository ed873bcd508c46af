"""Every corpus file through the engine: smaller, needles kept or retrievable, markers resolve."""

import pytest

from headroom import Headroom
from headroom.ccr.markers import MARKER_RE, find_markers
from headroom.engine.payloads import token_budget
from tests.conftest import corpus_files

EXPECTED_COMPRESSOR = {
    "json": "smartcrusher",
    "log": ("logs", "testrun"),  # a test run's output filed as a log is the test kind
    "search": "search",
    "diff": "diff",
    "prose": "kompress",
    "html": "html",
    "listing": "listing",
    "csv": "csv",
    "jsonl": "jsonl",
    "test": "testrun",
    "diagnostics": "diagnostics",
    "trace": "trace",
}
LINE_KINDS = ("log", "search", "prose", "listing")


@pytest.mark.parametrize(
    "corpus_file", [f for f in corpus_files() if f.kind in EXPECTED_COMPRESSOR], ids=lambda f: f.id
)
def test_corpus_file(engine: Headroom, corpus_file) -> None:
    text = corpus_file.text()
    result = engine.compress_text(text)
    if result.tokens_before <= token_budget(result.tokens_before, engine.config):
        # Within budget nothing is lost, but a trace's library and repeated frames
        # (boilerplate, retrievable) go whatever the budget, and a listing states its
        # constant columns once (a lossless table form).
        assert result.text == text or not result.refs or result.kind in ("trace", "listing")
        if result.kind not in ("trace", "listing") or not result.changed:
            return
    expected = EXPECTED_COMPRESSOR[corpus_file.kind]
    assert result.compressor in ((expected,) if isinstance(expected, str) else expected)
    assert result.tokens_after < result.tokens_before
    for marker in find_markers(result.text):
        assert engine.retrieve(marker.ref) == text
    for needle in corpus_file.needles:
        if needle not in result.text:
            assert needle in (engine.retrieve(result.refs[0], query=needle) or ""), needle
    if corpus_file.kind in LINE_KINDS:
        assert_is_subsequence(
            [line for line in result.text.split("\n") if not MARKER_RE.search(line)],
            [line.rstrip("\r") for line in text.split("\n")],
        )


def assert_is_subsequence(kept: list[str], original: list[str]) -> None:
    """Kept lines appear in the original in the same order (summary lines after the body)."""
    position = 0
    for line in kept:
        try:
            position = original.index(line, position) + 1
        except ValueError:
            assert line not in original, f"kept line out of order: {line!r}"
