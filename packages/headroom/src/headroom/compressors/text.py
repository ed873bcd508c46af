"""Kompress: prose compression that drops whole sentences, never words inside them.

The model-free default scores each sentence by relevance to the user's query, by
information density (numbers, identifiers, code spans, names) and by position, keeps
headings, the first sentence of every paragraph and everything that names a query term,
and fills the token budget with the best of the rest. Each run of dropped sentences
becomes one CCR marker, so nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.ccr.markers import format_marker, format_note
from headroom.compressors.base import CompressContext, Compressed
from headroom.detect import ContentKind

__all__ = ["TextCompressor", "query_terms"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[`*A-Z0-9])")
_HEADING = re.compile(r"^\s*(#{1,6} |[=\-~^]{3,}\s*$|[A-Z][A-Z0-9 ,:'-]{3,}$)")
_INFORMATIVE = re.compile(
    r"`[^`]+`|\b\d[\d.,:_-]*\b|\b[A-Za-z]+[A-Z_][A-Za-z0-9_]*\b|\b\w+\.\w+(\.\w+)*\b|"
    r"(?<=[a-z] )[A-Z][a-zA-Z]+|\b[0-9a-f]{7,40}\b|https?://\S+|/\w+(/\w+)+"
)
_WORD = re.compile(r"[A-Za-z0-9_][\w.-]*")
_STOPWORDS = frozenset(
    "the a an and or of to in on for with is are was were be been it this that what which who "
    "how why when where do does did can could should would i you we they my your our please "
    "tell me show find about from by as at not no".split()
)


def query_terms(query: str) -> set[str]:
    """Lower-cased words of the query worth matching (stop words and short words out)."""
    return {w.lower() for w in _WORD.findall(query) if len(w) > 2 and w.lower() not in _STOPWORDS}


@dataclass(frozen=True)
class _Sentence:
    line: int
    text: str
    first_in_line: bool


class TextCompressor:
    """Kompress (model-free): sentence-level prose compression within a token budget."""

    kind: ContentKind = "text"
    name = "kompress"
    fallback_for: tuple[ContentKind, ...] = ("log", "search", "diff", "html")

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        sentences = _split(text)
        if len(sentences) < 4:
            return None
        terms = query_terms(ctx.query)
        rare = _rare_terms(terms, sentences)
        must = {i for i, s in enumerate(sentences) if _must_keep(s, i, sentences, rare)}
        scores = [_score(s, i, len(sentences), terms) for i, s in enumerate(sentences)]
        spent = sum(ctx.counter.count(sentences[i].text) for i in must)
        kept = set(must)
        for index in sorted(range(len(sentences)), key=lambda i: (-scores[i], i)):
            if index in kept:
                continue
            cost = ctx.counter.count(sentences[index].text)
            if spent + cost > ctx.budget_tokens:
                continue
            kept.add(index)
            spent += cost
        if len(kept) == len(sentences):
            return None
        body = _render(sentences, sorted(kept), ctx.ref)
        summary = format_marker(ctx.ref, len(kept), len(sentences), "sentences")
        return Compressed(f"{body}\n{summary}", ctx.ref, len(kept), len(sentences), "sentences")


def _split(text: str) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    for line_index, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        for piece_index, piece in enumerate(_SENTENCE_END.split(line)):
            if piece.strip():
                sentences.append(_Sentence(line_index, piece, piece_index == 0))
    return sentences


def _rare_terms(terms: set[str], sentences: list[_Sentence]) -> set[str]:
    """Query terms specific enough to force a sentence in: found in at most 1% of them.

    A long query (a pasted document) forces nothing: its words only raise scores.
    """
    if len(terms) > 24:
        return set()
    limit = max(2, len(sentences) // 100)
    lowered = [s.text.lower() for s in sentences]
    return {t for t in terms if sum(1 for text in lowered if t in text) <= limit}


def _must_keep(
    sentence: _Sentence, index: int, sentences: list[_Sentence], terms: set[str]
) -> bool:
    if _HEADING.match(sentence.text) or index in (0, len(sentences) - 1):
        return True
    paragraph_start = sentence.first_in_line and (
        index == 0 or sentences[index - 1].line < sentence.line - 1
    )
    if paragraph_start:
        return True
    lowered = sentence.text.lower()
    return bool(terms) and any(term in lowered for term in terms)


def _score(sentence: _Sentence, index: int, total: int, terms: set[str]) -> float:
    words = max(1, len(sentence.text.split()))
    density = len(_INFORMATIVE.findall(sentence.text)) / words
    lowered = sentence.text.lower()
    relevance = sum(1 for term in terms if term in lowered)
    position = 0.3 if index < total * 0.1 else 0.0
    return 2.0 * relevance + density + position + (0.2 if sentence.first_in_line else 0.0)


def _render(sentences: list[_Sentence], kept: list[int], ref: str) -> str:
    """Kept sentences on their own lines as in the original; each dropped run is one marker."""
    lines: dict[int, list[str]] = {}
    kept_set = set(kept)
    run = 0
    for index, sentence in enumerate(sentences):
        if index in kept_set:
            if run:
                lines.setdefault(sentence.line, []).append(
                    format_note(ref, f"{run} sentences omitted")
                )
                run = 0
            lines.setdefault(sentence.line, []).append(
                sentence.text.strip() if lines.get(sentence.line) else sentence.text
            )
        else:
            run += 1
    if run:
        lines.setdefault(sentences[-1].line + 1, []).append(
            format_note(ref, f"{run} sentences omitted")
        )
    return "\n".join(" ".join(parts) for _, parts in sorted(lines.items()))
