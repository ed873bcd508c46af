"""`withHeadroom` around Google's `google-genai` client: `client.models` and
`client.aio.models` compress `contents` and answer `headroom_retrieve`, in
`generate_content` and inside `generate_content_stream` (the retrieval loop's relay)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

from headroom.providers import base

__all__ = ["GenAIModels"]


class GenAIModels:
    """`client.models` / `client.aio.models` of a `google-genai` client: `generate_content`
    and `generate_content_stream` compress `contents` and answer `headroom_retrieve`
    (inside the stream, through the retrieval loop's relay)."""

    def __init__(self, inner: Any, loop: Any) -> None:
        self._inner = inner
        self._loop = loop  # a RetrievalLoop for GEMINI (that module imports this one)
        self._async = inspect.iscoroutinefunction(inner.generate_content)

    def __getattr__(self, name: str) -> Any:
        if name == "generate_content":
            return self._generate_async if self._async else self._generate
        if name == "generate_content_stream":
            return self._stream_async if self._async else self._stream
        return getattr(self._inner, name)

    def _send(self, body: dict[str, Any]) -> Any:
        return self._inner.generate_content(**_with_config_tools(body))

    def _generate(self, **kwargs: Any) -> Any:
        body, loop = _prepared(self._loop, kwargs)
        if not loop:
            return self._inner.generate_content(**kwargs)
        response, stripped = self._loop.run(body, self._send, _response_dict)
        return response if stripped is None else type(response).model_validate(stripped)

    async def _generate_async(self, **kwargs: Any) -> Any:
        body, loop = await asyncio.to_thread(_prepared, self._loop, kwargs)
        if not loop:
            return await self._inner.generate_content(**kwargs)
        response, stripped = await self._loop.arun(body, self._send, _response_dict)
        return response if stripped is None else type(response).model_validate(stripped)

    def _stream(self, **kwargs: Any) -> Any:
        body, loop = _prepared(self._loop, kwargs)
        if not loop:
            return self._inner.generate_content_stream(**kwargs)
        return _typed(self._loop.stream(body, self._open_stream))

    async def _stream_async(self, **kwargs: Any) -> Any:
        body, loop = await asyncio.to_thread(_prepared, self._loop, kwargs)
        if not loop:
            return await self._inner.generate_content_stream(**kwargs)
        return _atyped(self._loop.astream(body, self._aopen_stream))

    def _open_stream(self, body: dict[str, Any]) -> Iterator[base.StreamEvent]:
        for chunk in self._inner.generate_content_stream(**_with_config_tools(body)):
            yield base.StreamEvent(None, _response_dict(chunk))

    async def _aopen_stream(self, body: dict[str, Any]) -> AsyncIterator[base.StreamEvent]:
        async for chunk in await self._inner.generate_content_stream(**_with_config_tools(body)):
            yield base.StreamEvent(None, _response_dict(chunk))


def _with_config_tools(body: dict[str, Any]) -> dict[str, Any]:
    """The call as the SDK takes it: the request's `tools` moved into its `config`."""
    body = dict(body)
    tools = body.pop("tools", None)
    if tools:
        body["config"] = _with_tools(body.get("config"), tools)
    return body


def _typed(events: Iterator[base.StreamEvent]) -> Iterator[Any]:
    """Relayed chunks back as the SDK's `GenerateContentResponse`s."""
    from google.genai import types

    for event in events:
        if isinstance(event.data, dict):
            yield types.GenerateContentResponse.model_validate(event.data)


async def _atyped(events: AsyncIterator[base.StreamEvent]) -> AsyncIterator[Any]:
    from google.genai import types

    async for event in events:
        if isinstance(event.data, dict):
            yield types.GenerateContentResponse.model_validate(event.data)


def _prepared(loop: Any, kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The call with its contents as wire dicts, compressed, the retrieve tool offered
    (in `tools`, moved into `config` when sent); (kwargs, False) when it cannot be read."""
    contents = _wire_contents(kwargs.get("contents"))
    if contents is None:
        return kwargs, False
    body, _ = loop.prepare({**kwargs, "contents": contents})
    return body, True


def _wire_contents(contents: Any) -> list[Any] | None:
    """`contents` as a list of turn dicts (the SDK's own conversion for its other
    shapes: a string, parts, `Content` objects); None when it cannot convert them."""
    if isinstance(contents, list) and all(isinstance(c, dict) and "parts" in c for c in contents):
        return contents
    try:
        from google.genai import _transformers

        turns = _transformers.t_contents(contents)
        return [t.model_dump(by_alias=True, exclude_none=True) for t in turns]
    except Exception:
        return None  # a shape the SDK would refuse too: sent as it came


def _with_tools(config: Any, tools: list[Any]) -> Any:
    """The caller's config (None, a dict or a `GenerateContentConfig`) with `tools` added."""
    if config is None or isinstance(config, dict):
        config = dict(config or {})
        config["tools"] = [*(config.get("tools") or []), *tools]
        return config
    from google.genai import types

    added = [types.Tool.model_validate(t) for t in tools]
    return config.model_copy(update={"tools": [*(config.tools or []), *added]})


def _response_dict(response: Any) -> dict[str, Any]:
    data = response.model_dump(by_alias=True, exclude_none=True)
    return data if isinstance(data, dict) else {}
