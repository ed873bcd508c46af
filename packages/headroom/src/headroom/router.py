"""ContentRouter: detect a payload's kind, hand it to that kind's compressor, judge the result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from headroom.ccr.markers import neutralise_markers
from headroom.compressors.base import CompressContext, Compressed, Compressor
from headroom.detect import Detection, detect

__all__ = ["ContentRouter", "Routed"]


@dataclass(frozen=True)
class Routed:
    """What the router decided for one payload."""

    detection: Detection
    compressor: str | None
    result: Compressed | None
    tokens_before: int
    tokens_after: int


class ContentRouter:
    """Routes each payload to the compressor registered for its kind."""

    def __init__(self, registry: Mapping[str, Compressor], *, min_savings_tokens: int) -> None:
        self.registry = dict(registry)
        self.min_savings_tokens = min_savings_tokens

    def route(self, text: str, ctx: CompressContext, *, filename: str | None = None) -> Routed:
        detection = detect(text, filename=filename)
        if detection.language and not ctx.language:
            ctx = replace(ctx, language=detection.language)
        before = ctx.counter.count(text)
        compressor = self.registry.get(detection.kind)
        if compressor is None:
            return Routed(detection, None, None, before, before)
        # Marker-like text in the input must not pass for a real marker in the output.
        result = compressor.compress(neutralise_markers(text), ctx)
        if result is None or result.text == text:
            return Routed(detection, compressor.name, None, before, before)
        after = ctx.counter.count(result.text)
        if before - after < max(1, self.min_savings_tokens):
            return Routed(detection, compressor.name, None, before, before)
        return Routed(detection, compressor.name, result, before, after)
