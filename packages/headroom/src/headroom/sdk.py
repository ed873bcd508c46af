"""withHeadroom(client): official OpenAI / Anthropic / Google GenAI SDK clients that send
compressed messages.

    from headroom import withHeadroom
    client = withHeadroom(anthropic.Anthropic())
    client.messages.create(model=..., max_tokens=..., messages=history)

`messages.create` (Anthropic), `chat.completions.create` and `responses.create` (OpenAI),
sync and async, send compressed messages (Responses: `input` items); whenever the messages hold a marker, `headroom_retrieve` is offered to
the model and answered locally (`headroom.retrieval_loop`: non-streaming calls, at most 3
rounds), so the caller only sees the final response; a retrieve call mixed with the
caller's own tool calls is dropped and the caller gets its own. Streaming calls are
compressed when that leaves no marker in them, else sent as they are (no marker may reach
a model that cannot redeem it; `headroom proxy` answers retrieval inside streams).
Everything else on the client passes through untouched. Which client objects are wrapped
comes from the registered endpoints (`Endpoint.sdk`); `google-genai`'s `client.models` and
`client.aio.models` are wrapped by the Gemini provider module.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from headroom.engines import default_engine
from headroom.pipeline import Headroom
from headroom.providers import Provider, registered
from headroom.retrieval_loop import RetrievalLoop, response_dict

__all__ = ["withHeadroom"]


def withHeadroom(client: Any, *, engine: Headroom | None = None) -> Any:
    """Wrap an SDK client a registered endpoint serves: `openai.OpenAI` / `AsyncOpenAI`,
    `anthropic.Anthropic` / `AsyncAnthropic`, `google.genai.Client`."""
    engine = engine or default_engine()
    modules = {getattr(cls, "__module__", "") or "" for cls in type(client).__mro__}
    replaced: dict[str, Any] = {}
    for provider in registered():
        sdk = provider.endpoint.sdk
        if sdk is None or not any(
            m == sdk.module or m.startswith(sdk.module + ".") for m in modules
        ):
            continue
        for attribute in sdk.attributes:
            inner = _attribute(client, attribute)
            if inner is not None:
                replaced[attribute] = (
                    sdk.wrap(inner, RetrievalLoop(engine, provider))
                    if sdk.wrap
                    else _Create(inner, engine, provider)
                )
    if not replaced:
        served = sorted({p.endpoint.sdk.module for p in registered() if p.endpoint.sdk})
        raise TypeError(
            f"withHeadroom wraps SDK clients of {', '.join(served)}, not {type(client).__name__}."
        )
    return _nested(client, replaced)


def _attribute(obj: Any, dotted: str) -> Any:
    """`obj.a.b` for "a.b"; None when a step is missing."""
    for name in dotted.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _nested(obj: Any, replaced: dict[str, Any]) -> Any:
    """`obj` with each dotted attribute of `replaced` swapped in ("chat.completions")."""
    here: dict[str, Any] = {}
    deeper: dict[str, dict[str, Any]] = {}
    for dotted, value in replaced.items():
        head, _, rest = dotted.partition(".")
        if rest:
            deeper.setdefault(head, {})[rest] = value
        else:
            here[head] = value
    for head, inner in deeper.items():
        here[head] = _nested(getattr(obj, head), inner)
    return _Wrapped(obj, here)


class _Wrapped:
    """Attribute pass-through with a few attributes replaced."""

    def __init__(self, inner: Any, replaced: dict[str, Any]) -> None:
        self._inner = inner
        self._replaced = replaced

    def __getattr__(self, name: str) -> Any:
        if name in self._replaced:
            return self._replaced[name]
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"withHeadroom({self._inner!r})"


class _Create(_Wrapped):
    """`create` that compresses `messages` and answers `headroom_retrieve` calls."""

    def __init__(self, inner: Any, engine: Headroom, provider: Provider) -> None:
        super().__init__(inner, {})
        self._loop = RetrievalLoop(engine, provider)
        # Some SDK methods are wrapped by decorators that hide their coroutine nature.
        self._async = inspect.iscoroutinefunction(inner.create) or type(inner).__name__.startswith(
            "Async"
        )

    def __getattr__(self, name: str) -> Any:
        if name == "create":
            return self._create_async if self._async else self._create
        return getattr(self._inner, name)

    def _prepare(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        if not isinstance(kwargs.get(self._loop.provider.conversation_key), list):
            return kwargs, False
        if kwargs.get("stream"):  # relayed as it comes: no retrieval can be answered
            return self._loop.prepare_unanswerable(kwargs)[0], False
        return self._loop.prepare(kwargs)[0], True

    def _create(self, **kwargs: Any) -> Any:
        kwargs, loop = self._prepare(kwargs)
        if not loop:
            return self._inner.create(**kwargs)
        response, stripped = self._loop.run(
            kwargs, lambda body: self._inner.create(**body), response_dict
        )
        return response if stripped is None else _rebuilt(response, stripped)

    async def _create_async(self, **kwargs: Any) -> Any:
        kwargs, loop = await asyncio.to_thread(self._prepare, kwargs)
        if not loop:
            return await self._inner.create(**kwargs)
        response, stripped = await self._loop.arun(
            kwargs, lambda body: self._inner.create(**body), response_dict
        )
        return response if stripped is None else _rebuilt(response, stripped)


def _rebuilt(response: Any, data: dict[str, Any]) -> Any:
    """`data` in the type of `response` (an SDK model, built as leniently as the SDK built
    the response), or as a dict."""
    model = type(response)
    if hasattr(model, "construct"):  # the SDKs' recursive, non-validating constructor
        return model.construct(**data)
    return data
