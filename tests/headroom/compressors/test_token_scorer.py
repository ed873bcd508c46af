"""The Kompress model path on a tiny, randomly initialised checkpoint built locally.

torch and transformers are imported by the fixtures, not at the top: collecting the suite
must not pay for them."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from headroom import Headroom
from headroom.ccr import SqlStore
from headroom.ccr.markers import find_markers, make_ref
from headroom.compressors.base import CompressContext
from headroom.tokens import counter_for
from tests.conftest import small_fixture_config

COUNTER = counter_for("gpt-4o")
TEXT = "\n".join(
    f"The replica {i} reported healthy status after the nightly maintenance window closed quietly."
    for i in range(60)
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-kompress")
    words = sorted({w.strip(".").lower() for w in TEXT.split()} | {"."})
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *words,
        *(f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz0123456789"),
    ]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
        num_labels=2,
    )
    BertForTokenClassification(config).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def kompress() -> ModuleType:
    """The model path's module (it imports torch and transformers)."""
    from headroom.compressors import _token_scorer

    return _token_scorer


def ctx_for(text: str, budget: int) -> CompressContext:
    return CompressContext(ref=make_ref(text), query="", budget_tokens=budget, counter=COUNTER)


@pytest.mark.slow  # builds and runs a small transformers model
def test_model_path_runs_end_to_end(tiny_model: str, tmp_path: Path) -> None:
    config = small_fixture_config(kompress_model_path=tiny_model, kompress_time_budget_ms=60_000)
    engine = Headroom(config, store=SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    result = engine.compress_text(TEXT)
    assert result.compressor == "kompress"
    assert result.tokens_after < result.tokens_before
    assert "kept" in result.text and "words" in find_markers(result.text)[-1].detail
    assert engine.retrieve(result.refs[0]) == TEXT
    for i in (0, 17, 59):
        assert str(i) in result.text  # numbers are always kept
    assert result.text.count("\n") >= 59  # lines are never glued together


@pytest.mark.slow  # builds and runs a small transformers model
def test_model_output_is_deterministic(tiny_model: str, kompress: ModuleType) -> None:
    first = kompress.compress_words(TEXT, ctx_for(TEXT, 300), tiny_model, 60.0)
    second = kompress.compress_words(TEXT, ctx_for(TEXT, 300), tiny_model, 60.0)
    assert first is not None and first == second


@pytest.mark.slow  # builds and runs a small transformers model
def test_time_budget_is_honoured(tiny_model: str, kompress: ModuleType) -> None:
    scorer = kompress.load_scorer(tiny_model)
    assert (
        kompress.compress_words(TEXT, ctx_for(TEXT, 300), tiny_model, 60.0) is not None
    )  # measures throughput
    assert scorer.words_per_second is not None
    assert (
        kompress.compress_words(TEXT, ctx_for(TEXT, 300), tiny_model, 0.0) is None
    )  # would exceed: not started
    assert scorer.keep_probabilities(TEXT.split(), deadline=0.0) is None  # past its deadline: stops


@pytest.mark.slow  # builds and runs a small transformers model
def test_engine_falls_back_to_sentences_when_the_model_cannot_run_in_time(
    tiny_model: str, tmp_path: Path, kompress: ModuleType
) -> None:
    config = small_fixture_config(kompress_model_path=tiny_model, kompress_time_budget_ms=0)
    engine = Headroom(config, store=SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    kompress.load_scorer(tiny_model).words_per_second = 1.0  # as if measured on a slow machine
    result = engine.compress_text(TEXT)
    assert "lines" in find_markers(result.text)[-1].detail


def test_missing_checkpoint_falls_back(tmp_path: Path, kompress: ModuleType) -> None:
    assert (
        kompress.compress_words(TEXT, ctx_for(TEXT, 300), str(tmp_path / "nothing-here"), 60.0)
        is None
    )
