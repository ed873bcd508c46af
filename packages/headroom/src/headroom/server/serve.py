"""Running the app under uvicorn, with the read timeouts uvicorn lacks.

uvicorn closes idle keep-alive connections, but a client that connects and sends nothing,
or trickles its headers or body, holds a connection open for ever (slowloris). The guarded
protocol gives each request `header_timeout_s` to send its headers and `body_timeout_s`
to send its body; past either, it answers 408 (when no response has started) and closes
the connection. `max_connections` caps concurrent connections (503 past it).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from headroom.server.app import ServerSettings

__all__ = ["guarded_protocol", "run_server", "server_config"]


def _timeout_response(phase: str) -> bytes:
    body = json.dumps(
        {"error": {"type": "request_timeout", "message": f"The request {phase} took too long."}}
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class _GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (a C parser: a 60 KB body costs a fraction of what
    the pure-Python h11 costs) with a deadline on each phase of a request."""

    header_timeout_s = 10.0
    body_timeout_s = 60.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._guard: asyncio.TimerHandle | None = None
        self._guarded_phase: str | None = None
        super().connection_made(transport)
        self._arm("headers")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._guarded_phase is None:  # a pipelined request: its own header deadline
            self._arm("headers")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm("body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_guard()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm("headers")  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_guard()
        super().connection_lost(exc)

    def _arm(self, phase: str) -> None:
        """Start the timer of the phase the client is in: sending headers, or a body."""
        self._cancel_guard()
        timeout = self.header_timeout_s if phase == "headers" else self.body_timeout_s
        self._guarded_phase = phase
        self._guard = self.loop.call_later(timeout, self._expire, phase)

    def _cancel_guard(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
        self._guard, self._guarded_phase = None, None

    def _expire(self, phase: str) -> None:
        self._guard, self._guarded_phase = None, None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if phase == "headers":
            if cycle is not None and not cycle.response_complete:
                return  # a pipelined request waits while the previous response is written
            self.transport.write(_timeout_response(phase))
        elif cycle is None or not cycle.response_started:
            self.transport.write(_timeout_response(phase))
        self.transport.close()


def guarded_protocol(header_timeout_s: float, body_timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with these header and body read timeouts."""
    return type(
        "GuardedProtocol",
        (_GuardedProtocol,),
        {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s},
    )


def server_config(app: Any, settings: ServerSettings) -> uvicorn.Config:
    """The uvicorn configuration of `headroom proxy` (and of the tests' servers)."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=guarded_protocol(settings.header_timeout_s, settings.body_timeout_s),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
        log_level="warning",
    )


def run_server(app: Any, settings: ServerSettings) -> None:
    uvicorn.Server(server_config(app, settings)).run()
