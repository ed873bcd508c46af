"""The MCP server: `headroom mcp serve` (stdio) and `headroom mcp install`.

Tools: `headroom_compress` (a text, or a list of chat messages), `headroom_retrieve`
(an original, or its lines matching a query) and `headroom_stats`.
"""

from __future__ import annotations

import inspect
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from headroom._version import install_hint
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME
from headroom.engine.pipeline import Headroom
from headroom.errors import ConfigError, InputError
from headroom.tokens import DEFAULT_MODEL

__all__ = ["CLIENT_CONFIGS", "build_server", "install", "server_entry"]

CLIENT_CONFIGS = ("claude-desktop", "claude-code", "cursor")


def build_server(engine: Headroom) -> Any:
    """An MCPServer exposing the engine's compress, retrieve and stats."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError as exc:
        raise ImportError(f"The MCP server needs its extra: {install_hint('mcp')}") from exc

    class Server(MCPServer):
        """Refuses arguments a tool does not take, naming them: the SDK would drop them
        silently, and the model would never learn that its call was misspelt."""

        arguments: dict[str, set[str]] = {}  # each tool's argument names, from its signature

        async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
            known = self.arguments.get(name)
            unknown = sorted(set(arguments) - known) if known is not None else []
            if unknown:
                raise ToolError(
                    f"{name} takes no argument {', '.join(map(repr, unknown))}; "
                    f"its arguments are {', '.join(map(repr, sorted(known or ())))}."
                )
            return await super().call_tool(name, arguments, context)

    server = Server(
        name="headroom",
        instructions=(
            "Compress large tool outputs, logs, JSON, diffs and code before reading them, and fetch "
            f"omitted content back with {RETRIEVE_TOOL_NAME}(ref, query)."
        ),
    )

    @server.tool(
        name="headroom_compress",
        description=(
            "Compress a text (or a list of chat messages) and return the compressed form with token "
            "counts and the refs of the stored originals."
        ),
    )
    def headroom_compress(
        text: str | None = None,
        messages: list[dict[str, Any]] | None = None,
        query: str = "",
        model: str = DEFAULT_MODEL,
    ) -> dict[str, Any]:
        # A ToolError's message reaches the model as the tool result (is_error), so a wrong
        # call says which argument to fix; any other exception would reach it as a bare
        # "Error executing tool".
        if (text is None) == (messages is None):
            given = "both" if text is not None else "neither"
            raise ToolError(
                f"headroom_compress takes exactly one of 'text' (a string) or 'messages' "
                f"(a list of chat messages); it got {given}."
            )
        try:
            if messages is not None:
                return dict(engine.compress(messages, model=model, query=query or None).to_dict())
            assert text is not None
            return dict(engine.compress_text(text, model=model, query=query).to_dict())
        except InputError as exc:
            raise ToolError(f"headroom_compress: argument 'messages': {exc}") from exc

    @server.tool(
        name=RETRIEVE_TOOL_NAME,
        description=(
            "Fetch content Headroom left out, by the ref in a [headroom: ...] marker; with a query, only "
            "the matching lines."
        ),
    )
    def headroom_retrieve(ref: str, query: str | None = None) -> str:
        return engine.answer_retrieval(ref, query)

    @server.tool(
        name="headroom_stats", description="What the store holds and what compression has saved."
    )
    def headroom_stats() -> dict[str, int]:
        return engine.stats().as_dict()

    server.arguments = {
        tool.__name__: set(inspect.signature(tool).parameters)
        for tool in (headroom_compress, headroom_retrieve, headroom_stats)
    }
    return server


def server_entry() -> dict[str, Any]:
    """The MCP client config entry that starts this server with this Python."""
    return {"command": sys.executable, "args": ["-m", "headroom", "mcp", "serve"]}


def default_config_path(client: str) -> Path:
    home = Path.home()
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    if client == "claude-code":
        return home / ".claude.json"
    if platform.system() == "Darwin":
        return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if platform.system() == "Windows":
        return Path(os.environ.get("APPDATA", home)) / "Claude" / "claude_desktop_config.json"
    return home / ".config" / "Claude" / "claude_desktop_config.json"


def install(config_path: Path, name: str = "headroom") -> bool:
    """Add (or update) the server entry in an MCP client config; False when it was already there."""
    data: dict[str, Any] = {}
    if config_path.exists():
        try:
            data = json.loads(config_path.read_text() or "{}")
        except ValueError as exc:
            raise ConfigError(
                f"{config_path} is not valid JSON ({exc}); fix it or pass another --config."
            ) from exc
        if not isinstance(data, dict):
            raise ConfigError(
                f"{config_path} does not hold a JSON object; fix it or pass another --config."
            )
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"'mcpServers' in {config_path} is not an object.")
    entry = server_entry()
    if servers.get(name) == entry:
        return False
    servers[name] = entry
    config_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = config_path.with_suffix(config_path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    temporary.replace(config_path)
    return True
