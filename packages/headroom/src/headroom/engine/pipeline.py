"""compress(): find candidate payloads -> route -> compress -> store originals -> stats.

This module is the single fail-open boundary: whatever goes wrong inside, the original
messages go out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from headroom.ccr.guard import GuardedStore, store_budget
from headroom.ccr.markers import find_markers
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, lookup, retrieval_notice
from headroom.ccr.sql_connect import check_store_url
from headroom.ccr.sql_store import open_store
from headroom.ccr.store import CCRStore, StoreStats, missing_activity, missing_core
from headroom.compressed import Compressed, CompressorStats, CompressResult
from headroom.compressors.base import load_registry
from headroom.config import HeadroomConfig
from headroom.conversation.messages import Conversation, Path, Segment
from headroom.engine.aligner import CacheAligner, conversation_key
from headroom.engine.dedup import Deduplicator, ToolOutput
from headroom.engine.payloads import PayloadCompressor
from headroom.engine.router import ContentRouter
from headroom.errors import ActivityUnsupported, ConfigError, InputError, StoreError
from headroom.providers import Provider
from headroom.tokens import DEFAULT_MODEL, TokenCounter, counter_for

__all__ = ["CompressResult", "CompressorStats", "Headroom"]

logger = logging.getLogger("headroom")

_FILENAME_RE = re.compile(r"[\w./\\-]+\.[A-Za-z]{1,5}\b")


def guarded_store(config: HeadroomConfig, store: CCRStore | None = None) -> GuardedStore:
    """`store` (or the one `config` names, opened on first use) with bounded calls."""
    if isinstance(store, GuardedStore):
        return store
    if store is None:
        check_store_url(config.resolved_store_url())  # a wrong URL fails here, not later

    def opened() -> CCRStore:
        if store is not None:
            return store
        return open_store(
            config.resolved_store_url(),
            ttl_seconds=config.ttl_seconds,
            max_bytes=config.max_store_bytes,
            timeout_s=config.store_timeout_s,
            max_activity_rows=config.max_activity_rows,
        )

    return GuardedStore(opened, timeout_s=config.store_timeout_s)


class Headroom:
    """The engine: a config, a token counter per model, a router and a CCR store."""

    def __init__(
        self, config: HeadroomConfig | None = None, *, store: CCRStore | None = None
    ) -> None:
        self.config = config or HeadroomConfig.from_env()
        self.router = ContentRouter(
            load_registry(), min_savings_tokens=self.config.min_savings_tokens
        )
        if store is not None and not isinstance(store, GuardedStore):
            _check_store(store)
        self._store = guarded_store(self.config, store)
        self.payloads = PayloadCompressor(self.config, self.router, self._store)
        self.dedup = Deduplicator(self.config, self._store)
        self.aligner = CacheAligner(self.config.align_patterns, self.config.align_early_messages)

    @property
    def store(self) -> GuardedStore:
        """The CCR store, opened on first use. Every call returns within
        `config.store_timeout_s`; a store that failed or stalled is not tried again for
        `RETRY_AFTER_S` seconds, so payloads go out unchanged at once meanwhile."""
        return self._store

    def compress(
        self,
        messages: Sequence[Any],
        *,
        model: str = DEFAULT_MODEL,
        query: str | None = None,
        provider: Provider | str | None = None,
    ) -> CompressResult:
        """Compress the tool outputs (and, by setting, long chat text) in `messages`, in
        `provider`'s wire format (a provider or its name; when not given, the format they
        look like)."""
        counter = counter_for(model if isinstance(model, str) and model else DEFAULT_MODEL)
        # One budget covers the time every store call of this request waits, its activity
        # record included; compressing is not counted, so the output never depends on a clock.
        with store_budget(self.config.store_timeout_s):
            try:
                conversation = Conversation(messages, provider)
                result = self._aligned(conversation, counter, query)
            except InputError:
                raise  # not a list of messages: misuse, not data
            except Exception:
                logger.exception("headroom: compression failed; sending the original messages")
                tokens = _safe_count(messages, counter)
                return CompressResult(list(messages), tokens, tokens, failed_open=True)
            self._log(
                lambda store: store.record_request(
                    self.config.namespace,
                    result.tokens_before,
                    result.tokens_after,
                    result.prefix_stability,
                )
            )
        return result

    def _log(self, write: Callable[[GuardedStore], None]) -> None:
        """Activity is best effort and bounded in time: a failed write never fails a request."""
        try:
            write(self._store)
        except ActivityUnsupported:
            pass  # said once, when the store was given
        except Exception:
            logger.warning("headroom: could not record activity", exc_info=True)

    def _aligned(
        self, conversation: Conversation, counter: TokenCounter, query: str | None
    ) -> CompressResult:
        """Compressed, with dynamic fragments moved to a closing context block when that
        does not grow the request; prefix stability is measured on what is sent."""
        result = None
        aligned = (
            self.aligner.align_messages(conversation.messages)
            if self.config.align_dynamic
            else None
        )
        if aligned is not None and aligned.fragments:
            provider = conversation.provider
            moved = self._compress(Conversation(aligned.messages, provider), counter, query)
            messages = provider.append_context(moved.messages, aligned.context_block())
            before = count_message_tokens(conversation.messages, counter)
            after = count_message_tokens(messages, counter)
            if after <= before:  # never larger than what we got: else it goes unaligned
                result = replace(
                    moved,
                    messages=messages,
                    tokens_before=before,
                    tokens_after=after,
                    aligned_fragments=len(aligned.fragments),
                )
        if result is None:
            result = self._compress(conversation, counter, query)
        key = conversation_key(conversation.messages)
        return replace(result, prefix_stability=self.aligner.prefix_stability(key, result.messages))

    def compress_text(
        self, text: str, *, model: str = DEFAULT_MODEL, query: str = "", filename: str | None = None
    ) -> Compressed:
        """Compress one payload on its own, as if it were a tool result."""
        return self.payloads.compress(text, counter_for(model), query=query, filename=filename)

    def retrieve(self, ref: str, query: str | None = None) -> str | None:
        """The original behind `ref` (or its lines matching `query`); None if unknown or expired."""
        found = lookup(self.store, self.config.namespace, ref, query)
        key = ref.strip().lower()
        self._log(
            lambda store: store.record_retrieval(self.config.namespace, key, found is not None)
        )
        return found

    def answer_retrieval(self, ref: str, query: str | None = None) -> str:
        """What a `headroom_retrieve` tool call gets: the original, its matching lines, or a notice."""
        found = self.retrieve(ref, query)
        return retrieval_notice(ref) if found is None else found

    def stats(self) -> StoreStats:
        """What this namespace's store holds and what compression saved in it."""
        return self.store.stats(self.config.namespace)

    def _compress(
        self, conversation: Conversation, counter: TokenCounter, query: str | None
    ) -> CompressResult:
        before = count_message_tokens(conversation.messages, counter)
        replacements: dict[Path, str] = {}
        refs: list[str] = []
        failed = False  # a payload went out unchanged because something failed
        respect = self.config.respect_cache_breakpoints
        changed: list[Compressed] = []
        outcomes: dict[Path, Compressed] = {}
        for segment in self._candidates(conversation, counter):
            outcome = self.payloads.compress(
                segment.text,
                counter,
                query=segment.query if query is None else query,
                filename=_filename_hint(segment),
                tool_name=segment.tool_name,
                frozen=respect and segment.frozen,
            )
            failed = failed or not outcome.final
            outcomes[segment.path] = outcome
            if not outcome.changed:
                continue
            replacements[segment.path] = outcome.text
            refs.extend(ref for ref in outcome.refs if ref not in refs)
            changed.append(outcome)
        if self.config.dedup_repeats and not failed:  # a payload failed open: all go as sent
            for path, outcome in self._deduplicated(conversation, counter, replacements, outcomes):
                replacements[path] = outcome.text
                refs.extend(ref for ref in outcome.refs if ref not in refs)
                changed.append(outcome)
        if not replacements:
            return CompressResult(conversation.to_messages(), before, before, failed_open=failed)
        messages = conversation.replaced(replacements)
        after = count_message_tokens(messages, counter)
        if after >= before:
            return CompressResult(conversation.to_messages(), before, before, failed_open=failed)
        return CompressResult(
            messages, before, after, refs, CompressorStats.of(changed), failed_open=failed
        )

    def _candidates(self, conversation: Conversation, counter: TokenCounter) -> list[Segment]:
        config = self.config
        excluded = {RETRIEVE_TOOL_NAME, *config.excluded_tools}
        chosen = []
        for segment in conversation.segments(
            include_user=config.compress_user_messages,
            include_assistant=config.compress_assistant_messages,
            include_cached=not config.respect_cache_breakpoints,
        ):
            if segment.tool_name in excluded or self._compressed_before(segment.text):
                continue  # never re-compress a retrieval or an already compressed payload
            if not self.payloads.admits(segment.text, counter.count(segment.text)):
                continue
            chosen.append(segment)
        return chosen

    def _deduplicated(
        self,
        conversation: Conversation,
        counter: TokenCounter,
        replacements: Mapping[Path, str],
        outcomes: Mapping[Path, Compressed],
    ) -> list[tuple[Path, Compressed]]:
        """Tool outputs whose repeats of earlier outputs go out as pointers (see
        `headroom.engine.dedup`); none if de-duplication fails, which never fails the request."""
        respect = self.config.respect_cache_breakpoints
        excluded = {RETRIEVE_TOOL_NAME, *self.config.excluded_tools}
        try:
            listed = conversation.segments(
                include_user=False, include_assistant=False, include_cached=not respect
            )
            open_paths = {s.path for s in listed}
            outputs = [
                ToolOutput(
                    segment,
                    replacements.get(segment.path, segment.text),
                    outcomes.get(segment.path),
                    eligible=segment.path in open_paths
                    and segment.tool_name not in excluded
                    and not self._compressed_before(segment.text),
                    frozen=respect and segment.frozen,
                )
                for segment in conversation.segments(
                    include_user=False, include_assistant=False, include_cached=True
                )
                if segment.source == "tool_result"
            ]
            found = self.dedup.apply(outputs, counter)
        except Exception:
            logger.exception("headroom: de-duplication failed; outputs go out without pointers")
            return []
        for outcome in found.values():
            self.payloads.record(outcome)
        return list(found.items())

    def _compressed_before(self, text: str) -> bool:
        """Whether `text` is Headroom output: it holds a marker whose ref this namespace
        stores. Marker-like text quoted in an input (a diff of this project) is not."""
        if "[headroom: " not in text:
            return False
        refs = {marker.ref for marker in find_markers(text)}
        try:
            return any(self.store.get(self.config.namespace, ref) is not None for ref in refs)
        except StoreError:
            return True  # cannot tell: leave it alone

    def __repr__(self) -> str:
        return f"Headroom(config={self.config!r})"


def _check_store(store: object) -> None:
    """Refuse a store that cannot keep originals; say once what activity it cannot keep."""
    missing = missing_core(store)
    if missing:
        raise ConfigError(
            f"{type(store).__name__} is not a CCR store: it lacks {', '.join(missing)} "
            "(see headroom.ccr.store.CCRStore)."
        )
    gap = missing_activity(store)
    if gap is not None:
        logger.warning(
            "headroom: %s: requests and retrievals are not logged and the dashboard answers 501.",
            gap,
        )


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
    """Tokens of every string in `value`, walked iteratively (any nesting depth)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not (item.startswith("data:") and len(item) > 1024):
                total += counter.count(item)
        elif isinstance(item, Mapping):
            base64 = item.get("type") == "base64"
            stack.extend(v for k, v in item.items() if not (base64 and k == "data"))
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total


def _safe_count(messages: Sequence[Any], counter: TokenCounter) -> int:
    try:
        return count_message_tokens(messages, counter)
    except Exception:
        return 0
