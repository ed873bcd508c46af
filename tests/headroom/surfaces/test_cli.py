import json
import subprocess
import sys
from pathlib import Path

import pytest

from headroom.surfaces.cli import main
from tests.conftest import corpus_files


def test_compress_json_output_and_retrieve_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    source = corpus_files("log")[0].path
    assert main(["compress", str(source), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) >= {"text", "kind", "tokens_before", "tokens_after", "refs"}
    assert payload["kind"] == "log"
    assert payload["tokens_after"] < payload["tokens_before"]
    assert main(["retrieve", payload["refs"][0]]) == 0
    assert capsys.readouterr().out == source.read_bytes().decode()


def test_compress_text_output_prints_stats_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    source = corpus_files("prose")[0].path
    assert main(["compress", str(source)]) == 0
    captured = capsys.readouterr()
    assert "headroom_retrieve ref=" in captured.out
    assert captured.err.startswith("text: ") and "saved" in captured.err


def test_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["compress", str(tmp_path / "nope.txt")]) == 1
    assert "Cannot read" in capsys.readouterr().err


def test_unknown_ref_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retrieve", "0123456789abcdef"]) == 3
    assert "no original" in capsys.readouterr().err


def test_stats_counts_compressions(capsys: pytest.CaptureFixture[str]) -> None:
    main(["compress", str(corpus_files("log")[0].path), "--json"])
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["compressions"] == 1 and stats["entries"] == 1 and stats["tokens_saved"] > 0


def test_stdin_and_console_script(tmp_path: Path) -> None:
    env_home = {"HEADROOM_HOME": str(tmp_path / "h"), "PATH": str(Path(sys.executable).parent)}
    text = "\n".join(f"12:00:{i % 60:02d} INFO request {i} ok" for i in range(2000))
    run = subprocess.run(
        [str(Path(sys.executable).parent / "headroom"), "compress", "-", "--json"],
        input=text.encode(),
        capture_output=True,
        env=env_home,
        check=True,
    )
    payload = json.loads(run.stdout)
    assert payload["kind"] == "log" and payload["tokens_after"] < payload["tokens_before"]
    # Activity is written in the background; a process that exits writes it first.
    stats = subprocess.run(
        [str(Path(sys.executable).parent / "headroom"), "stats", "--json"],
        capture_output=True,
        env=env_home,
        check=True,
    )
    assert json.loads(stats.stdout)["compressions"] == 1


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_compress_a_directory_prints_a_summary_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = corpus_files("json")[0].path.parent
    assert main(["compress", str(source), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["file", "kind", "before", "after", "saved"]
    assert "\033[" not in out  # no colour when stdout is not a terminal
    assert out.splitlines()[-1].startswith("total")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in source.iterdir()
    )


def test_compress_a_glob_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    pattern = str(corpus_files("search")[0].path.parent / "*.txt")
    assert main(["compress", pattern, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    files = list(corpus_files("search")[0].path.parent.glob("*.txt"))
    assert len(payload["files"]) == len(files) and all(
        f["kind"] == "search" for f in payload["files"]
    )
    assert payload["tokens_after"] < payload["tokens_before"]


def test_glob_without_matches_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["compress", str(tmp_path / "*.nothing")]) == 1
    assert "No files match" in capsys.readouterr().err


def test_doctor_reports_each_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json", "--port", "9"]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert set(checks) == {"store", "tokenizer", "grammars", "prose model", "proxy"}
    assert (
        checks["store"]["status"]
        == checks["tokenizer"]["status"]
        == checks["grammars"]["status"]
        == "ok"
    )
    assert checks["proxy"]["status"] == "warn" and "headroom proxy" in checks["proxy"]["fix"]


def test_doctor_fails_on_a_bad_model_path(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HEADROOM_KOMPRESS_MODEL_PATH", str(tmp_path / "missing"))
    assert main(["doctor", "--port", "9"]) == 1
    out = capsys.readouterr().out
    assert "fail  prose model" in out and "fix:" in out


def test_retrieve_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retrieve", "0123456789abcdef", "--json"]) == 3
    assert json.loads(capsys.readouterr().out) == {
        "ref": "0123456789abcdef",
        "found": False,
        "text": None,
    }
