"""The question's words: sentence punctuation is not part of a word."""

from headroom.query import query_terms


def test_a_word_ending_a_sentence_is_the_word() -> None:
    terms = query_terms(
        "Look at report.json and tell me what matters in it. Then check disk-quota."
    )
    assert terms == {"report.json", "then", "check", "disk-quota"}


def test_stop_words_stay_out_whatever_follows_them() -> None:
    assert query_terms("is it... or is this?") == set()
