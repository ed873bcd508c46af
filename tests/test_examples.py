"""The offline examples run and print what they promise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("langchain_chain.py", "The disk is full."),
        ("llamaindex_query.py", "the LLM read"),
        ("litellm_sdk.py", "The disk is full."),
    ],
)
def test_example_runs(script: str, expected: str, tmp_path: Path) -> None:
    env = {**os.environ, "HEADROOM_HOME": str(tmp_path), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert expected in run.stdout
