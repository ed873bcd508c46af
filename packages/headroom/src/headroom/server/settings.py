"""ServerSettings: how `headroom proxy` listens and where it forwards; the engine's
settings (`HeadroomConfig`) ride along in `engine`. Both read `HEADROOM_*` variables the
same way and refuse bad values with a ConfigError."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field, field_validator

from headroom.config import DEFAULT_PORT, EnvSettings, HeadroomConfig, mask_all
from headroom.errors import ConfigError

__all__ = ["ServerSettings", "is_loopback"]


class ServerSettings(EnvSettings):
    """How the server listens and where it forwards. Its repr and JSON show the API token
    as `***` (and the engine's store URL without its password)."""

    redacted: ClassVar[dict[str, Callable[[Any], Any]]] = {"api_token": mask_all}

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    api_token: str | None = None
    """Required of every request when set (and to listen beyond loopback); blank is none."""
    openai_base_url: str = "https://api.openai.com"
    anthropic_base_url: str = "https://api.anthropic.com"
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
