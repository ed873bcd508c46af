from headroom.tokens import (
    TokenCounter,
    _chunks,
    _encodable,
    count_tokens,
    encoding_for_model,
    estimate_tokens,
)


def test_exact_counts_offline_with_bundled_encodings() -> None:
    counter = TokenCounter("gpt-4o")
    assert counter.exact, "tiktoken files from the [tokenizers] extra should load offline"
    assert counter.count("hello world") == 2
    assert count_tokens("hello world", model="gpt-4") == 2


def test_model_to_encoding() -> None:
    assert encoding_for_model("gpt-4o-mini") == "o200k_base"
    assert encoding_for_model("openai/gpt-4-0613") == "cl100k_base"
    assert encoding_for_model("claude-sonnet-4-5") == "o200k_base"


def test_estimate_is_reasonable() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("hello, world!") == 6  # hell o , worl d !
    assert 200 <= estimate_tokens("word " * 250) <= 300


def test_huge_unbroken_input_is_counted_in_chunks() -> None:
    counter = TokenCounter("gpt-4o")
    text = "A" * 200_000
    assert counter.count(text) > 0
    assert counter.count("x\n" * 50_000) >= 50_000


def test_invalid_utf8_surrogates_are_counted() -> None:
    text = b"ok \xff\xfe bytes".decode("utf-8", "surrogateescape")
    assert count_tokens(text) > 0


def test_a_large_text_counted_on_two_cores_counts_as_on_one() -> None:
    counter = TokenCounter("gpt-4o")
    lines = [
        f"{i:05d} worker-{i % 7} handled request {i * 37 % 1009} in {i % 13} ms é\n"
        for i in range(4000)
    ]
    text = "".join(lines) + b"\xff".decode("utf-8", "surrogateescape")
    assert len(text) > 100_000  # past the size counted on two cores, in many pieces
    expected = sum(len(counter._encode(piece)) for piece in _chunks(_encodable(text)))  # type: ignore[misc]
    assert counter.count(text) == counter.encode_once(text) == expected
