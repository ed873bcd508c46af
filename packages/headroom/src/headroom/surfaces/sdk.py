"""withHeadroom(client): official OpenAI / Anthropic / Google GenAI SDK clients that send
compressed messages.

    from headroom import withHeadroom
    client = withHeadroom(anthropic.Anthropic())
    client.messages.create(model=..., max_tokens=..., messages=history)

`messages.create` (Anthropic), `chat.completions.create` and `responses.create` (OpenAI),
sync and async, streamed or not, send compressed messages (Responses: `input` items);
whenever the messages hold a marker, `headroom_retrieve` is offered to the model and
answered locally (`headroom.engine.retrieval_loop`, at most `max_retrieval_rounds` rounds), so
the caller only sees the final response, or one stream of the SDK's own event types with
the retrieval rounds answered inside it; a retrieve call mixed with the caller's own tool
calls is dropped and the caller gets its own. Everything else on the client passes
through untouched.
Which client objects are wrapped comes from the registered endpoints (`Endpoint.sdk`);
`google-genai`'s `client.models` and `client.aio.models` are wrapped by the Gemini
provider module.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

from headroom.engine.engines import default_engine
from headroom.engine.pipeline import Headroom
from headroom.engine.retrieval_loop import RetrievalLoop, response_dict
from headroom.providers import Provider, StreamEvent, registered

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
        return self._loop.prepare(kwargs)[0], True

    def _create(self, **kwargs: Any) -> Any:
        kwargs, loop = self._prepare(kwargs)
        if not loop:
            return self._inner.create(**kwargs)
        if kwargs.get("stream"):
            return _Stream(self._loop.stream(kwargs, self._open), _Typed(self._loop.provider))
        response, stripped = self._loop.run(
            kwargs, lambda body: self._inner.create(**body), response_dict
        )
        return response if stripped is None else _rebuilt(response, stripped)

    async def _create_async(self, **kwargs: Any) -> Any:
        kwargs, loop = await asyncio.to_thread(self._prepare, kwargs)
        if not loop:
            return await self._inner.create(**kwargs)
        if kwargs.get("stream"):
            events = self._loop.astream(kwargs, self._aopen)
            return _AsyncStream(events, _Typed(self._loop.provider))
        response, stripped = await self._loop.arun(
            kwargs, lambda body: self._inner.create(**body), response_dict
        )
        return response if stripped is None else _rebuilt(response, stripped)

    def _open(self, body: dict[str, Any]) -> Iterator[StreamEvent]:
        with self._inner.create(**body) as stream:
            for item in stream:
                yield _event(item)

    async def _aopen(self, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        async with await self._inner.create(**body) as stream:
            async for item in stream:
                yield _event(item)


def _event(item: Any) -> StreamEvent:
    """An SDK stream event as the relays read it (its type name and its data)."""
    data = response_dict(item.to_dict() if hasattr(item, "to_dict") else item)
    return StreamEvent(data.get("type") if isinstance(data.get("type"), str) else None, data)


class _Typed:
    """Relayed events back in the SDK's own types, built as leniently as the SDK builds
    the events it reads (its `construct_type`, which neither validates nor drops fields)."""

    def __init__(self, provider: Provider) -> None:
        surface = provider.endpoint.sdk
        if surface is None or surface.stream_events is None:
            raise TypeError(f"{provider.name} names no SDK stream event type")
        module, name = surface.stream_events
        self.union = getattr(importlib.import_module(module), name)
        sdk = importlib.import_module(module.split(".")[0] + "._models")
        self.construct: Any = sdk.construct_type

    def __call__(self, event: StreamEvent) -> Any:
        if isinstance(event.data, str):
            return None  # `[DONE]`: the SDKs end the iteration themselves
        return self.construct(type_=self.union, value=event.data)


class _Stream:
    """What a streamed `create` returns: iterate it for the SDK's events; closable."""

    def __init__(self, events: Iterator[StreamEvent], typed: _Typed) -> None:
        self._events = events
        self._typed = typed

    def __iter__(self) -> Iterator[Any]:
        for event in self._events:
            item = self._typed(event)
            if item is not None:
                yield item

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        close = getattr(self._events, "close", None)
        if close is not None:
            close()


class _AsyncStream:
    """The async `_Stream`."""

    def __init__(self, events: AsyncIterator[StreamEvent], typed: _Typed) -> None:
        self._events = events
        self._typed = typed

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for event in self._events:
            item = self._typed(event)
            if item is not None:
                yield item

    async def __aenter__(self) -> _AsyncStream:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        close = getattr(self._events, "aclose", None)
        if close is not None:
            await close()


def _rebuilt(response: Any, data: dict[str, Any]) -> Any:
    """`data` in the type of `response` (an SDK model, built as leniently as the SDK built
    the response), or as a dict."""
    model = type(response)
    if hasattr(model, "construct"):  # the SDKs' recursive, non-validating constructor
        return model.construct(**data)
    return data
