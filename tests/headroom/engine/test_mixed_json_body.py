"""A JSON document after a few lines of something else: the document is a JSON part."""

import json

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.engine.mixed import split_json_body
from headroom.engine.router import detect

HEADERS = [
    "HTTP/1.1 200 OK",
    "Content-Type: application/json",
    "X-Request-Id: 7f3a9c2e-11b4-4c1e-9d2a-0b6e5f4c3d21",
    "",
]
ITEMS = {
    "items": [
        {"id": i, "name": f"item-{i}", "price": round(i * 7.31 % 97, 2), "tags": ["a", "b"]}
        for i in range(120)
    ]
}
BODY = json.dumps(ITEMS, indent=2).split("\n")


def engine(tmp_path, **settings: float) -> Headroom:
    return Headroom(HeadroomConfig(**settings), store=SqlStore(f"sqlite:///{tmp_path / 's.db'}"))


def the_document(out: str, before: int, after: int = 0) -> object:
    lines = out.split("\n")
    return json.loads("\n".join(lines[before : len(lines) - after]))


def test_a_response_with_headers_keeps_them_and_its_body_goes_to_the_json_compressor(
    tmp_path,
) -> None:
    text = "\n".join([*HEADERS, *BODY])
    result = engine(tmp_path).compress_text(text)
    assert result.changed and result.kind == "mixed"
    assert result.text.split("\n")[: len(HEADERS)] == HEADERS
    table = the_document(result.text, len(HEADERS))["items"]  # the JSON table form, lossless
    assert table["records"] == 120 and table["same_in_all"] == {"tags": ["a", "b"]}
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
    assert rows == [{k: v for k, v in item.items() if k != "tags"} for item in ITEMS["items"]]
    assert result.tokens_after < result.tokens_before // 2


def test_a_warning_line_right_before_the_document_and_a_footer_after_it(tmp_path) -> None:
    warning = "Warning: v1 ComponentStatus is deprecated in v1.19+"
    text = "\n".join([warning, *BODY, "command exited with status 0"])
    parts = split_json_body(text, detect)
    assert [(p.start, p.end) for p in parts] == [
        (0, 1),
        (1, 1 + len(BODY)),
        (1 + len(BODY), len(BODY) + 2),
    ]
    assert parts[1].detection.kind == "json"
    small = engine(tmp_path, budget_scale=0.15, budget_exponent=1.0, min_budget_tokens=50)
    result = small.compress_text(text)
    lines = result.text.split("\n")
    assert lines[0] == warning and lines[-1] == "command exited with status 0"
    document = the_document(result.text, 1, 1)  # cut to its budget, and still JSON
    assert isinstance(document, dict)
    assert result.tokens_after < result.tokens_before * 0.4
    assert small.retrieve(result.ref) == text


def test_no_document_or_a_long_preamble_is_no_json_body() -> None:
    log = [f"[2026-01-0{i % 9 + 1} 10:00:00] INFO worker {i} done" for i in range(80)]
    assert split_json_body("\n".join([*HEADERS, *log, "]"]), detect) == []  # no document in it
    long_preamble = [f"step {i}: fetched page {i}" for i in range(70)]
    assert split_json_body("\n".join([*long_preamble, *BODY]), detect) == []
    assert split_json_body("\n".join(BODY), detect) == []  # the document alone is JSON itself
    broken = [*HEADERS, *BODY[:-1]]  # its closing brace lost: not one document
    assert split_json_body("\n".join(broken), detect) == []
