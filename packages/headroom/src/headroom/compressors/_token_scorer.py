"""Kompress model path: a local token-classification model decides which words to keep.

LLMLingua-2 style: a checkpoint with two labels per token (0 = drop, 1 = keep) is loaded
from a local folder (never downloaded: `local_files_only`). Words are scored in batches;
the probability of "keep" of a word is the mean over its sub-tokens. Numbers, identifiers,
code spans and query terms are always kept; the rest is kept best-first until the token
budget is spent. Line breaks are kept; a line that loses every word disappears and is
counted in the closing marker.

It never holds up a request beyond its time budget: a call whose estimated cost (words /
measured throughput) exceeds the budget is not started, and a running call that passes its
deadline stops and returns None, so the model-free default runs instead.
"""

from __future__ import annotations

import re
import threading
import time
from functools import lru_cache

import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer

from headroom.ccr.markers import format_marker
from headroom.compressors.base import CompressContext, Compressed
from headroom.engine.query import query_terms

__all__ = ["TokenScorer", "compress_words", "load_scorer"]

_CHUNK_WORDS = 160
_BATCH = 8
_PROTECTED = re.compile(r"\d|[A-Za-z]+[A-Z_][A-Za-z0-9_]*|`|\w\.\w|/|::|^[A-Z][a-z]+")


class TokenScorer:
    """A keep / drop token classifier from a local checkpoint folder."""

    def __init__(self, path: str) -> None:
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModelForTokenClassification.from_pretrained(path, local_files_only=True)
        self.model.eval()
        self.words_per_second: float | None = None
        self._lock = threading.Lock()

    def would_exceed(self, words: int, budget_s: float) -> bool:
        return self.words_per_second is not None and words / self.words_per_second > budget_s

    def keep_probabilities(self, words: list[str], deadline: float) -> list[float] | None:
        """P(keep) for each word, or None when the deadline passed."""
        started = time.perf_counter()
        chunks = [words[i : i + _CHUNK_WORDS] for i in range(0, len(words), _CHUNK_WORDS)]
        scores: list[float] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(chunks), _BATCH):
                if time.perf_counter() > deadline:
                    return None
                scores.extend(self._score_batch(chunks[start : start + _BATCH]))
        elapsed = max(time.perf_counter() - started, 1e-6)
        self.words_per_second = len(words) / elapsed
        return scores

    def _score_batch(self, batch: list[list[str]]) -> list[float]:
        encoded = self.tokenizer(
            batch,
            is_split_into_words=True,
            truncation=True,
            max_length=512,
            padding=True,
            return_tensors="pt",
        )
        logits = self.model(
            **{
                k: v
                for k, v in encoded.items()
                if k in ("input_ids", "attention_mask", "token_type_ids")
            }
        ).logits
        keep = torch.softmax(logits, dim=-1)[..., -1]
        out: list[float] = []
        for row, words in enumerate(batch):
            sums = [0.0] * len(words)
            counts = [0] * len(words)
            for position, word_id in enumerate(encoded.word_ids(row)):
                if word_id is not None:
                    sums[word_id] += float(keep[row, position])
                    counts[word_id] += 1
            out.extend(s / c if c else 0.5 for s, c in zip(sums, counts, strict=True))
        return out


@lru_cache(maxsize=4)
def load_scorer(path: str) -> TokenScorer:
    """The scorer of the checkpoint at `path`, loaded once per process."""
    return TokenScorer(path)


def compress_words(
    text: str, ctx: CompressContext, model_path: str, budget_s: float
) -> Compressed | None:
    """Word-level compression by the model, or None (the caller falls back) when it cannot run in time."""
    deadline = time.perf_counter() + budget_s
    try:
        scorer = load_scorer(model_path)
    except (OSError, ValueError):
        return None
    lines = text.split("\n")
    words: list[tuple[int, str]] = [(n, w) for n, line in enumerate(lines) for w in line.split()]
    if len(words) < 20 or scorer.would_exceed(len(words), budget_s):
        return None
    probabilities = scorer.keep_probabilities([w for _, w in words], deadline)
    if probabilities is None:
        return None
    kept = _choose(words, probabilities, ctx)
    if len(kept) == len(words):
        return None
    out_lines: dict[int, list[str]] = {}
    for index in sorted(kept):
        line, word = words[index]
        out_lines.setdefault(line, []).append(word)
    body = "\n".join(" ".join(parts) for _, parts in sorted(out_lines.items()))
    closing = format_marker(ctx.ref, len(kept), len(words), "words")
    return Compressed(
        text=f"{body}\n{closing}", ref=ctx.ref, kept=len(kept), total=len(words), unit="words"
    )


def _choose(
    words: list[tuple[int, str]], probabilities: list[float], ctx: CompressContext
) -> set[int]:
    terms = query_terms(ctx.query)
    kept = {
        i
        for i, (_, w) in enumerate(words)
        if _PROTECTED.search(w) or w.lower().strip(".,;:!?()") in terms
    }
    spent = sum(ctx.counter.count(" " + words[i][1]) for i in kept)
    for index in sorted(range(len(words)), key=lambda i: (-probabilities[i], i)):
        if index in kept:
            continue
        cost = ctx.counter.count(" " + words[index][1])
        if spent + cost > ctx.budget_tokens:
            break
        kept.add(index)
        spent += cost
    return kept
