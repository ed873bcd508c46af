"""withHeadroom(client): official OpenAI / Anthropic SDK clients that send compressed messages.

    from headroom import withHeadroom
    client = withHeadroom(anthropic.Anthropic())
    client.messages.create(model=..., max_tokens=..., messages=history)

`messages.create` (Anthropic) and `chat.completions.create` (OpenAI), sync and async, send
compressed messages; when compression created refs, `headroom_retrieve` is offered to the
model and answered locally (non-streaming calls, at most 3 rounds), so the caller only sees
the final response. Streaming calls send compressed messages without the retrieval tool.
Everything else on the client passes through untouched.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from headroom.engines import default_engine
from headroom.pipeline import Headroom
from headroom.providers import ANTHROPIC, OPENAI_CHAT, Provider

__all__ = ["withHeadroom"]

_MAX_ROUNDS = 3


def withHeadroom(client: Any, *, engine: Headroom | None = None) -> Any:
    """Wrap an `openai.OpenAI` / `AsyncOpenAI` or `anthropic.Anthropic` / `AsyncAnthropic` client."""
    engine = engine or default_engine()
    if hasattr(client, "chat") and hasattr(client.chat, "completions"):
        return _Wrapped(
            client,
            {
                "chat": _Wrapped(
                    client.chat,
                    {"completions": _Create(client.chat.completions, engine, OPENAI_CHAT)},
                )
            },
        )
    if hasattr(client, "messages") and hasattr(client.messages, "create"):
        return _Wrapped(client, {"messages": _Create(client.messages, engine, ANTHROPIC)})
    raise TypeError(
        f"withHeadroom wraps OpenAI or Anthropic SDK clients, not {type(client).__name__}."
    )


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
        self._engine = engine
        self._provider = provider
        # Some SDK methods are wrapped by decorators that hide their coroutine nature.
        self._async = inspect.iscoroutinefunction(inner.create) or type(inner).__name__.startswith(
            "Async"
        )

    def __getattr__(self, name: str) -> Any:
        if name == "create":
            return self._create_async if self._async else self._create
        return getattr(self._inner, name)

    def _prepare(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        messages = kwargs.get("messages")
        if not isinstance(messages, list):
            return kwargs, False
        result = self._engine.compress(messages, model=str(kwargs.get("model") or "gpt-4o"))
        out = dict(kwargs, messages=result.messages)
        loop = bool(result.refs) and not kwargs.get("stream")
        if loop:
            out["tools"] = list(out.get("tools") or [])
            self._provider.inject_tool(out)
        return out, loop

    def _next_round(
        self, kwargs: dict[str, Any], response: Any, last: bool
    ) -> dict[str, Any] | None:
        data = response.model_dump() if hasattr(response, "model_dump") else response
        calls, others = self._provider.retrieve_calls(data)
        if not calls or others or last:
            return None
        answers = [(c.call_id, self._engine.answer_retrieval(c.ref, c.query)) for c in calls]
        return self._provider.add_round(kwargs, data, answers)

    def _create(self, **kwargs: Any) -> Any:
        kwargs, loop = self._prepare(kwargs)
        response = self._inner.create(**kwargs)
        for round_number in range(_MAX_ROUNDS if loop else 0):
            following = self._next_round(kwargs, response, round_number == _MAX_ROUNDS - 1)
            if following is None:
                break
            kwargs = following
            response = self._inner.create(**kwargs)
        return response

    async def _create_async(self, **kwargs: Any) -> Any:
        kwargs, loop = await asyncio.to_thread(self._prepare, kwargs)
        response = await self._inner.create(**kwargs)
        for round_number in range(_MAX_ROUNDS if loop else 0):
            following = self._next_round(kwargs, response, round_number == _MAX_ROUNDS - 1)
            if following is None:
                break
            kwargs = following
            response = await self._inner.create(**kwargs)
        return response
