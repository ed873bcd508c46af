"""ContentRouter: detect a payload's kind, hand it to that kind's compressor, judge the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from headroom.ccr.markers import neutralise_markers
from headroom.compressed import Compressed
from headroom.compressors._grammars import parser_for
from headroom.compressors._long_lines import CLIP_OVER
from headroom.compressors.base import CompressContext, Compressor, default_registry
from headroom.engine.detect import CERTAIN, FALLBACK_KIND, LIKELY, Detection, detect_with
from headroom.engine.framed import FramedView, framed_view, reframed, unframed_phrase
from headroom.engine.mixed import (
    MIXED_KIND,
    Part,
    compress_parts,
    split_document,
    split_fenced,
    split_files,
    split_parts,
)
from headroom.engine.query import focus_of
from headroom.engine.wellformed import parses_as_json, parses_as_xml

__all__ = ["ContentRouter", "detect"]

_OVER_BUDGET = 1.1  # a framed view's output past its budget by more: chosen again within less


class ContentRouter:
    """Routes each payload to the compressor registered for its kind."""

    def __init__(self, registry: Mapping[str, Compressor], *, min_savings_tokens: int) -> None:
        self.registry = dict(registry)
        # Every loaded detector (a plugin may take over a kind and keep its detector).
        self.detectors: list[object] = list(getattr(registry, "detectors", registry.values()))
        self.min_savings_tokens = min_savings_tokens

    def detect(self, text: str, *, filename: str | None = None) -> Detection:
        """The kind of `text`, as the registered compressors' detectors judge it."""
        return detect_with(self.detectors, text, filename=filename)

    def route(
        self, text: str, ctx: CompressContext, *, tokens: int, filename: str | None = None
    ) -> Compressed:
        """`text` (of `tokens` tokens) compressed by its kind's compressor, or unchanged when
        there is none, it declines, or it saves fewer than `min_savings_tokens`."""
        view = framed_view(text)
        if view is not None:  # `cat -n`, an editor's view: compressed as the file it shows
            routed = self._route_view(view, text, ctx, tokens, filename)
            if routed is not None:
                return routed
        detection = self.detect(text, filename=filename)
        clean = neutralise_markers(text)  # marker-like text must not pass for a real marker
        ctx = replace(
            ctx,
            language=ctx.language or detection.language,
            registry=self.registry,
            route=self._route_nested,
            parsed=detection.parsed if clean is text else None,  # parsed once, if unchanged
        )
        splitter = _body_splitter(detection)
        if splitter is not None:
            # A few lines around a JSON or XML document (`curl -i`'s headers) or a fenced
            # block made it no document; its compressor decides, even to leave it whole.
            document = self._route_split(text, ctx, tokens, splitter, settled=True)
            if document is not None:
                return document
        if detection.kind == FALLBACK_KIND and not detection.confidence:  # no detector claimed it
            mixed = self._route_split(text, ctx, tokens, _files_or_parts)
            if mixed is not None:
                return mixed
        compressor = self.registry.get(detection.kind)
        unchanged = Compressed.unchanged(
            text,
            tokens,
            kind=detection.kind,
            language=detection.language,
            compressor=None if compressor is None else compressor.name,
        )
        if compressor is None:
            return unchanged
        for_clean = _for_neutralised(ctx, text, clean, tokens)
        result = compressor.compress(clean, for_clean)
        judged = self._judged(result, unchanged, text, tokens, ctx)
        if judged.changed or tokens <= ctx.budget_tokens:
            return judged
        # Over its budget and declined (minified code: no whole line to drop): the generic
        # line compressor holds on anything.
        fallback = self.registry.get(FALLBACK_KIND)
        if fallback is None or fallback is compressor:
            return judged
        generic = replace(unchanged, compressor=fallback.name)
        result = fallback.compress(clean, for_clean)
        if result is not None and not _keeps_document(detection, text, result.text):
            return judged  # a document that parsed is not cut into one that does not
        return self._judged(result, generic, text, tokens, ctx)

    def _route_nested(self, text: str, ctx: CompressContext) -> Compressed:
        """`text`, held by a payload, routed as a payload of its own within `ctx`'s budget."""
        return self.route(text, ctx, tokens=ctx.counter.count(text))

    def _route_view(
        self,
        view: FramedView,
        text: str,
        ctx: CompressContext,
        tokens: int,
        filename: str | None,
    ) -> Compressed | None:
        """A line-numbered view compressed as its content, each kept line framed again (see
        `headroom.engine.framed`); None when the content's output cannot be framed."""
        content = view.content
        if framed_view(content) is not None:
            return None  # a view of a view: routed as it is, not unframed level by level
        content_tokens = ctx.counter.count(content)
        # The numbers cost tokens on every kept line: the content gets its share of the
        # budget, and is chosen once more within less when they took the view 10% over.
        budget = max(1, ctx.budget_tokens * content_tokens // max(1, tokens))
        # What the question quotes of the view, as the content reads it.
        focus = focus_of(ctx.query, content, phrase_form=unframed_phrase)
        ctx = replace(ctx, focus=focus)
        framed = self._framed(view, replace(ctx, budget_tokens=budget), content_tokens, filename)
        if framed is not None:
            spent = ctx.counter.count(framed.text)
            if spent > ctx.budget_tokens * _OVER_BUDGET:
                smaller = replace(ctx, budget_tokens=max(1, budget * ctx.budget_tokens // spent))
                framed = self._framed(view, smaller, content_tokens, filename)
        if framed is None:
            return None
        unchanged = Compressed.unchanged(
            text, tokens, kind=framed.kind, language=framed.language, compressor=framed.compressor
        )
        if not framed.changed:
            return unchanged  # the content's compressor keeps it whole: the view too
        judged = self._judged(framed, unchanged, text, tokens, ctx)
        return judged if judged.changed else None

    def _framed(
        self, view: FramedView, ctx: CompressContext, tokens: int, filename: str | None
    ) -> Compressed | None:
        """The view's content compressed within `ctx`'s budget and framed again (unchanged
        when its compressor leaves it whole); None when its output cannot be framed."""
        inner = self.route(view.content, ctx, tokens=tokens, filename=filename)
        if not inner.changed:
            return inner
        out = reframed(view, inner.text)
        return None if out is None else replace(inner, text=out)

    def _route_split(
        self,
        text: str,
        ctx: CompressContext,
        tokens: int,
        split: Callable[[str, Callable[[str], Detection]], list[Part]],
        *,
        settled: bool = False,
    ) -> Compressed | None:
        """`text` compressed part by part as `split` cuts it (see `headroom.engine.mixed`);
        None when it finds no parts, or (unless `settled`: the parts are what the payload
        is, changed or not) when no part changed."""
        clean = neutralise_markers(text)

        def detect_part(piece: str) -> Detection:
            return detect_with(self.detectors, piece)

        parts = split(clean, detect_part)
        if not parts:
            return None
        result = compress_parts(clean, parts, self.registry, ctx)
        unchanged = Compressed.unchanged(text, tokens, kind=MIXED_KIND, compressor=MIXED_KIND)
        judged = self._judged(result, unchanged, text, tokens, ctx)
        return judged if judged.changed or settled else None

    def _judged(
        self,
        result: Compressed | None,
        unchanged: Compressed,
        text: str,
        tokens: int,
        ctx: CompressContext,
    ) -> Compressed:
        """`result` with its token counts, when it saves at least `min_savings_tokens`."""
        if result is None or result.text == text:
            return unchanged
        after = ctx.counter.count(result.text)
        if tokens - after < max(1, self.min_savings_tokens):
            return unchanged
        return replace(
            result,
            kind=unchanged.kind,
            language=unchanged.language,
            compressor=unchanged.compressor,
            tokens_before=tokens,
            tokens_after=after,
            changed=True,
            final=True,
        )


def _for_neutralised(ctx: CompressContext, text: str, clean: str, tokens: int) -> CompressContext:
    """`ctx` for compressing `clean`, the payload with its marker-like spans neutralised:
    its budget raised by the tokens neutralising added, so a payload within its budget
    stays within it."""
    if clean is text:
        return ctx
    added = max(0, ctx.counter.count(clean) - tokens)
    return replace(ctx, budget_tokens=ctx.budget_tokens + added)


def _body_splitter(
    detection: Detection,
) -> Callable[[str, Callable[[str], Detection]], list[Part]] | None:
    """What may cut a payload so detected into its body and the few lines around it: a
    document or a fenced block, unless a detector is certain of the whole; in code, a fenced
    block only when the code was guessed from its text (a dict literal is the code's own),
    and nothing in a file its name says is code."""
    if detection.confidence >= CERTAIN:
        return None
    if detection.kind != "code":
        return _document_or_block
    return split_fenced if detection.confidence < LIKELY else None


def _document_or_block(text: str, detect: Callable[[str], Detection]) -> list[Part]:
    """A JSON or XML document, or one fenced block, with a few lines around it."""
    return split_document(text, detect) or split_fenced(text, detect)


def _files_or_parts(text: str, detect: Callable[[str], Detection]) -> list[Part]:
    """A payload no detector claims: file by file when it is a multi-file `head` / `tail`
    output, else part by part when it holds parts of two or more kinds."""
    return split_files(text, detect) or split_parts(text, detect)


def detect(text: str, *, filename: str | None = None) -> Detection:
    """The kind of `text` as the built-in compressors and installed plugins judge it."""
    return detect_with(default_registry().detectors, text, filename=filename)


def _minified(text: str) -> bool:
    """Whether a line of `text` runs past `CLIP_OVER` characters (a minified bundle)."""
    return any(len(line) > CLIP_OVER for line in text.split("\n"))


def _keeps_document(detection: Detection, text: str, out: str) -> bool:
    """Whether `out` still parses where `text`, a JSON or XML document or source code of a
    grammar we have, did (a stub file of one-line signatures has no body for the code
    compressor to elide, and lines cut from it leave a signature half gone). Minified code
    is the exception: its one long line cut, and marked, says more than the whole bundle."""
    if detection.kind == "json":
        return parses_as_json(out) or not parses_as_json(text)
    if detection.language == "xml":
        return parses_as_xml(out) or not parses_as_xml(text)
    if detection.kind == "code" and detection.language and not _minified(text):
        parser = parser_for(detection.language)
        if parser is not None:
            broken = parser.parse(out.encode("utf-8", "replace")).root_node.has_error
            return not broken or parser.parse(text.encode("utf-8", "replace")).root_node.has_error
    return True
