"""The MCP server driven by a real MCP client over stdio; `headroom mcp install`."""

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path

from headroom.compressed import CompressedDict, CompressResultDict
from headroom.surfaces.cli import main
from headroom.tokens import count_tokens
from tests.conversations import SYNC_LOG as LOG


def _session(home: Path):
    """A real MCP client session with `headroom mcp serve` over stdio (mcp is imported here,
    not at the top, so collection stays quick)."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "headroom", "mcp", "serve"],
        env={**os.environ, "HEADROOM_HOME": str(home)},
    )

    @contextlib.asynccontextmanager
    async def session():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as opened:
            await opened.initialize()
            yield opened

    return session()


def _payload(result) -> dict:
    if getattr(result, "structuredContent", None):
        structured = result.structuredContent
        return structured.get("result", structured) if isinstance(structured, dict) else structured
    return json.loads(result.content[0].text)


def test_tools_over_stdio(tmp_path: Path) -> None:
    async def session_run() -> tuple[list[str], dict, str, str, dict]:
        async with _session(tmp_path / "home") as session:
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            compressed = _payload(
                await session.call_tool("headroom_compress", {"text": LOG, "query": "checksum"})
            )
            ref = compressed["refs"][0]
            whole = (await session.call_tool("headroom_retrieve", {"ref": ref})).content[0].text
            lines = (
                (await session.call_tool("headroom_retrieve", {"ref": ref, "query": "0xDEADBEEF7"}))
                .content[0]
                .text
            )
            stats = _payload(await session.call_tool("headroom_stats", {}))
            return tools, compressed, whole, lines, stats

    tools, compressed, whole, lines, stats = asyncio.run(session_run())
    assert set(compressed) == set(CompressedDict.__annotations__)  # the one record's fields
    assert tools == ["headroom_compress", "headroom_retrieve", "headroom_stats"]
    assert (
        compressed["kind"] == "log" and compressed["tokens_after"] < compressed["tokens_before"] / 4
    )
    assert count_tokens(compressed["text"]) < count_tokens(LOG) / 4
    assert whole == LOG
    assert "checksum 0xDEADBEEF7 recorded" in lines and len(lines) < 500
    assert stats["compressions"] == 1 and stats["entries"] == 1


def test_wrong_calls_tell_the_model_which_argument_to_fix(tmp_path: Path) -> None:
    calls = [
        ("headroom_compress", {}),  # neither text nor messages
        ("headroom_compress", {"text": "a", "messages": []}),  # both
        ("headroom_compress", {"txt": LOG}),  # a misspelt argument
        ("headroom_compress", {"text": 5}),  # the wrong type
        ("headroom_retrieve", {"query": "x"}),  # the ref missing
        ("headroom_compress", {"messages": [{"role": "tool", "content": LOG}]}),  # fine
    ]

    async def session_run() -> list:
        async with _session(tmp_path / "home") as session:
            return [await session.call_tool(name, args) for name, args in calls]

    results = asyncio.run(session_run())
    texts = [" ".join(c.text for c in r.content) for r in results]
    assert [r.is_error for r in results] == [True] * 5 + [False]
    assert "'text'" in texts[0] and "'messages'" in texts[0] and "neither" in texts[0]
    assert "both" in texts[1]
    assert "'txt'" in texts[2] and "'text'" in texts[2]
    assert "text" in texts[3] and "valid string" in texts[3]
    assert "ref" in texts[4] and "required" in texts[4]
    assert set(_payload(results[5])) == set(CompressResultDict.__annotations__)


def test_install_is_idempotent_and_keeps_other_servers(tmp_path: Path, capsys) -> None:
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(json.dumps({"mcpServers": {"other": {"command": "x"}}, "theme": "dark"}))
    assert main(["mcp", "install", "--config", str(config)]) == 0
    assert "added to" in capsys.readouterr().out
    data = json.loads(config.read_text())
    assert data["theme"] == "dark" and data["mcpServers"]["other"] == {"command": "x"}
    assert data["mcpServers"]["headroom"] == {
        "command": sys.executable,
        "args": ["-m", "headroom", "mcp", "serve"],
    }
    before = config.read_text()
    assert main(["mcp", "install", "--config", str(config)]) == 0
    assert "already in" in capsys.readouterr().out and config.read_text() == before


def test_install_refuses_a_broken_config(tmp_path: Path, capsys) -> None:
    config = tmp_path / "mcp.json"
    config.write_text("{broken")
    assert main(["mcp", "install", "--config", str(config)]) == 1
    assert "not valid JSON" in capsys.readouterr().err and config.read_text() == "{broken"


def test_install_creates_the_default_path(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["mcp", "install", "--client", "cursor"]) == 0
    assert (
        json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]["headroom"][
            "args"
        ][-1]
        == "serve"
    )
