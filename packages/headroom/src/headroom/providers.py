"""What differs between the OpenAI and Anthropic wire formats, for the proxy."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Literal

from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema

__all__ = ["ANTHROPIC", "OPENAI", "Provider", "RetrieveCall", "parse_arguments"]


@dataclass(frozen=True)
class RetrieveCall:
    """One `headroom_retrieve` call the model made."""

    call_id: str
    ref: str
    query: str | None


def parse_arguments(raw: Any) -> tuple[str, str | None]:
    """(ref, query) from a retrieve call's arguments (a JSON string or an object)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "{}")
        except ValueError:
            raw = {}
    if not isinstance(raw, dict):
        return "", None
    query = raw.get("query")
    return str(raw.get("ref", "")), str(query) if query else None


@dataclass(frozen=True)
class Provider:
    """One provider's endpoint and message shapes."""

    name: Literal["openai", "anthropic"]
    path: str

    def inject_tool(self, body: dict[str, Any]) -> None:
        tools = body.setdefault("tools", [])
        if not any(_tool_name(t) == RETRIEVE_TOOL_NAME for t in tools):
            tools.append(tool_schema(self.name))

    def retrieve_calls(self, response: dict[str, Any]) -> tuple[list[RetrieveCall], bool]:
        """The model's retrieve calls, and whether it also called other tools (none in a
        response of a shape this provider does not send)."""
        calls: list[RetrieveCall] = []
        others = False
        try:
            tool_calls = self._tool_calls(response)
        except (AttributeError, TypeError, KeyError, IndexError):
            return [], False
        for call_id, name, arguments in tool_calls:
            if name == RETRIEVE_TOOL_NAME:
                calls.append(RetrieveCall(call_id, *parse_arguments(arguments)))
            else:
                others = True
        return calls, others

    def _tool_calls(self, response: dict[str, Any]) -> list[tuple[str, str, Any]]:
        if self.name == "openai":
            choices = response.get("choices") or [{}]
            message = choices[0].get("message") or {}
            return [
                (
                    c.get("id", ""),
                    (c.get("function") or {}).get("name", ""),
                    (c.get("function") or {}).get("arguments"),
                )
                for c in message.get("tool_calls") or []
            ]
        return [
            (b.get("id", ""), b.get("name", ""), b.get("input"))
            for b in response.get("content") or []
            if isinstance(b, dict) and b.get("type") == "tool_use"
        ]

    def add_round(
        self, body: dict[str, Any], response: dict[str, Any], results: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """The next request: the model's turn and the retrieval results appended."""
        nxt = copy.copy(body)
        messages = list(body.get("messages") or [])
        if self.name == "openai":
            message = (response.get("choices") or [{}])[0].get("message") or {}
            messages.append(
                {k: v for k, v in message.items() if k in ("role", "content", "tool_calls")}
            )
            messages.extend(
                {"role": "tool", "tool_call_id": cid, "content": text} for cid, text in results
            )
        else:
            messages.append({"role": "assistant", "content": response.get("content") or []})
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": cid, "content": text}
                        for cid, text in results
                    ],
                }
            )
        nxt["messages"] = messages
        return nxt

    def strip_retrieve(self, response: dict[str, Any]) -> dict[str, Any]:
        """The response without retrieve calls (when the model mixed them with the client's tools)."""
        out = copy.deepcopy(response)
        if self.name == "openai":
            for choice in out.get("choices") or []:
                message = choice.get("message") or {}
                message["tool_calls"] = [
                    c
                    for c in message.get("tool_calls") or []
                    if (c.get("function") or {}).get("name") != RETRIEVE_TOOL_NAME
                ]
        else:
            out["content"] = [
                b
                for b in out.get("content") or []
                if not (
                    isinstance(b, dict)
                    and b.get("type") == "tool_use"
                    and b.get("name") == RETRIEVE_TOOL_NAME
                )
            ]
        return out


def _tool_name(tool: Any) -> str:
    if not isinstance(tool, dict):
        return ""
    function = tool.get("function")
    return (
        str(function.get("name", "")) if isinstance(function, dict) else str(tool.get("name", ""))
    )


OPENAI = Provider("openai", "/v1/chat/completions")
ANTHROPIC = Provider("anthropic", "/v1/messages")
