"""Published input prices with prompt caching, for `make bench-session`'s bill.

Prices in USD per million input tokens, as the providers' pricing pages list them on
2026-06-15 (re-check before quoting a bill; only ratios are compared in the report):
- Anthropic: https://platform.claude.com/docs/en/about-claude/pricing. A 5-minute cache
  write costs 1.25x the base input price and a cache hit 0.1x; a prefix is cached from
  1,024 tokens (Sonnet / Opus), at the cache breakpoints a request sets.
- OpenAI: https://developers.openai.com/api/docs/pricing and the prompt-caching guide
  (https://platform.openai.com/docs/guides/prompt-caching): a prompt of 1,024 tokens or
  more is cached automatically, in 128-token steps of its longest prefix seen before,
  billed at the "cached input" price; there is no write surcharge.
Output tokens are left out: the three replays answer alike, so they cost alike.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRICES", "PRICES_DATE", "Price", "bill"]

PRICES_DATE = "2026-06-15"


@dataclass(frozen=True)
class Price:
    """One model's input prices (USD per million tokens) and its caching rule."""

    provider: str  # "anthropic" | "openai"
    model: str
    base: float
    cache_read: float
    cache_write: float  # Anthropic's 5-minute write; OpenAI bills none (= base)
    min_cached: int = 1024
    step: int = 1  # OpenAI caches in 128-token steps


PRICES: dict[str, Price] = {
    "claude-sonnet-5": Price("anthropic", "claude-sonnet-5", 2.00, 0.20, 2.50),
    "claude-opus-4-8": Price("anthropic", "claude-opus-4-8", 5.00, 0.50, 6.25),
    "gpt-5.4": Price("openai", "gpt-5.4", 2.50, 0.25, 2.50, step=128),
    "gpt-5.5": Price("openai", "gpt-5.5", 5.00, 0.50, 5.00, step=128),
}


def bill(price: Price, tokens: int, cached: int) -> float:
    """USD for one request of `tokens` input tokens whose first `cached` tokens were
    cached by an earlier request (Anthropic: the rest is written to the cache, as with
    a breakpoint on the last message, as agent SDKs set)."""
    hit = (cached // price.step) * price.step if cached >= price.min_cached else 0
    hit = min(hit, tokens)
    rest = tokens - hit
    rate = price.cache_write if price.provider == "anthropic" else price.base
    return (hit * price.cache_read + rest * rate) / 1_000_000
