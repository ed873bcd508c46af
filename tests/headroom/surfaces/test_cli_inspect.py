"""`headroom inspect`: the recent payloads of the store, and one side by side."""

import json
import re

import pytest

from headroom.ccr.markers import ANY_MARKER_RE
from headroom.surfaces.cli import main
from headroom.surfaces.cli_inspect import side_by_side
from headroom.surfaces.cli_tools import Style
from tests.conftest import corpus_files


class _Tty:
    def isatty(self) -> bool:
        return True


def _compress_log(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    source = corpus_files("log")[0].path
    assert main(["compress", str(source), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    return payload["refs"][0], payload["text"]


def test_lists_recent_payloads_then_shows_one(capsys: pytest.CaptureFixture[str]) -> None:
    ref, compressed = _compress_log(capsys)
    assert main(["inspect", "--json"]) == 0
    recent = json.loads(capsys.readouterr().out)
    assert [r["ref"] for r in recent] == [ref] and recent[0]["tokens_after"] < recent[0][
        "tokens_before"
    ]
    assert main(["inspect", ref, "--width", "400"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("original") and "what the model saw" in rows[0]
    right = [row.split(" | ", 1)[1] for row in rows[2:] if " | " in row]
    # Every marker the model saw is on the right, in the order it saw them.
    shown = [m.group(0) for line in right for m in ANY_MARKER_RE.finditer(line)]
    assert shown == [m.group(0) for m in ANY_MARKER_RE.finditer(compressed)] and shown


def test_kept_lines_face_their_original_and_markers_face_the_gap() -> None:
    original = "\n".join(f"line {i}" for i in range(10))
    compressed = "line 0\nline 1\n[headroom: 7 lines]\nline 9"
    rows = side_by_side(original, compressed, width=43, style=Style(_Tty()))  # type: ignore[arg-type]
    body = [re.sub(r"\033\[[0-9;]*m", "", row) for row in rows[2:]]
    pairs = [tuple(part.strip() for part in row.split(" | ")) for row in body]
    assert pairs[0] == ("line 0", "line 0") and pairs[1] == ("line 1", "line 1")
    assert pairs[2] == ("line 2", "[headroom: 7 lines]")
    assert [p[1] for p in pairs[3:9]] == [""] * 6 and pairs[9] == ("line 9", "line 9")
    # The elided lines are dimmed, the marker highlighted; kept lines are plain.
    assert rows[2 + 2].startswith("\033[2m") and "\033[7;33m[headroom: 7 lines]" in rows[2 + 2]
    assert not rows[2].startswith("\033[")


def test_unknown_ref_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "0123456789abcdef"]) == 3
    assert "no payload" in capsys.readouterr().err


def test_nothing_recorded_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect"]) == 0
    assert "No compressed payloads" in capsys.readouterr().out
