"""The HTTP server: bridge API for the JS client and a drop-in OpenAI / Anthropic proxy."""

from __future__ import annotations

from headroom.server.app import ServerSettings, create_app

__all__ = ["ServerSettings", "create_app"]
