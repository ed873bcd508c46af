"""CacheAligner: keep prompt prefixes byte-stable so provider prompt caches hit.

Three jobs:

* Dynamic fragments (dates, times, UUIDs, long hex ids, JWT-like tokens, counters such as
  "turn 14", and any `align_patterns` of the config) in the system prompt, and in the
  first `align_early_messages` messages, are replaced by stable placeholders
  (`[headroom-dynamic-1]`); their current values travel in a short context block at the end
  of the request, where a change costs no cache.
* Request bodies get canonical tool definitions: sorted by name, keys sorted.
* `prefix_stability` measures, per conversation, how much of the previous request is a
  byte prefix of this one (1.0: the provider cache can be reused whole).

With `add_cache_breakpoints`, Anthropic requests get `cache_control` breakpoints (last
tool, last system block, last message) and OpenAI requests a `prompt_cache_key`.
History stability itself (each payload compressed the same way on every turn) lives in
`payloads.PayloadCompressor`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AlignedMessages",
    "CacheAligner",
    "canonical_tools",
    "common_prefix_length",
    "conversation_key",
]

_BUILTIN_PATTERNS = (
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b",
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2},? \d{4}\b",
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2},? \d{4}\b",
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?: ?[AP]M)?(?: [A-Z]{2,4})?\b",
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
    r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}\b",
    r"\b[0-9a-f]{16,}\b",
    r"\b(?:turn|step|iteration|request|attempt|run|session) ?#?\d+\b",
)
_PLACEHOLDER = "[headroom-dynamic-{}]"
_MAX_CONVERSATIONS = 256


@dataclass(frozen=True)
class AlignedMessages:
    """Messages with dynamic fragments replaced, and the fragments moved."""

    messages: list[Any]
    fragments: list[tuple[str, str]]

    def context_block(self) -> str:
        lines = [f"{placeholder} = {value}" for placeholder, value in self.fragments]
        return "Current values of the placeholders in the prompt above:\n" + "\n".join(lines)


def conversation_key(messages: Sequence[Any]) -> str:
    """A stable id of a conversation: a hash of its first user message (system prompts
    change from turn to turn in many agents, so they are left out)."""
    first = next((m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"), None)
    head = json.dumps(first, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(head.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def canonical_tools(tools: Sequence[Any]) -> list[Any]:
    """Tool definitions sorted by name, every object's keys sorted."""

    def name(tool: Any) -> str:
        if isinstance(tool, Mapping):
            function = tool.get("function")
            if isinstance(function, Mapping):
                return str(function.get("name", ""))
            return str(tool.get("name", ""))
        return ""

    return [_sorted_keys(tool) for tool in sorted(tools, key=name)]


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


class CacheAligner:
    """Moves dynamic fragments out of the prefix and measures prefix stability."""

    def __init__(self, extra_patterns: Sequence[str] = (), early_messages: int = 0) -> None:
        self.pattern = re.compile(
            "|".join(f"(?:{p})" for p in (*extra_patterns, *_BUILTIN_PATTERNS)), re.I
        )
        self.early_messages = early_messages
        self._previous: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def align_messages(self, messages: Sequence[Any]) -> AlignedMessages:
        """Replace dynamic fragments in system messages (and the first early messages)."""
        out = copy.deepcopy(list(messages))
        values: dict[str, str] = {}
        early = 0
        for message in out:
            if not isinstance(message, dict):
                continue
            role = message.get("role")
            if role in ("system", "developer"):
                self._align_content(message, values)
            elif early < self.early_messages:
                early += 1
                self._align_content(message, values)
        return AlignedMessages(out, [(placeholder, value) for value, placeholder in values.items()])

    def align_text(self, text: str, values: dict[str, str]) -> str:
        def substitute(match: re.Match[str]) -> str:
            return values.setdefault(match.group(0), _PLACEHOLDER.format(len(values) + 1))

        return self.pattern.sub(substitute, text)

    def _align_content(self, message: dict[str, Any], values: dict[str, str]) -> None:
        content = message.get("content")
        if isinstance(content, str):
            message["content"] = self.align_text(content, values)
        elif isinstance(content, list):
            for part in content:
                if (
                    isinstance(part, dict)
                    and part.get("type") == "text"
                    and isinstance(part.get("text"), str)
                ):
                    part["text"] = self.align_text(part["text"], values)

    def prefix_stability(self, key: str, messages: Sequence[Any]) -> float | None:
        """Share of the previous request of conversation `key` that this one starts with."""
        current = "".join(
            json.dumps(m, sort_keys=True, ensure_ascii=False, default=str) for m in messages
        )
        with self._lock:
            previous = self._previous.get(key)
            self._previous[key] = current
            self._previous.move_to_end(key)
            while len(self._previous) > _MAX_CONVERSATIONS:
                self._previous.popitem(last=False)
        if not previous:
            return None
        return common_prefix_length(previous, current) / len(previous)


def common_prefix_length(a: str, b: str) -> int:
    """Length of the longest common prefix of `a` and `b`."""
    limit = min(len(a), len(b))
    if a[:limit] == b[:limit]:
        return limit
    low, high = 0, limit
    while low < high:  # binary search on equal prefixes: O(n log n) compares of C speed
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low
