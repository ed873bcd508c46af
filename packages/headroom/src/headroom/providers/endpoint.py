"""The endpoint seam: where a wire format is served and who calls it.

A provider's wire format says what a request looks like; its `Endpoint` says where it
goes: which upstream (and so which `HEADROOM_<UPSTREAM>_BASE_URL` setting), at which path
(a template: `/v1beta/models/{model}:generateContent`), with which credential header,
which SDK client sends it (for `withHeadroom`) and which LiteLLM calls carry it. The
proxy's routes, the server's base-URL settings, pass-through routing, the LiteLLM call
map and SDK client detection are all generated from the registered endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Endpoint", "LiteLLMCalls", "SdkSurface", "upstream_url"]

_PARAM_RE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class SdkSurface:
    """Which SDK client calls this endpoint, for `withHeadroom`."""

    module: str
    """The package the client class comes from ("openai", "google.genai")."""
    attributes: tuple[str, ...]
    """Dotted paths on the client of the object whose methods send requests
    ("chat.completions"; "models" and "aio.models")."""
    wrap: Callable[[Any, Any], Any] | None = None
    """(inner object, its `RetrievalLoop`) -> its replacement; None: the SDK wrapper's
    own `create`."""
    stream_events: tuple[str, str] | None = None
    """(module, type) of the union of the SDK's stream events: a stream relayed through
    the retrieval loop goes back to the caller in them."""


@dataclass(frozen=True)
class LiteLLMCalls:
    """The LiteLLM calls that carry this format."""

    call_types: tuple[str, ...]
    """Call types of the proxy's pre-call hook ("completion", "acompletion")."""
    router_method: str
    """The router's (and litellm's) async method that sends a follow-up round."""
    function: str = ""
    """Where that method lives when it is not `litellm.<router_method>` (dotted path)."""


@dataclass(frozen=True)
class Endpoint:
    """Where a wire format is served: upstream, path template, credential header."""

    upstream: str
    """The upstream's name; its base URL is the setting `<upstream>_base_url`."""
    default_base_url: str
    path: str
    """The route, as the proxy serves it and the upstream expects it; `{name}` parts are
    path parameters, sent upstream as they came (`/{version}/models/{model}:generateContent`)."""
    credential_header: str
    stream_path: str | None = None
    """Where a streamed request goes when streaming is chosen by path rather than by a
    `"stream": true` body field (Gemini's `:streamGenerateContent?alt=sse`)."""
    client_headers: tuple[str, ...] = ()
    """Headers only this upstream's clients send: a pass-through request carrying one
    goes to this upstream."""
    header_prefixes: tuple[str, ...] = ()
    """Prefixes of this upstream's own headers, forwarded with the request."""
    sdk: SdkSurface | None = None
    litellm: LiteLLMCalls | None = None
    prefixes: tuple[str, ...] = ()
    """Pass-through paths under which everything belongs to this upstream (e.g.
    `/v1/messages` for Anthropic's `count_tokens`); the path's static start by default."""
    roots: tuple[str, ...] = ()
    """The path roots this upstream serves ("/v1", "/v1beta"): pass-through has a
    catch-all for each; the path's first segment by default."""

    @property
    def base_url_setting(self) -> str:
        return f"{self.upstream}_base_url"

    @property
    def base_url_variable(self) -> str:
        return f"HEADROOM_{self.upstream.upper()}_BASE_URL"

    def path_roots(self) -> tuple[str, ...]:
        return self.roots or ("/" + self.path.strip("/").split("/")[0],)

    def owned_prefixes(self) -> tuple[str, ...]:
        static = self.path.split("{")[0].rstrip("/")
        return self.prefixes or ((static,) if static else ())

    def paths(self) -> tuple[str, ...]:
        """Every route of this endpoint (the stream path too, when it has one)."""
        return (self.path,) if self.stream_path is None else (self.path, self.stream_path)

    def upstream_path(self, template: str, params: dict[str, str]) -> str:
        """`template` with its parameters filled in."""
        return _PARAM_RE.sub(lambda m: params.get(m.group(1), m.group(0)), template)


def upstream_url(base: str, path: str) -> str:
    """`base` + `path`, whether the base URL ends in `/v1` or not (both are common)."""
    base = base.rstrip("/")
    if base.endswith("/v1") and path.startswith("/v1/"):
        base = base[: -len("/v1")]
    return base + path
