"""The question's words: sentence punctuation is not part of a word."""

from headroom.engine.query import query_phrases, query_terms


def test_a_word_ending_a_sentence_is_the_word() -> None:
    terms = query_terms(
        "Look at report.json and tell me what matters in it. Then check disk-quota."
    )
    assert terms == {"report.json", "then", "check", "disk-quota"}


def test_stop_words_stay_out_whatever_follows_them() -> None:
    assert query_terms("is it... or is this?") == set()


def test_a_phrase_on_most_lines_names_no_part_of_the_payload() -> None:
    from headroom.engine.query import focus_of

    text = "\n".join(f"src/mod{i}.py:{i}: x is deprecated" for i in range(100))
    focus = focus_of("What does grep -rn 'deprecated' say about `src/mod7.py:7:`?", text)
    assert focus.phrases == ("src/mod7.py:7:",)
    assert not focus_of("grep -rn 'deprecated' output", text).specific


def test_the_rarest_phrase_names_its_lines_first() -> None:
    from headroom.engine.query import Focus, lines_with

    lines = [f"line {i} common" for i in range(200)]
    lines[140] = "the rare one, common too"
    focus = Focus(frozenset(), ("common", "rare one"))
    kept = lines_with(lines, focus, limit=10)
    assert 140 in kept
    assert len(kept) <= 10


def test_a_whole_long_line_quoted_is_a_phrase() -> None:
    # gcc's messages run past 200 characters; the question may quote one whole.
    line = (
        "/usr/lib/python3/dist-packages/mypyc/lib-rt/CPy.h:603:44: warning: conversion to "
        "‘CPyTagged’ {aka ‘long unsigned int’} from ‘Py_ssize_t’ {aka ‘long int’} may change "
        "the sign of the result [-Wsign-conversion]"
    )
    assert len(line) > 200
    assert query_phrases(f"What does build.log say about `{line}`? Quote the exact lines.") == [
        line
    ]


def test_a_quoted_phrase_holding_code_spans_is_a_phrase_whole() -> None:
    needle = "Missing type annotation for function argument `draft7`"
    question = f"What does ruff.jsonl say about `{needle}`? Quote the exact lines."
    assert needle in query_phrases(question)
