"""ServerSettings: how `headroom proxy` listens and where it forwards; the engine's
settings (`HeadroomConfig`) ride along in `engine`. Both read `HEADROOM_*` variables the
same way and refuse bad values with a ConfigError."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator
from typing_extensions import Self

from headroom.config import DEFAULT_PORT, EnvSettings, HeadroomConfig, mask_all
from headroom.errors import ConfigError
from headroom.providers import registered, upstreams

__all__ = ["ServerSettings", "base_url_variables", "is_loopback"]


def base_url_variables() -> dict[str, str]:
    """Each registered upstream and the variable that sets its base URL."""
    return {p.endpoint.upstream: p.endpoint.base_url_variable for p in registered()}


class ServerSettings(EnvSettings):
    """How the server listens and where it forwards. Its repr and JSON show the API token
    as `***` (and the engine's store URL without its password)."""

    redacted: ClassVar[dict[str, Callable[[Any], Any]]] = {"api_token": mask_all}

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    api_token: str | None = None
    """Required of every request when set (and to listen beyond loopback); blank is none."""
    base_urls: dict[str, str] = Field(default_factory=dict)
    """Each upstream's base URL, by upstream name: one per registered endpoint's upstream,
    given as `<upstream>_base_url` (`HEADROOM_OPENAI_BASE_URL`, `HEADROOM_ANTHROPIC_BASE_URL`,
    `HEADROOM_GEMINI_BASE_URL`), each defaulting to the provider's own."""
    max_request_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    upstream_timeout_s: float = Field(default=600.0, gt=0.0)
    header_timeout_s: float = Field(default=10.0, gt=0.0)
    """A request must send its headers within this many seconds (408 and closed after)."""
    body_timeout_s: float = Field(default=60.0, gt=0.0)
    """... and its body within this many seconds after its headers."""
    max_connections: int = Field(default=1000, gt=0)
    """Concurrent connections served; past it, requests are answered 503."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names besides loopback ones this server answers to (`HEADROOM_ALLOWED_HOSTS`,
    comma-separated), e.g. the name it is reached by behind a proxy or in a container."""
    forward_headers: tuple[str, ...] = ()
    """Client headers forwarded upstream besides the built-in allow-list
    (`HEADROOM_FORWARD_HEADERS`, comma-separated names; `x-portkey-*` names a prefix), e.g.
    a gateway's own headers. Cookies are never forwarded."""
    engine: HeadroomConfig = Field(default_factory=HeadroomConfig.from_env)
    """The compression settings of the server's engines (`HEADROOM_*` variables)."""

    @model_validator(mode="before")
    @classmethod
    def _upstream_urls(cls, values: Any) -> Any:
        """`<upstream>_base_url` keywords into `base_urls`, defaults for the rest."""
        if not isinstance(values, dict):
            return values
        values = dict(values)
        urls = dict(upstreams()) | dict(values.pop("base_urls", None) or {})
        for upstream in upstreams():
            given = values.pop(f"{upstream}_base_url", None)
            if given is not None:
                urls[upstream] = given
        values["base_urls"] = urls
        return values

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """`EnvSettings.from_env`, with each upstream's `HEADROOM_<UPSTREAM>_BASE_URL`."""
        env = os.environ if environ is None else environ
        urls = {
            f"{name}_base_url": env[variable]
            for name, variable in base_url_variables().items()
            if variable in env
        }
        given = {k: v for k, v in overrides.items() if v is not None}
        return super().from_env(environ, **(urls | given))

    def base_url(self, upstream: str) -> str:
        """The base URL requests for `upstream` go to."""
        return self.base_urls.get(upstream) or upstreams()[upstream]

    @field_validator("api_token")
    @classmethod
    def _blank_is_none(cls, token: str | None) -> str | None:
        return token.strip() or None if token is not None else None

    @field_validator("forward_headers")
    @classmethod
    def _header_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name.strip().lower() for name in names if name.strip())

    @field_validator("allowed_hosts")
    @classmethod
    def _lowercase(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name.strip().lower() for name in names if name.strip())

    def check(self) -> None:
        """Refuse to listen beyond loopback without an API token."""
        if not is_loopback(self.host) and not self.api_token:
            raise ConfigError(
                f"Server host {self.host!r} is not loopback and no API token (a blank one is "
                "none) is set. Set HEADROOM_API_TOKEN (or --token) to expose the server, or "
                "bind 127.0.0.1."
            )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
