"""One Headroom engine per namespace, all sharing one store and one set of settings."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from headroom.ccr.store import CCRStore
from headroom.config import HeadroomConfig
from headroom.engine.pipeline import Headroom, guarded_store

__all__ = ["EnginePool", "credential_namespace", "default_engine"]

_MAX_ENGINES = 1024

_engines: dict[HeadroomConfig, Headroom] = {}
_engines_lock = threading.Lock()


def default_engine(config: HeadroomConfig | None = None) -> Headroom:
    """The shared engine for `config` (from `HEADROOM_*` variables when None)."""
    key = config or HeadroomConfig.from_env()
    with _engines_lock:
        if key not in _engines:
            _engines[key] = Headroom(key)
        return _engines[key]


def credential_namespace(credential: str) -> str:
    """The CCR namespace of a caller: `k-` + a hash of its credential (never the credential)."""
    return "k-" + hashlib.sha256(credential.strip().encode()).hexdigest()[:24]


class EnginePool:
    """Engines by namespace; the store is opened once (on first use) and shared."""

    def __init__(
        self,
        config: HeadroomConfig,
        store: CCRStore | None = None,
        *,
        max_engines: int = _MAX_ENGINES,
    ) -> None:
        self.config = config
        self.max_engines = max_engines
        """Engines kept; past it, the least recently used one is dropped (and made again
        on its namespace's next request, with the same store: nothing is lost)."""
        self.store = guarded_store(config, store)  # opened on first use, calls bounded
        self._engines: OrderedDict[tuple[str, tuple[str, ...]], Headroom] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, namespace: str, *, excluded_tools: tuple[str, ...] = ()) -> Headroom:
        """The engine of `namespace` (with extra tools excluded, if asked), made once."""
        key = (namespace, excluded_tools)
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                overrides: dict[str, object] = {"namespace": namespace}
                if excluded_tools:
                    overrides["excluded_tools"] = (*self.config.excluded_tools, *excluded_tools)
                engine = Headroom(self.config.with_overrides(**overrides), store=self.store)
                self._engines[key] = engine
            self._engines.move_to_end(key)
            while len(self._engines) > self.max_engines:
                self._engines.popitem(last=False)
            return engine
