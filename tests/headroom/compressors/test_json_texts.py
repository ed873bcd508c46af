"""A JSON document that is mostly texts (a command's output in `{"output": ...}`): each text
is compressed as what it is, and the document still parses."""

import json

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.markers import ANY_MARKER_RE


def log(lines: int, error_at: int) -> str:
    rows = [
        f"2026-11-26 09:{i // 60 % 60:02d}:{i % 60:02d} INFO worker-{i % 4} processed batch {i} "
        f"in {i % 97} ms"
        for i in range(lines)
    ]
    rows[error_at] = "2026-11-26 09:40:00 ERROR worker-2 batch 1500 failed: disk quota exceeded"
    return "\n".join(rows)


def engine(tmp_path) -> Headroom:
    return Headroom(
        HeadroomConfig(stable_history=False), store=SqlStore(f"sqlite:///{tmp_path / 's.db'}")
    )


def test_a_command_output_in_a_json_envelope_is_compressed_as_a_log(tmp_path) -> None:
    output = log(3000, error_at=1500)
    envelope = {"output": output, "metadata": {"exit_code": 1, "duration_seconds": 12.5}}
    text = json.dumps(envelope)
    result = engine(tmp_path).compress_text(text)
    assert result.changed and result.tokens_after < result.tokens_before // 4
    document = json.loads(result.text)  # still one JSON document
    assert document["metadata"] == envelope["metadata"]
    kept = document["output"].split("\n")
    assert "2026-11-26 09:40:00 ERROR worker-2 batch 1500 failed: disk quota exceeded" in kept
    originals = set(output.split("\n"))
    for line in kept:  # lines of the output, or its own gap markers
        assert line in originals or ANY_MARKER_RE.search(line), line
    assert engine(tmp_path).retrieve(result.ref) == text


def test_a_long_string_among_many_values_is_cut_as_before(tmp_path) -> None:
    records = [{"id": i, "name": f"item-{i}", "tags": ["a", "b", f"t{i % 7}"]} for i in range(900)]
    document = {"items": records, "notes": log(40, error_at=20)}  # the text: a small share
    result = engine(tmp_path).compress_text(json.dumps(document, indent=1))
    out = json.loads(result.text)
    assert "chars cut" in json.dumps(out["notes"])  # one value among many: its head is kept
