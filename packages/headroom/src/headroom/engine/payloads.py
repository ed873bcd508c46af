"""One payload through the engine: decision cache -> router -> store the original.

With `stable_history` on, the first decision about a payload (its compressed bytes, or
"sent unchanged") is recorded in the store under a hash of the payload and the settings,
and every later request sends that payload exactly the same way, whatever the query of
the turn. That keeps a compressed conversation a byte prefix of its next turn, so provider
prompt caches keep hitting, across processes and replicas sharing a store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace

from headroom._version import __version__
from headroom.ccr.guard import GuardedStore
from headroom.ccr.markers import content_digest, ref_of_digest
from headroom.compressed import Compressed
from headroom.compressors.base import CompressContext, KompressSettings
from headroom.config import HeadroomConfig
from headroom.engine.query import Focus, focus_of
from headroom.engine.router import ContentRouter
from headroom.errors import StoreError
from headroom.tokens import TokenCounter

__all__ = ["PayloadCompressor", "token_budget"]

logger = logging.getLogger("headroom")

_MEMORY_DECISIONS = 4096
# An original this process stored or found in the store moments ago is not asked for again
# when its decision replays: the store drops originals only when they expire (days away)
# or, least recently used first, past its size cap, and one used seconds ago is the last
# to go. (Past the send, an original can be dropped that way whatever is checked here.)
_KNOWN_STORED_S = 5.0


class PayloadCompressor:
    """Compresses single payloads, consistently from turn to turn. The one place where a
    payload's failure becomes fail-open: it then goes out unchanged."""

    def __init__(self, config: HeadroomConfig, router: ContentRouter, store: GuardedStore) -> None:
        self.config = config
        self.router = router
        self._store = store
        self._kompress = KompressSettings(
            config.kompress_model_path, config.kompress_time_budget_ms
        )
        self._memory: OrderedDict[str, Compressed] = OrderedDict()
        self._stored_at: OrderedDict[str, float] = OrderedDict()  # ref -> when known stored
        self._known_for = min(_KNOWN_STORED_S, config.ttl_seconds / 8)
        self._fingerprints: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def admits(self, text: str, tokens: int) -> bool:
        """Whether a payload is in the size range compression is tried on."""
        return (
            len(text) <= self.config.max_payload_bytes
            and tokens >= self.config.min_tokens_to_compress
        )

    def compress(
        self,
        text: str,
        counter: TokenCounter,
        *,
        query: str = "",
        filename: str | None = None,
        tool_name: str | None = None,
        frozen: bool = False,
    ) -> Compressed:
        """Compress `text`; a `frozen` payload (inside a cached prefix) only repeats an
        earlier decision. Never raises: on any failure the payload goes out unchanged,
        with `final` False."""
        tokens = counter.count(text)
        try:
            return self._compress(text, counter, tokens, query, filename, tool_name, frozen)
        except StoreError:
            logger.warning(
                "headroom: the store failed; that payload goes out unchanged", exc_info=True
            )
        except Exception:
            logger.exception("headroom: one payload failed to compress; it goes out unchanged")
        return Compressed.unchanged(text, tokens, final=False)

    def _compress(
        self,
        text: str,
        counter: TokenCounter,
        tokens: int,
        query: str,
        filename: str | None,
        tool_name: str | None,
        frozen: bool,
    ) -> Compressed:
        if not self.admits(text, tokens):
            return self._unchanged(text, tokens, filename)
        focus = focus_of(query, text)
        digest = content_digest(text)  # the one hash of the payload: its ref and its key
        key = self._decision_key(digest, counter, focus) if self.config.stable_history else None
        if key is not None:
            decision = self._recall(key)
            if decision is not None:
                return self._replay(decision, text)
        if frozen:
            outcome = self._unchanged(text, tokens, filename)
        else:
            outcome = self._route(
                text, ref_of_digest(digest), counter, tokens, query, focus, filename, tool_name
            )
        if key is not None:
            outcome = self._remember(key, outcome, text)
        return outcome

    def _route(
        self,
        text: str,
        ref: str,
        counter: TokenCounter,
        tokens: int,
        query: str,
        focus: Focus,
        filename: str | None,
        tool_name: str | None,
    ) -> Compressed:
        ctx = CompressContext(
            ref=ref,
            query=query,
            focus=focus,
            budget_tokens=token_budget(tokens, self.config, focused=focus.specific),
            counter=counter,
            tool_name=tool_name,
            kompress=self._kompress,
        )
        outcome = self.router.route(text, ctx, tokens=tokens, filename=filename)
        if outcome.changed and outcome.ref is not None:
            # The original is stored before the compressed text is released.
            self._store.put(self.config.namespace, outcome.ref, text, kind=outcome.kind)
            self._note_stored(outcome.ref)
        if outcome.changed:
            self.record(outcome)
        return outcome

    def _unchanged(self, text: str, tokens: int, filename: str | None) -> Compressed:
        detection = self.router.detect(text, filename=filename)
        return Compressed.unchanged(text, tokens, kind=detection.kind, language=detection.language)

    def _replay(self, decision: Compressed, text: str) -> Compressed:
        if not decision.changed:
            return replace(decision, text=text)
        ref = decision.ref
        if ref is not None and not self._known_stored(ref):
            if not self._store.touch(self.config.namespace, ref):
                self._store.put(self.config.namespace, ref, text, kind=decision.kind)  # evicted
            self._note_stored(ref)
        return decision

    def _known_stored(self, ref: str) -> bool:
        """Whether this process stored or found `ref` in the last few seconds."""
        with self._lock:
            stored_at = self._stored_at.get(ref)
        return stored_at is not None and time.monotonic() - stored_at < self._known_for

    def _note_stored(self, ref: str) -> None:
        with self._lock:
            self._stored_at[ref] = time.monotonic()
            self._stored_at.move_to_end(ref)
            while len(self._stored_at) > _MEMORY_DECISIONS:
                self._stored_at.popitem(last=False)

    def _remember(self, key: str, outcome: Compressed, text: str) -> Compressed:
        if not self.config.kompress_model_path:
            # Compression is then a pure function of what the key covers: a writer racing
            # for this key records the same bytes, so the request need not wait for it.
            try:
                self._store.put_decision_later(self.config.namespace, key, outcome)
            except StoreError:
                logger.warning("headroom: could not record a decision", exc_info=True)
            self._memorise(key, outcome)
            return outcome
        try:  # a model within a time budget may decide otherwise elsewhere: one decision wins
            winner = self._store.put_decision(self.config.namespace, key, outcome)
        except StoreError:
            logger.warning(
                "headroom: could not record a decision; history may not stay byte-stable",
                exc_info=True,
            )
            return outcome
        self._memorise(key, winner)
        return outcome if winner is outcome or winner == outcome else self._replay(winner, text)

    def _recall(self, key: str) -> Compressed | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        try:
            decision = self._store.get_decision(self.config.namespace, key)
        except StoreError:
            return None
        if decision is not None:
            self._memorise(key, decision)
        return decision

    def _memorise(self, key: str, decision: Compressed) -> None:
        if not decision.changed:
            decision = replace(decision, text="")  # the payload itself is not kept twice
        with self._lock:
            self._memory[key] = decision
            while len(self._memory) > _MEMORY_DECISIONS:
                self._memory.popitem(last=False)

    def _decision_key(self, digest: str, counter: TokenCounter, focus: Focus) -> str:
        """Content + what of the query shapes compression + settings + engine version: a
        conversation's history replays byte-stable, a new question gets its own compression,
        and an upgrade never replays decisions of older code."""
        key = hashlib.sha256(self._settings_fingerprint(counter.encoding))
        key.update(b"\0")
        key.update(focus.fingerprint().encode("utf-8", "surrogatepass"))
        key.update(b"\0")
        key.update(digest.encode())  # the payload's content digest, not the payload again
        return key.hexdigest()[:32]

    def _settings_fingerprint(self, encoding: str) -> bytes:
        """The settings that shape compression, serialised once per encoding."""
        if encoding not in self._fingerprints:
            c = self.config
            settings = [
                __version__,
                c.min_budget_tokens,
                c.budget_scale,
                c.budget_exponent,
                c.focused_share,
                c.min_savings_tokens,
                c.kompress_model_path,
                encoding,
                sorted(self.router.registry),
            ]
            self._fingerprints[encoding] = json.dumps(settings, sort_keys=True).encode()
        return self._fingerprints[encoding]

    def record(self, outcome: Compressed) -> None:
        """Log one accepted compression in the activity log (best effort)."""
        try:
            self._store.record(self.config.namespace, outcome)
        except StoreError:
            logger.warning("headroom: could not record compression stats", exc_info=True)


def token_budget(tokens: int, config: HeadroomConfig, *, focused: bool = False) -> int:
    """Tokens a payload of `tokens` may keep: all of a small one, sub-linearly more of a big
    one, a share of that when the question names something the payload holds."""
    budget = min(tokens, int(config.budget_scale * tokens**config.budget_exponent))
    if focused:
        budget = int(budget * config.focused_share)
    return max(budget, min(tokens, config.min_budget_tokens))
