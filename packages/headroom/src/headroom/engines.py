"""One Headroom engine per namespace, all sharing one store and one set of settings."""

from __future__ import annotations

import threading
from collections import OrderedDict

from headroom.ccr.store import CCRStore, open_store
from headroom.config import HeadroomConfig
from headroom.pipeline import Headroom

__all__ = ["EnginePool"]

_MAX_ENGINES = 1024


class EnginePool:
    """Engines by namespace; the store is opened once and shared."""

    def __init__(self, config: HeadroomConfig, store: CCRStore | None = None) -> None:
        self.config = config
        self.store = store or open_store(
            config.resolved_store_url(),
            ttl_seconds=config.ttl_seconds,
            max_bytes=config.max_store_bytes,
        )
        self._engines: OrderedDict[str, Headroom] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, namespace: str) -> Headroom:
        with self._lock:
            engine = self._engines.get(namespace)
            if engine is None:
                engine = Headroom(self.config.with_overrides(namespace=namespace), store=self.store)
                self._engines[namespace] = engine
            self._engines.move_to_end(namespace)
            while len(self._engines) > _MAX_ENGINES:
                self._engines.popitem(last=False)
            return engine
