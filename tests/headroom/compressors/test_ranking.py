"""The batch helpers of `_ranking` give what their one-text-at-a-time forms give."""

from hypothesis import given
from hypothesis import strategies as st

from headroom.compressors._ranking import ERROR_RE, holding, lowered, signature, signatures

_PIECES = [
    "Error", "error", "FAILED", "timed out", "ok", " ", "\n", "id=", "deadbeef01", "42", "-",
    '{"a":', "}", "İ", "É", "x", "Panic", "abort", "aborted", "_",
]  # fmt: skip
_TEXTS = st.lists(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join), max_size=12)


@given(_TEXTS)
def test_batch_helpers_match_their_one_text_forms(texts: list[str]) -> None:
    # Line breaks in a text make the helpers fall back to one text at a time; both ways agree.
    assert signatures(texts) == [signature(t) for t in texts]
    assert lowered(texts) == [t.lower() for t in texts]
    assert holding(ERROR_RE, texts) == {i for i, t in enumerate(texts) if ERROR_RE.search(t)}
