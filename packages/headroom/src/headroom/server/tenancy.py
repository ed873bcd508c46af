"""Who is calling: the CCR namespace from the caller's credentials, and the API token check."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from headroom.engine.engines import credential_namespace

__all__ = ["TOKEN_HEADER", "namespace_for", "token_ok"]

TOKEN_HEADER = "x-headroom-token"
_CREDENTIAL_HEADERS = ("x-api-key", "authorization", "api-key", "x-goog-api-key")


def namespace_for(headers: Mapping[str, str], default: str) -> str:
    """`k-` + a hash of the caller's provider credential, or `default` without any. The
    credential is the key, not the header: the same key sent as `Authorization: Bearer K`
    or as `x-api-key: K` (`api-key`, `x-goog-api-key`) is one namespace.

    Tenants never share a namespace, so one cannot read another's originals; the
    credential itself is never stored or logged."""
    for name in _CREDENTIAL_HEADERS:
        value = headers.get(name)
        if value and value.strip():
            return credential_namespace(_credential(value))
    return default


def _credential(value: str) -> str:
    """The key itself, whatever header carries it: `Authorization: Bearer K` and
    `x-api-key: K` are one tenant."""
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else value.strip()


def token_ok(headers: Mapping[str, str], token: str | None) -> bool:
    """True when no token is required, or the request carries it."""
    if not token:
        return True
    offered = headers.get(TOKEN_HEADER, "")
    return hmac.compare_digest(offered.encode(), token.encode())
