"""Google Gemini `generateContent` (`/v1beta/models/{model}:generateContent`, or `/v1/...`;
streamed at `:streamGenerateContent?alt=sse`): the conversation is `contents`, turns of `parts`;
`functionCall` parts are the model's tool calls and `functionResponse` parts their results;
tools are `functionDeclarations`; a stream is `data:` chunks, each a partial response.

Field names are read in both spellings the API accepts (`functionCall`, `function_call`)
and written in camelCase. This module is Gemini's wire format, retrieval, stream relay and
endpoint; `gemini_genai` wraps the `google-genai` client, loaded when one is wrapped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
        sdk=SdkSurface("google.genai", ("models", "aio.models"), lambda *a: _genai_models(*a)),
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


def _genai_models(inner: Any, loop: Any) -> Any:
    from headroom.providers.gemini_genai import GenAIModels

    return GenAIModels(inner, loop)


GEMINI = Gemini()
