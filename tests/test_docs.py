"""Every block of README.md and docs/*.md marked `<!-- runnable ... -->` runs as written,
from the repository root, so the docs can't drift from the code."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUNNABLE = re.compile(
    r"<!-- runnable[^>]*-->\n```(?P<language>python|bash)\n(?P<code>.*?)\n```", re.S
)


def runnable_blocks() -> list[tuple[str, str, str]]:
    blocks = []
    for page in PAGES:
        for number, match in enumerate(RUNNABLE.finditer(page.read_text()), start=1):
            blocks.append((f"{page.name}#{number}", match["language"], match["code"]))
    return blocks


BLOCKS = runnable_blocks()


def test_the_docs_mark_runnable_blocks() -> None:
    pages = {name.split("#")[0] for name, _, _ in BLOCKS}
    assert {
        "README.md",
        "cli.md",
        "config.md",
        "cache-aligner.md",
        "ccr.md",
        "integrations.md",
    } <= pages
    # A marker must sit right above a fence, or its block would silently stop being run.
    marked = sum(page.read_text().count("<!-- runnable") for page in PAGES)
    assert marked == len(BLOCKS)


@pytest.mark.parametrize(("name", "language", "code"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_runnable_block(name: str, language: str, code: str, tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    # The user's environment: none of the test suite's HEADROOM_* settings.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEADROOM_")},
        "HEADROOM_HOME": str(tmp_path / "home"),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
    }
    command = (
        [sys.executable, "-c", code]
        if language == "python"
        else ["bash", "-euo", "pipefail", "-c", code]
    )
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{name} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
