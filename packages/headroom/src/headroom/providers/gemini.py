"""Google Gemini `generateContent` (`/v1beta/models/{model}:generateContent`, or `/v1/...`;
streamed at `:streamGenerateContent?alt=sse`): the conversation is `contents`, turns of `parts`;
`functionCall` parts are the model's tool calls and `functionResponse` parts their results;
tools are `functionDeclarations`; a stream is `data:` chunks, each a partial response.

Field names are read in both spellings the API accepts (`functionCall`, `function_call`)
and written in camelCase. This module is the whole of Gemini support: the wire format,
retrieval, the stream relay, the endpoint and the `google-genai` client wrapper.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema
from headroom.conversation.segments import (
    UNKNOWN_CALL,
    Scope,
    Segment,
    SegmentSource,
    ToolCall,
    as_text,
)
from headroom.providers import base
from headroom.providers.endpoint import Endpoint, LiteLLMCalls, SdkSurface

__all__ = ["GEMINI", "Gemini", "GeminiRelay"]

_SCHEMA_TYPES = {"object": "OBJECT", "string": "STRING", "integer": "INTEGER"}


def _field(value: Any, camel: str, snake: str) -> Any:
    """`value[camel]` or `value[snake]` (the API takes both spellings); None otherwise."""
    if not isinstance(value, Mapping):
        return None
    found = value.get(camel)
    return value.get(snake) if found is None else found


def _call_of(part: Any) -> Mapping[str, Any] | None:
    call = _field(part, "functionCall", "function_call")
    return call if isinstance(call, Mapping) else None


def _parts(turn: Any) -> list[Any]:
    parts = turn.get("parts") if isinstance(turn, Mapping) else None
    return parts if isinstance(parts, list) else []


class Gemini(base.BaseProvider):
    name, conversation_key = "gemini", "contents"
    endpoint = Endpoint(
        upstream="gemini",
        default_base_url="https://generativelanguage.googleapis.com",
        path="/{version}/models/{model}:generateContent",  # v1beta, v1 (google-genai 3)
        stream_path="/{version}/models/{model}:streamGenerateContent",
        credential_header="x-goog-api-key",
        client_headers=("x-goog-api-key",),
        header_prefixes=("x-goog-",),
        prefixes=("/v1beta", "/v1alpha"),
        roots=("/v1", "/v1beta", "/v1alpha"),
        sdk=SdkSurface(
            "google.genai", ("models", "aio.models"), lambda inner, loop: _Models(inner, loop)
        ),
        litellm=LiteLLMCalls(
            ("generate_content", "agenerate_content"),
            "agenerate_content",
            "litellm.google_genai.agenerate_content",
        ),
    )

    def claims(self, messages: Sequence[Any]) -> bool:
        return any(isinstance(m, Mapping) and isinstance(m.get("parts"), list) for m in messages)

    def tool_calls_in(self, messages: Sequence[Any]) -> dict[str, ToolCall]:
        """By call id when the model gave one, else by function name (results name it)."""
        calls: dict[str, ToolCall] = {}
        for turn in messages:
            for part in _parts(turn):
                call = _call_of(part)
                if call is not None:
                    key = str(call.get("id") or call.get("name"))
                    calls[key] = ToolCall(call.get("name"), as_text(call.get("args")))
        return calls

    def message_segments(
        self, index: int, message: Mapping[str, Any], calls: Mapping[str, ToolCall], scope: Scope
    ) -> Iterator[Segment]:
        role = message.get("role")
        text_source: SegmentSource | None = None
        if role == "user" and scope.include_user:
            text_source = "user"
        elif role == "model" and scope.include_assistant:
            text_source = "assistant"
        for part_index, part in enumerate(_parts(message)):
            response = _field(part, "functionResponse", "function_response")
            if isinstance(response, Mapping):
                key = "functionResponse" if "functionResponse" in part else "function_response"
                call = calls.get(str(response.get("id") or response.get("name")), UNKNOWN_CALL)
                values = response.get("response")
                for name, value in values.items() if isinstance(values, Mapping) else ():
                    if isinstance(value, str):
                        path = (index, "parts", part_index, key, "response", name)
                        yield call.result(path, value)
            elif text_source and isinstance(part, Mapping) and _is_plain_text(part):
                yield Segment((index, "parts", part_index, "text"), part["text"], text_source)

    def user_text(self, message: Any) -> str | None:
        if not isinstance(message, Mapping) or message.get("role", "user") != "user":
            return None
        texts = [p["text"] for p in _parts(message) if _is_plain_text(p)]
        return "\n".join(texts) if texts else None

    def append_context(self, messages: list[Any], block: str) -> list[Any]:
        """A text part of the closing user turn (or a user turn of its own)."""
        out = list(messages)
        last = out[-1] if out else None
        if isinstance(last, dict) and last.get("role", "user") == "user":
            out[-1] = {**last, "parts": [*_parts(last), {"text": block}]}
            return out
        out.append({"role": "user", "parts": [{"text": block}]})
        return out

    def add_cache_breakpoints(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        """Gemini caches repeated prefixes on its own (explicit caches are resources made
        in advance, not request fields): nothing to add."""
        return body

    def tool_schema(self) -> dict[str, Any]:
        function = tool_schema("openai")["function"]
        return {"functionDeclarations": [{**function, "parameters": _gemini_schema(function)}]}

    def inject_tool(self, body: dict[str, Any]) -> None:
        tools = body.setdefault("tools", [])
        for tool in tools:
            declarations = _field(tool, "functionDeclarations", "function_declarations")
            if any(_field(d, "name", "name") == RETRIEVE_TOOL_NAME for d in declarations or ()):
                return
        tools.append(self.tool_schema())

    def tool_calls(self, response: dict[str, Any]) -> Iterable[tuple[str, str, Any]]:
        for part in _parts(_first_content(response)):
            call = _call_of(part)
            if call is not None:
                yield str(call.get("id") or ""), str(call.get("name")), call.get("args")

    def add_round(
        self, body: dict[str, Any], response: dict[str, Any], results: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """The model's turn and one user turn of `functionResponse` parts, in call order."""
        turn = dict(_first_content(response))
        turn["role"] = "model"
        answers = [
            {
                "functionResponse": {
                    **({"id": call_id} if call_id else {}),
                    "name": RETRIEVE_TOOL_NAME,
                    "response": {"output": text},
                }
            }
            for call_id, text in results
        ]
        nxt = copy.copy(body)
        nxt["contents"] = [*(body.get("contents") or []), turn, {"role": "user", "parts": answers}]
        return nxt

    def strip_retrieve(self, response: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(response)
        for candidate in out.get("candidates") or []:
            content = candidate.get("content") if isinstance(candidate, dict) else None
            if isinstance(content, dict):
                content["parts"] = [p for p in _parts(content) if not _is_retrieve(p)]
        return out

    def stream_relay(self) -> base.StreamRelay:
        return GeminiRelay()


def _is_plain_text(part: Any) -> bool:
    return (
        isinstance(part, Mapping) and isinstance(part.get("text"), str) and not part.get("thought")
    )


def _is_retrieve(part: Any) -> bool:
    call = _call_of(part)
    return call is not None and call.get("name") == RETRIEVE_TOOL_NAME


def _first_content(response: Mapping[str, Any]) -> Mapping[str, Any]:
    candidates = response.get("candidates")
    first = candidates[0] if isinstance(candidates, list) and candidates else None
    content = first.get("content") if isinstance(first, Mapping) else None
    return content if isinstance(content, Mapping) else {}


def _gemini_schema(function: Mapping[str, Any]) -> dict[str, Any]:
    """The retrieve tool's parameters in Gemini's OpenAPI subset (upper-case types)."""

    def convert(schema: Any) -> Any:
        if isinstance(schema, dict):
            out = {k: convert(v) for k, v in schema.items() if k != "additionalProperties"}
            if isinstance(out.get("type"), str):
                out["type"] = _SCHEMA_TYPES.get(out["type"], out["type"].upper())
            return out
        return schema

    result: dict[str, Any] = convert(function["parameters"])
    return result


class GeminiRelay(base.HeldRound):
    """A Gemini stream relayed with its retrieve calls held back: every chunk carries the
    first `responseId`, and the chunk that finishes a round is held until no round
    follows, so the answer has one ending (made up when no round sent one)."""

    def __init__(self) -> None:
        self.response_id: Any = None
        self.closing: base.StreamEvent | None = None
        self.start_round()

    def start_round(self) -> None:
        self.parts: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        super().start_round()

    def feed(self, event: base.StreamEvent) -> list[base.StreamEvent]:
        if isinstance(event.data, str):
            return [event]
        chunk = copy.deepcopy(event.data)
        candidates = chunk.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            return [event.replaced(self._same_id(chunk))]
        candidate = candidates[0]
        content = candidate.get("content") if isinstance(candidate, dict) else None
        parts = _parts(content)
        kept = [p for p in parts if not self._absorb(p)]
        if isinstance(content, dict) and len(kept) != len(parts):
            content["parts"] = kept
        if isinstance(candidate, dict) and _field(candidate, "finishReason", "finish_reason"):
            # Held: the answer may go on in a next round.
            closing = copy.deepcopy(chunk)
            if isinstance(closing["candidates"][0].get("content"), dict):
                closing["candidates"][0]["content"]["parts"] = []
            self.closing = event.replaced(self._same_id(closing))
            if not kept:
                return []
            candidate.pop("finishReason", None)
            candidate.pop("finish_reason", None)
        elif not kept and parts and len(candidates) == 1:
            return []  # only retrieve calls in it
        return [event.replaced(self._same_id(chunk))]

    def _absorb(self, part: Any) -> bool:
        """Keep the part for the round's reply; True when it is a retrieve call."""
        if not isinstance(part, dict):
            return False
        if _is_retrieve(part):
            self.calls.append(part)
            return True
        if _call_of(part) is not None:
            self.other = True
        last = self.parts[-1] if self.parts else None
        if _is_plain_text(part) and len(part) == 1 and last and _is_plain_text(last):
            last["text"] += part["text"]  # one text part per run, as a whole reply has
        else:
            self.parts.append(copy.deepcopy(part))
        return False

    def _same_id(self, chunk: dict[str, Any]) -> dict[str, Any]:
        if self.response_id is None:
            self.response_id = chunk.get("responseId")
        elif "responseId" in chunk:
            chunk["responseId"] = self.response_id
        return chunk

    def assistant_response(self) -> dict[str, Any]:
        parts = [*self.parts, *self.calls]
        return {"candidates": [{"content": {"role": "model", "parts": parts}}]}

    def finish(self) -> list[base.StreamEvent]:
        if self.closing is not None:
            return [self.closing]
        chunk: dict[str, Any] = {
            "candidates": [
                {"content": {"role": "model", "parts": []}, "finishReason": "STOP", "index": 0}
            ]
        }
        if self.response_id is not None:
            chunk["responseId"] = self.response_id
        return [base.StreamEvent(None, chunk)]


class _Models:
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


GEMINI = Gemini()
