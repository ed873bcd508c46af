"""`headroom proxy` and `headroom wrap`: run the server, or run a command through it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from headroom._version import install_hint
from headroom.config import DEFAULT_PORT

__all__ = ["add_server_commands"]


def add_server_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy = commands.add_parser("proxy", help="run the HTTP server (bridge API + provider proxy)")
    proxy.add_argument(
        "--host", default=None, help="address to bind (default: HEADROOM_HOST, else loopback only)"
    )
    proxy.add_argument(
        "--port", type=int, default=None, help=f"default: HEADROOM_PORT, else {DEFAULT_PORT}"
    )
    proxy.add_argument("--token", default=None, help="API token required in x-headroom-token")
    proxy.add_argument("--openai-base-url", default=None)
    proxy.add_argument("--anthropic-base-url", default=None)
    proxy.set_defaults(handler=_proxy, needs_engine=False)

    wrap = commands.add_parser(
        "wrap", help="run a command with its LLM traffic going through headroom"
    )
    wrap.add_argument("--port", type=int, default=DEFAULT_PORT)
    wrap.add_argument(
        "argv",
        nargs=argparse.REMAINDER,
        help="the command, e.g. headroom wrap -- claude (or -- codex, in API-key mode)",
    )
    wrap.set_defaults(handler=_wrap, needs_engine=False)


def _proxy(_: object, args: argparse.Namespace) -> int:
    try:
        from headroom.server.app import ServerSettings, create_app
        from headroom.server.serve import run_server
    except ImportError as exc:
        print(
            f"headroom: the server needs its extra: {install_hint('server')} ({exc})",
            file=sys.stderr,
        )
        return 1
    settings = ServerSettings.from_env(
        host=args.host,
        port=args.port,
        api_token=args.token,
        openai_base_url=args.openai_base_url,
        anthropic_base_url=args.anthropic_base_url,
    )
    app = create_app(settings)
    run_server(app, settings)
    return 0


def healthy(port: int, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wrapped_proxy_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the proxy `wrap` starts. Coding agents (Claude Code) mark their
    newest tool result with `cache_control`; this proxy compresses such results the first
    time it sees them and sends them byte-identically afterwards, so caches still hit.
    A value the user set explicitly wins."""
    env = dict(environ)
    env.setdefault("HEADROOM_RESPECT_CACHE_BREAKPOINTS", "false")
    return env


def _wrap(_: object, args: argparse.Namespace) -> int:
    argv = [a for a in args.argv if a != "--"] if args.argv[:1] == ["--"] else list(args.argv)
    if not argv:
        print("headroom: wrap needs a command, e.g. headroom wrap -- claude", file=sys.stderr)
        return 2
    started = None
    if not healthy(args.port):
        started = subprocess.Popen(
            [sys.executable, "-m", "headroom", "proxy", "--port", str(args.port)],
            env=wrapped_proxy_env(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while not healthy(args.port):
            if started.poll() is not None or time.monotonic() > deadline:
                error = started.stderr.read().decode(errors="replace") if started.stderr else ""
                started.kill()
                print(
                    f"headroom: the proxy did not start on port {args.port}. {error.strip()}",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.1)
    env = dict(
        os.environ,
        ANTHROPIC_BASE_URL=f"http://127.0.0.1:{args.port}",
        OPENAI_BASE_URL=f"http://127.0.0.1:{args.port}/v1",
    )
    try:
        return subprocess.call(argv, env=env)
    finally:
        if started is not None:
            started.terminate()
            started.wait(timeout=10)


def add_mcp_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mcp = commands.add_parser("mcp", help="the MCP server (stdio) and its client config")
    sub = mcp.add_subparsers(dest="mcp_command", required=True)
    serve = sub.add_parser("serve", help="run the MCP server over stdio")
    serve.set_defaults(handler=_mcp_serve)
    install = sub.add_parser("install", help="add the server to an MCP client's config file")
    install.add_argument(
        "--client", choices=["claude-desktop", "claude-code", "cursor"], default="claude-desktop"
    )
    install.add_argument(
        "--config", default=None, help="config file path (default: the client's usual one)"
    )
    install.set_defaults(handler=_mcp_install, needs_engine=False)


def _mcp_serve(engine: object, _: argparse.Namespace) -> int:
    from headroom.surfaces.mcp import build_server

    build_server(engine).run("stdio")  # type: ignore[arg-type]
    return 0


def _mcp_install(_: object, args: argparse.Namespace) -> int:
    from pathlib import Path

    from headroom.surfaces.mcp import default_config_path, install

    path = Path(args.config) if args.config else default_config_path(args.client)
    changed = install(path)
    print(f"headroom: {'added to' if changed else 'already in'} {path}")
    return 0
