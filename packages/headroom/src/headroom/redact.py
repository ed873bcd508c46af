"""The one place secrets are masked: store URLs (the password of `user:password@`, and
query parameters such as `password`, `sslpassword`, `sslkey`) and any message that may
quote them. Every repr, log line, error, CLI line and HTTP body that shows a store URL
goes through `redact_url` (or `scrub` for text that may hold one)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["MASK", "redact_url", "scrub", "url_secrets"]

MASK = "***"
# `scheme://user:password@`: SQLAlchemy reads the password up to the first "@".
_USERINFO = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]*)@")
_SENSITIVE_KEY = r"[^=&#\s?;]*(?:pass|pwd|secret|token|sslkey|api_?key|auth|credential)[^=&#\s]*"
_QUERY = re.compile(rf"(?P<head>[?&;](?i:{_SENSITIVE_KEY})=)(?P<secret>[^&#\s]*)")
_SENSITIVE = re.compile(_SENSITIVE_KEY, re.IGNORECASE)


def redact_url(url: str) -> str:
    """`url` with its password and every credential-like query parameter replaced by `***`
    (user, host and database stay, to tell stores apart). Works on any text holding a URL."""
    masked = _USERINFO.sub(rf"\g<head>{MASK}@", url)
    return _QUERY.sub(rf"\g<head>{MASK}", masked)


def url_secrets(url: str) -> list[str]:
    """The secret values `url` carries, as written and percent-decoded, longest first."""
    found: set[str] = set()
    for match in (*_USERINFO.finditer(url), *_QUERY.finditer(url)):
        found.add(match.group("secret"))
    try:
        query = urlsplit(url).query
    except ValueError:
        query = ""
    found.update(v for k, v in parse_qsl(query, keep_blank_values=True) if _SENSITIVE.fullmatch(k))
    found |= {unquote(value) for value in found}
    return sorted((s for s in found if s and s != MASK), key=len, reverse=True)


def scrub(text: str, url: str | None) -> str:
    """`text` (an error message, say) with `url` and each of its secrets masked."""
    if not url:
        return redact_url(text)
    text = text.replace(url, redact_url(url))
    for secret in url_secrets(url):
        text = text.replace(secret, MASK)
    return redact_url(text)
