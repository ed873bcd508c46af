"""Client libraries imported on first use, not when pytest collects the module that names
them: litellm, anthropic and openai take seconds to import, and `make test-fast` and every
collection would pay for them even when their tests are not run.

    openai = lazy("openai")                                   # then openai.OpenAI(...)
    DualCache = lazy("litellm.caching.dual_cache", "DualCache")  # then DualCache()

What a proxy hands out (attributes, call results) is the real object; a class that must be
subclassed or used with isinstance, or a private attribute, is reached with `.resolve()`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["lazy"]


class _Lazy:
    __slots__ = ("_attribute", "_module")

    def __init__(self, module: str, attribute: str | None) -> None:
        self._module = module
        self._attribute = attribute

    def resolve(self) -> Any:
        target = importlib.import_module(self._module)
        return target if self._attribute is None else getattr(target, self._attribute)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # pytest probes module attributes for fixture and test
            raise AttributeError(name)  # markers while collecting: that must not import
        return getattr(self.resolve(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"lazy({self._module!r}, {self._attribute!r})"


def lazy(module: str, attribute: str | None = None) -> Any:
    """`module` (or its `attribute`), imported when first used."""
    return _Lazy(module, attribute)
