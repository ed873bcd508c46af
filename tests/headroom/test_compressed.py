"""The records (`Compressed`, `CompressResult`) serialise one way, and every surface
emits that form: the CLI, the bridge's OpenAPI contract and the JS types (the MCP tools,
the bridge's answers and the LiteLLM metadata are checked in their own tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from headroom import DEFAULT_MODEL, Headroom
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME
from headroom.compressed import (
    Compressed,
    CompressedDict,
    CompressorStatsDict,
    CompressResult,
    CompressResultDict,
    CompressStatsDict,
)
from headroom.surfaces.cli import main
from tests.conftest import REPO_ROOT
from tests.conversations import SYNC_LOG as LOG
from tests.conversations import openai_body

OPENAPI = REPO_ROOT / "packages/headroom/src/headroom/server/openapi.json"
JS_TYPES = REPO_ROOT / "integrations/js/src/types.ts"


def keys(schema: type) -> set[str]:
    return set(schema.__annotations__)


def test_a_payload_record_round_trips_with_every_field() -> None:
    record = Compressed(
        text="kept\n[headroom: 2 lines]",
        ref="0123456789abcdef",
        kept=3,
        total=5,
        unit="lines",
        kind="log",
        language="python",
        compressor="logs",
        tokens_before=40,
        tokens_after=9,
        changed=True,
        final=False,
    )
    data = json.loads(json.dumps(record.to_dict()))
    assert set(data) == keys(CompressedDict)
    assert Compressed.from_dict(data) == record
    assert (data["refs"], data["tokens_saved"], data["ratio"]) == (["0123456789abcdef"], 31, 9 / 40)


def test_a_request_record_round_trips(engine: Headroom) -> None:
    result = engine.compress(openai_body()["messages"])
    assert result.refs and result.compressors  # something was compressed
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == keys(CompressResultDict)
    assert set(data["stats"]) == keys(CompressStatsDict)
    for stats in data["stats"]["compressors"].values():
        assert set(stats) == keys(CompressorStatsDict)
    assert CompressResult.from_dict(data) == result
    assert data["stats"]["tokens_saved"] == result.tokens_saved > 0


def test_the_cli_prints_the_payload_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "job.log"
    source.write_text(LOG)
    assert main(["compress", str(source), "--json"]) == 0
    single = json.loads(capsys.readouterr().out)
    assert set(single) == keys(CompressedDict) and single["refs"]
    assert Compressed.from_dict(single).to_dict() == single
    assert main(["compress", str(tmp_path / "*.log"), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["files"]
    assert set(row) == keys(CompressedDict) | {"file"}


def test_the_openapi_contract_is_the_records() -> None:
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    for schema in (CompressResultDict, CompressStatsDict, CompressorStatsDict):
        assert set(schemas[schema.__name__]["properties"]) == keys(schema), schema.__name__


def _interfaces(source: str) -> dict[str, set[str]]:
    found = re.findall(r"export interface (\w+)(?: extends \w+)? \{(.*?)\n\}", source, re.S)
    return {name: set(re.findall(r"^\s+(\w+)\??:", body, re.M)) for name, body in found}


def test_the_js_types_mirror_the_records() -> None:
    source = JS_TYPES.read_text()
    interfaces = _interfaces(source)
    assert interfaces["CompressResponse"] == keys(CompressResultDict)
    assert interfaces["CompressStats"] == keys(CompressStatsDict)
    assert interfaces["CompressorStats"] == keys(CompressorStatsDict)
    assert f'DEFAULT_MODEL = "{DEFAULT_MODEL}"' in source
    assert f'RETRIEVE_TOOL_NAME = "{RETRIEVE_TOOL_NAME}"' in source


def test_one_default_model_and_one_retrieve_tool_name() -> None:
    """Neither literal is written anywhere but where its constant is defined."""
    roots = [REPO_ROOT / "packages/headroom/src", *(REPO_ROOT / "integrations").glob("*/src")]
    model, tool = re.compile(r"""["']gpt-4o["']"""), re.compile(r"""["']headroom_retrieve["']""")
    for root in roots:
        for path in [*root.rglob("*.py"), *root.rglob("*.ts")]:
            text = path.read_text()
            where = path.relative_to(REPO_ROOT).as_posix()
            if not where.endswith(("headroom/tokens.py", "js/src/types.ts")):
                assert not model.search(text), where
            if not where.endswith(("ccr/retrieval.py", "js/src/types.ts")):
                assert not tool.search(text), where
