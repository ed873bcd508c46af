"""Shared helpers of the run-output kinds' tests (traces, test runs, diagnostics)."""

from headroom.ccr.markers import ANY_MARKER_RE, make_ref, split_lines
from headroom.compressors.base import CompressContext, default_registry
from headroom.engine.query import focus_of
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")


def ctx_for(text: str, query: str = "", budget: int = 300) -> CompressContext:
    return CompressContext(
        ref=make_ref(text),
        query=query,
        budget_tokens=budget,
        counter=COUNTER,
        focus=focus_of(query, text),
        registry=default_registry(),
    )


def assert_verbatim(original: str, output: str) -> None:
    """Every output line is an original line or a marker; gap counts add up."""
    lines = split_lines(original)
    originals = set(lines)
    out = output.split("\n")
    gaps = 0
    for line in out:
        marker = ANY_MARKER_RE.fullmatch(line)
        if marker:
            detail = marker["detail"]
            if not detail.startswith("kept"):
                gaps += int(detail.split()[0])
        else:
            assert line in originals, line
    kept = sum(1 for line in out if not ANY_MARKER_RE.fullmatch(line))
    assert kept + gaps == len(lines)
