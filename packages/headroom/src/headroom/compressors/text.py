"""Kompress: prose compression.

The model-free default drops whole sentences, never words inside them. Paragraphs (runs of
non-blank lines) are split into sentences, line breaks inside a sentence kept. Headings,
the first and last sentence and sentences naming a rare query term are always kept; the
token budget is then filled by relevance to the query, information density (numbers,
identifiers, code spans, names), paragraph starts and position. Each run of dropped
sentences becomes one CCR marker.

With `kompress_model_path` set (the `[ml]` extra), a local token-classification model
(LLMLingua-2 style keep / drop labels, see `_token_scorer`) decides word by word instead,
within a time budget; when the model is missing or would be too slow, the default runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from headroom.ccr.markers import format_marker, format_note
from headroom.compressors._ranking import rare_terms
from headroom.compressors.base import CompressContext, Compressed
from headroom.detect import ContentKind

__all__ = ["TextCompressor", "query_terms"]

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])(\s+)(?=[\"'(\[`*A-Z0-9])")
_HEADING = re.compile(r"^\s*(#{1,6} |[=\-~^]{3,}\s*$|[A-Z][A-Z0-9 ,:'-]{3,}$)")
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_LONG_FENCE_LINES = 30
_FENCE_LANGUAGES = {
    "python": "python",
    "py": "python",
    "js": "javascript",
    "javascript": "javascript",
    "mjs": "javascript",
    "ts": "typescript",
    "typescript": "typescript",
    "tsx": "tsx",
    "go": "go",
    "golang": "go",
    "rust": "rust",
    "rs": "rust",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
    "c++": "cpp",
    "cc": "cpp",
}
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)]) ")
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
    paragraph: int
    text: str
    first_in_paragraph: bool
    separator: str = " "
    """What stood between this sentence and the previous one: a line break stays one."""


class TextCompressor:
    """Kompress: sentence-level prose compression (or a local token model) within a budget."""

    kind: ContentKind = "text"
    name = "kompress"
    fallback_for: tuple[ContentKind, ...] = ("log", "search", "diff", "html")

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        model_path = ctx.options.get("kompress_model_path")
        if isinstance(model_path, str) and model_path:
            result = _compress_with_model(text, ctx, model_path)
            if result is not None:
                return result
        return _compress_sentences(text, ctx)


def _compress_with_model(text: str, ctx: CompressContext, model_path: str) -> Compressed | None:
    try:
        from headroom.compressors._token_scorer import compress_words
    except ImportError:
        logger.warning(
            'headroom: kompress_model_path needs the ml extra: pip install "headroom[ml]"'
        )
        return None
    budget_ms = ctx.options.get("kompress_time_budget_ms", 250)
    return compress_words(
        text,
        ctx,
        model_path,
        float(budget_ms) / 1000 if isinstance(budget_ms, (int, float)) else 0.25,
    )


def _compress_sentences(text: str, ctx: CompressContext) -> Compressed | None:
    original = _split(text)
    sentences = [_compress_code_section(s, ctx) for s in original]
    sections_changed = sentences != original
    if len(sentences) < 4 and not sections_changed:
        return None
    terms = query_terms(ctx.query)
    rare = rare_terms(terms, [s.text for s in sentences], max(2, len(sentences) // 100))
    must = {i for i, s in enumerate(sentences) if _must_keep(s, i, len(sentences), rare)}
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
    if len(kept) == len(sentences) and not sections_changed:
        return None
    body = _render(sentences, sorted(kept), ctx.ref)
    summary = format_marker(ctx.ref, len(kept), len(sentences), "sentences")
    return Compressed(f"{body}\n{summary}", ctx.ref, len(kept), len(sentences), "sentences")


def _compress_code_section(sentence: _Sentence, ctx: CompressContext) -> _Sentence:
    """A long fenced code block of a known language is compressed by the code compressor."""
    lines = sentence.text.split("\n")
    opening = _FENCE.match(lines[0])
    if not opening or len(lines) < _LONG_FENCE_LINES or lines[-1].strip() != opening.group(1):
        return sentence
    language = _FENCE_LANGUAGES.get(lines[0].strip()[len(opening.group(1)) :].strip().lower())
    if language is None:
        return sentence
    from headroom.compressors.code import CodeCompressor

    code = "\n".join(lines[1:-1])
    section_ctx = replace(
        ctx, language=language, budget_tokens=max(100, ctx.counter.count(code) // 3)
    )
    result = CodeCompressor().compress(code, section_ctx)
    if result is None:
        return sentence
    return _Sentence(sentence.paragraph, "\n".join([lines[0], result.text, lines[-1]]), True)


def _split(text: str) -> list[_Sentence]:
    """Sentences of each paragraph; headings and list items start sentences of their own."""
    sentences: list[_Sentence] = []
    paragraph = 0
    block: list[str] = []

    def flush() -> None:
        nonlocal paragraph
        if block:
            pieces = _SENTENCE_END.split("\n".join(block))
            separator = " "
            for index, piece in enumerate(pieces):
                if index % 2:
                    separator = "\n" if "\n" in piece else " "
                elif piece.strip():
                    sentences.append(_Sentence(paragraph, piece, index == 0, separator))
            paragraph += 1
            block.clear()

    fence: str | None = None
    for line in text.split("\n"):
        line = line.rstrip("\r")
        opening = _FENCE.match(line)
        if fence is not None:  # inside a code fence: one atomic block, kept or dropped whole
            block.append(line)
            if line.strip() == fence:
                sentences.append(_Sentence(paragraph, "\n".join(block), True))
                paragraph += 1
                block.clear()
                fence = None
        elif opening:
            flush()
            fence = opening.group(1)
            block.append(line)
        elif not line.strip():
            flush()
        elif _HEADING.match(line) or _LIST_ITEM.match(line):
            flush()
            block.append(line)
        else:
            block.append(line)
    flush()
    return sentences


def _must_keep(sentence: _Sentence, index: int, total: int, terms: Sequence[str]) -> bool:
    if _HEADING.match(sentence.text) or index in (0, total - 1):
        return True
    lowered = sentence.text.lower()
    return bool(terms) and any(term in lowered for term in terms)


def _score(sentence: _Sentence, index: int, total: int, terms: set[str]) -> float:
    words = max(1, len(sentence.text.split()))
    density = len(_INFORMATIVE.findall(sentence.text)) / words
    lowered = sentence.text.lower()
    relevance = sum(1 for term in terms if term in lowered)
    position = 0.3 if index < total * 0.1 else 0.0
    return 2.0 * relevance + density + position + (0.4 if sentence.first_in_paragraph else 0.0)


def _render(sentences: list[_Sentence], kept: list[int], ref: str) -> str:
    """Kept sentences by paragraph (blank line between), separated as in the original; each
    run of dropped sentences is one marker, in the paragraph where the run began."""
    paragraphs: dict[int, str] = {}
    kept_set = set(kept)
    run = 0
    run_paragraph = 0

    def add(paragraph: int, piece: str, separator: str) -> None:
        current = paragraphs.get(paragraph)
        paragraphs[paragraph] = piece if current is None else current + separator + piece.lstrip()

    for index, sentence in enumerate(sentences):
        if index not in kept_set:
            if not run:
                run_paragraph = sentence.paragraph
            run += 1
            continue
        if run:
            add(run_paragraph, format_note(ref, f"{run} sentences omitted"), " ")
            run = 0
            add(sentence.paragraph, sentence.text, " ")
            continue
        add(sentence.paragraph, sentence.text, sentence.separator)
    if run:
        add(run_paragraph, format_note(ref, f"{run} sentences omitted"), " ")
    return "\n\n".join(text for _, text in sorted(paragraphs.items()))
