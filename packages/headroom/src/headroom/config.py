"""HeadroomConfig: the one place for every knob."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)
from typing_extensions import Self

from headroom.errors import ConfigError
from headroom.redact import MASK, redact_url

__all__ = ["EnvSettings", "HeadroomConfig", "default_home", "mask_all"]

ENV_PREFIX = "HEADROOM_"
DEFAULT_KOMPRESS_TIME_BUDGET_MS = 250
DEFAULT_PORT = 8787  # of `headroom proxy`


def mask_all(value: Any) -> str:
    """A secret shown as `***` whatever it is (an API token)."""
    return MASK


def default_home() -> Path:
    """`HEADROOM_HOME`, or `~/.headroom`."""
    return Path(os.environ.get("HEADROOM_HOME") or Path.home() / ".headroom")


class EnvSettings(BaseModel):
    """A frozen, validated settings model whose every field can be given as a
    `HEADROOM_<FIELD>` variable; a bad value is a ConfigError that names it."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
    redacted: ClassVar[dict[str, Callable[[Any], Any]]] = {}
    """Fields holding secrets, and how each is masked in reprs, JSON and error messages
    (attribute access and `model_dump()` give the real value)."""

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, self._masked(name, value)

    @model_serializer(mode="wrap")
    def _serialise(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if info.mode_is_json():
            data = {name: self._masked(name, value) for name, value in data.items()}
        return data

    @classmethod
    def _masked(cls, name: str | None, value: Any) -> Any:
        mask = cls.redacted.get(name or "")
        return value if mask is None or value is None else mask(value)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Build from `HEADROOM_*` variables (for example `HEADROOM_BUDGET_SCALE`), then
        `overrides` (None values ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            raw = env.get(ENV_PREFIX + name.upper())
            nested = isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
            if raw is None or nested:
                continue
            if name == "align_patterns":
                values[name] = _patterns_from_env(raw)
            elif field.annotation in (tuple[str, ...], "tuple[str, ...]"):
                values[name] = tuple(part.strip() for part in raw.split(",") if part.strip())
            else:
                values[name] = raw
        from_env = set(values)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls._build(values, from_env - set(overrides))

    def with_overrides(self, **overrides: Any) -> Self:
        """Return a copy with `overrides` applied and validated."""
        return self._build(self.model_dump() | overrides, set())

    @classmethod
    def _build(cls, values: dict[str, Any], from_env: set[str]) -> Self:
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{_setting_name(err['loc'], from_env)} has value "
                f"{cls._masked(str(err['loc'][0]) if err['loc'] else None, err.get('input'))!r}. "
                f"{err['msg']}."
                for err in exc.errors()
            )
            raise ConfigError(problems) from None


def _setting_name(location: tuple[Any, ...], from_env: set[str]) -> str:
    name = ".".join(str(part) for part in location)
    if location and location[0] in from_env:
        return f"{ENV_PREFIX}{str(location[0]).upper()} (setting '{name}')"
    return f"Config '{name}'"


class HeadroomConfig(EnvSettings):
    """Settings of the compression pipeline; frozen, so one config can be shared. Its
    repr and JSON never show the store's password (see `headroom.redact`)."""

    redacted: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "store_url": lambda url: redact_url(str(url))
    }

    min_tokens_to_compress: int = Field(default=200, ge=0)
    """Payloads smaller than this many tokens are left alone."""

    min_savings_tokens: int = Field(default=30, ge=0)
    """The router accepts a compressor's result only if it saves at least this many tokens."""

    budget_scale: float = Field(default=140.0, gt=0.0)
    budget_exponent: float = Field(default=0.43, gt=0.0, le=1.0)
    """The token budget of a payload of `t` tokens is `min(t, budget_scale * t ** budget_exponent)`:
    it grows sub-linearly, so small payloads stay whole (up to about 5.8k tokens), mid-sized
    ones keep most (10k -> 7.3k), and the big, repetitive ones are cut the most (100k -> 20k,
    300k -> 32k)."""

    focused_share: float = Field(default=0.15, gt=0.0, le=1.0)
    """When the question quotes something the payload holds, the budget shrinks to this
    share: the lines it names, the errors and the outline are kept, little else."""

    min_budget_tokens: int = Field(default=300, ge=0)
    """No budget goes below this many tokens (focused ones included)."""

    compress_user_messages: bool = False
    """Also compress long user text (off: user text is sent as written)."""

    compress_assistant_messages: bool = False
    """Also compress long assistant text (never tool-call arguments)."""

    stable_history: bool = True
    """Send each payload the same way on every turn (decisions recorded in the store), so a
    compressed conversation stays a byte prefix of its next turn and prompt caches hit."""

    dedup_repeats: bool = True
    """Cross-turn de-duplication: a run of lines of a tool output that an earlier tool output
    of the request still shows verbatim (a file read again, a line range of it, grep hits or
    diff context of it) goes out as a pointer, `[headroom: lines 75-100 as in message 3]`.
    Earlier outputs never change, so cached prefixes stay byte-stable."""

    dedup_min_tokens: int = Field(default=40, ge=1)
    """A repeated run becomes a pointer only if it costs at least this many tokens."""

    respect_cache_breakpoints: bool = True
    """Content before the last `cache_control` breakpoint is never compressed anew: it goes
    out exactly as on earlier turns (compressed only if Headroom compressed it before), and
    tool results that carry `cache_control` are left alone. Turn off for agents that mark
    their newest tool result (Claude Code): tool results are then compressed the first time
    they are seen, and `stable_history` sends them the same way afterwards, so the caches
    still hit from the next turn on."""

    align_dynamic: bool = True
    """Move dates, times, UUIDs, ids and counters out of system prompts into a context block
    at the end of the request (placeholders stay), so the prefix is byte-stable and the
    provider's prompt cache hits. Decided from the request alone (every process and replica
    decides the same); skipped for a request it would make larger in tokens."""

    align_patterns: tuple[str, ...] = ()
    """Extra regexes of dynamic fragments for the aligner (`HEADROOM_ALIGN_PATTERNS`: one
    regex, or a JSON list of them)."""

    @field_validator("align_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return patterns

    align_early_messages: int = Field(default=0, ge=0)
    """Also align this many leading non-system messages (their text changes: opt in)."""

    add_cache_breakpoints: bool = False
    """In request bodies: add Anthropic `cache_control` breakpoints / an OpenAI `prompt_cache_key`."""

    max_retrieval_rounds: int = Field(default=3, ge=0)
    """`headroom_retrieve` rounds answered per call (proxy, SDK wrapper, adapters) before the reply goes to the caller as it is."""

    excluded_tools: tuple[str, ...] = ()
    """Results of these tools are never compressed."""

    max_payload_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    """Payloads larger than this pass through untouched."""

    kompress_model_path: str | None = None
    """Folder of a local token-classification checkpoint for prose (needs the [ml] extra)."""

    kompress_time_budget_ms: int = Field(default=DEFAULT_KOMPRESS_TIME_BUDGET_MS, ge=0)
    """The prose model never runs longer than this per payload; the model-free path runs instead."""

    store_url: str | None = None
    """SQLAlchemy URL of the CCR store; default: a SQLite file under `HEADROOM_HOME`."""

    namespace: str = "default"
    """CCR namespace (tenant); refs are only visible inside their namespace."""

    ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    """How long an original stays retrievable."""

    max_store_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    """Size cap of the store; the least recently used originals are evicted past it."""

    store_timeout_s: float = Field(default=5.0, gt=0.0)
    """Longest a `compress()` call waits on the store, whatever the database does (a server
    that accepts connections and never answers included); past it, payloads go out
    unchanged and the store is left alone for 15 s. Only waiting on the store counts, not
    the time spent compressing."""

    max_activity_rows: int = Field(default=1_000_000, gt=0)
    """Rows kept per activity table (compressions, requests, retrievals); older rows, and
    rows older than `ttl_seconds`, are pruned when the store opens and as any process
    writes to it."""

    def resolved_store_url(self) -> str:
        """The store URL in force: the setting, `HEADROOM_STORE_URL`, or the default file."""
        if self.store_url:
            return self.store_url
        env_url = os.environ.get("HEADROOM_STORE_URL")
        if env_url:
            return env_url
        return f"sqlite:///{default_home() / 'store.db'}"


def _patterns_from_env(raw: str) -> tuple[str, ...]:
    """`HEADROOM_ALIGN_PATTERNS`: one regex, or a JSON list of them (regexes hold commas)."""
    if raw.lstrip().startswith("["):
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"HEADROOM_ALIGN_PATTERNS is not a JSON list: {exc}.") from None
        if not isinstance(parsed, list) or not all(isinstance(p, str) for p in parsed):
            raise ConfigError("HEADROOM_ALIGN_PATTERNS must be a JSON list of strings.")
        return tuple(parsed)
    return (raw,) if raw else ()
