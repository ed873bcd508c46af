"""compress(): find candidate payloads -> route -> compress -> store originals -> stats.

This module is the single fail-open boundary: whatever goes wrong inside, the original
messages go out.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headroom.ccr.markers import MARKER_RE, make_ref
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, filter_original
from headroom.ccr.store import CCRStore, CompressionEvent, StoreStats, open_store
from headroom.compressors.base import CompressContext, load_registry
from headroom.config import HeadroomConfig
from headroom.detect import detect
from headroom.errors import StoreError
from headroom.messages import Conversation, Path, Segment
from headroom.router import ContentRouter, Routed
from headroom.tokens import TokenCounter, counter_for

__all__ = ["CompressResult", "CompressorStats", "Headroom", "TextResult"]

logger = logging.getLogger("headroom")

_FILENAME_RE = re.compile(r"[\w./\\-]+\.[A-Za-z]{1,5}\b")


@dataclass
class CompressorStats:
    """What one compressor did in one call."""

    payloads: int = 0
    tokens_before: int = 0
    tokens_after: int = 0


@dataclass(frozen=True)
class CompressResult:
    """The compressed messages and what compression saved."""

    messages: list[Any]
    tokens_before: int
    tokens_after: int
    refs: list[str] = field(default_factory=list)
    compressors: dict[str, CompressorStats] = field(default_factory=dict)
    failed_open: bool = False

    @property
    def ratio(self) -> float:
        """tokens_after / tokens_before (1.0 for an empty request)."""
        return self.tokens_after / self.tokens_before if self.tokens_before else 1.0

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


@dataclass(frozen=True)
class TextResult:
    """One payload compressed on its own (the CLI's unit)."""

    text: str
    kind: str
    language: str | None
    compressor: str | None
    tokens_before: int
    tokens_after: int
    refs: list[str]


class Headroom:
    """The engine: a config, a token counter per model, a router and a CCR store."""

    def __init__(
        self, config: HeadroomConfig | None = None, *, store: CCRStore | None = None
    ) -> None:
        self.config = config or HeadroomConfig.from_env()
        self.router = ContentRouter(
            load_registry(), min_savings_tokens=self.config.min_savings_tokens
        )
        self._store = store
        self._store_lock = threading.Lock()
        self._options: dict[str, object] = {
            "kompress_model_path": self.config.kompress_model_path,
            "kompress_time_budget_ms": self.config.kompress_time_budget_ms,
        }

    @property
    def store(self) -> CCRStore:
        """The CCR store, opened on first use."""
        with self._store_lock:
            if self._store is None:
                self._store = open_store(
                    self.config.resolved_store_url(),
                    ttl_seconds=self.config.ttl_seconds,
                    max_bytes=self.config.max_store_bytes,
                )
            return self._store

    def compress(
        self, messages: Sequence[Any], *, model: str = "gpt-4o", query: str | None = None
    ) -> CompressResult:
        """Compress the tool outputs (and, by setting, long chat text) in `messages`."""
        conversation = Conversation(messages)  # raises InputError on a non-list: misuse, not data
        counter = counter_for(model)
        try:
            return self._compress(conversation, counter, query)
        except Exception:
            logger.exception("headroom: compression failed; sending the original messages")
            tokens = _safe_count(conversation.messages, counter)
            return CompressResult(conversation.to_messages(), tokens, tokens, failed_open=True)

    def compress_text(
        self, text: str, *, model: str = "gpt-4o", query: str = "", filename: str | None = None
    ) -> TextResult:
        """Compress one payload on its own, as if it were a tool result."""
        counter = counter_for(model)
        try:
            routed, refs = self._compress_payload(text, counter, query, filename, None)
        except Exception:
            logger.exception("headroom: compression failed; returning the original text")
            tokens = counter.count(text)
            return TextResult(text, "text", None, None, tokens, tokens, [])
        out = routed.result.text if routed.result else text
        return TextResult(
            out,
            routed.detection.kind,
            routed.detection.language,
            routed.compressor,
            routed.tokens_before,
            routed.tokens_after,
            refs,
        )

    def retrieve(self, ref: str, query: str | None = None) -> str | None:
        """The original behind `ref` (or its lines matching `query`); None if unknown or expired."""
        original = self.store.get(self.config.namespace, ref.strip().lower())
        if original is None or not query:
            return original
        return filter_original(original, query)

    def stats(self) -> StoreStats:
        """What this namespace's store holds and what compression saved in it."""
        return self.store.stats(self.config.namespace)

    def _compress(
        self, conversation: Conversation, counter: TokenCounter, query: str | None
    ) -> CompressResult:
        before = count_message_tokens(conversation.messages, counter)
        question = conversation.query() if query is None else query
        replacements: dict[Path, str] = {}
        refs: list[str] = []
        stats: dict[str, CompressorStats] = {}
        for segment in self._candidates(conversation, counter):
            try:
                routed, new_refs = self._compress_payload(
                    segment.text, counter, question, _filename_hint(segment), segment.tool_name
                )
            except Exception:
                logger.exception("headroom: one payload failed to compress; it goes out unchanged")
                continue
            if routed.result is None or routed.compressor is None:
                continue
            replacements[segment.path] = routed.result.text
            refs.extend(ref for ref in new_refs if ref not in refs)
            entry = stats.setdefault(routed.compressor, CompressorStats())
            entry.payloads += 1
            entry.tokens_before += routed.tokens_before
            entry.tokens_after += routed.tokens_after
        if not replacements:
            return CompressResult(conversation.to_messages(), before, before)
        messages = conversation.replaced(replacements)
        after = count_message_tokens(messages, counter)
        if after >= before:
            return CompressResult(conversation.to_messages(), before, before)
        return CompressResult(messages, before, after, refs, stats)

    def _candidates(self, conversation: Conversation, counter: TokenCounter) -> list[Segment]:
        config = self.config
        excluded = {RETRIEVE_TOOL_NAME, *config.excluded_tools}
        chosen = []
        for segment in conversation.segments(
            include_user=config.compress_user_messages,
            include_assistant=config.compress_assistant_messages,
        ):
            if segment.tool_name in excluded or MARKER_RE.search(segment.text):
                continue  # never re-compress a retrieval or an already compressed payload
            if len(segment.text) > config.max_payload_bytes:
                continue
            if counter.count(segment.text) < config.min_tokens_to_compress:
                continue
            chosen.append(segment)
        return chosen

    def _compress_payload(
        self,
        text: str,
        counter: TokenCounter,
        query: str,
        filename: str | None,
        tool_name: str | None,
    ) -> tuple[Routed, list[str]]:
        tokens = counter.count(text)
        budget = max(self.config.min_budget_tokens, int(tokens * self.config.target_ratio))
        ctx = CompressContext(
            ref=make_ref(text),
            query=query,
            budget_tokens=budget,
            counter=counter,
            tool_name=tool_name,
            options=self._options,
        )
        if len(text) > self.config.max_payload_bytes or tokens < self.config.min_tokens_to_compress:
            routed = Routed(detect(text, filename=filename), None, None, tokens, tokens)
            return routed, []
        routed = self.router.route(text, ctx, filename=filename)
        if routed.result is None:
            return routed, []
        refs: list[str] = []
        if routed.result.original_ref is not None:
            try:  # the original is stored before the compressed text is released
                self.store.put(
                    self.config.namespace,
                    routed.result.original_ref,
                    text,
                    kind=routed.detection.kind,
                )
            except StoreError:
                logger.warning(
                    "headroom: could not store an original; that payload goes out unchanged",
                    exc_info=True,
                )
                return Routed(routed.detection, routed.compressor, None, tokens, tokens), []
            refs.append(routed.result.original_ref)
        self._record(routed)
        return routed, refs

    def _record(self, routed: Routed) -> None:
        try:
            self.store.record(
                self.config.namespace,
                CompressionEvent(
                    routed.detection.kind,
                    routed.compressor or "",
                    routed.tokens_before,
                    routed.tokens_after,
                ),
            )
        except StoreError:
            logger.warning("headroom: could not record compression stats", exc_info=True)

    def __repr__(self) -> str:
        return f"Headroom(config={self.config!r})"


def _filename_hint(segment: Segment) -> str | None:
    if not segment.tool_arguments:
        return None
    match = _FILENAME_RE.search(segment.tool_arguments)
    return match.group(0) if match else None


def count_message_tokens(messages: Sequence[Any], counter: TokenCounter) -> int:
    """Tokens of every string in the messages, plus a small per-message overhead.

    Inline image data (base64 sources, data: URLs) is not text the tokenizer sees and is
    left out; it is never changed, so before and after are comparable.
    """
    return sum(4 + _count_value(message, counter) for message in messages)


def _count_value(value: Any, counter: TokenCounter) -> int:
    if isinstance(value, str):
        return 0 if value.startswith("data:") and len(value) > 1024 else counter.count(value)
    if isinstance(value, Mapping):
        if value.get("type") == "base64":
            return sum(_count_value(v, counter) for k, v in value.items() if k != "data")
        return sum(_count_value(v, counter) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_count_value(v, counter) for v in value)
    return 0


def _safe_count(messages: Sequence[Any], counter: TokenCounter) -> int:
    try:
        return count_message_tokens(messages, counter)
    except Exception:
        return 0
