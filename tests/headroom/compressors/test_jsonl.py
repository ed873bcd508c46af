"""JSON Lines: the JSON table form first, then rows by budget, error rows and named rows kept."""

import json

from headroom.ccr.markers import make_ref
from headroom.compressors.base import CompressContext
from headroom.compressors.jsonl import JsonLinesCompressor
from headroom.engine.query import focus_of
from headroom.engine.router import detect
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")
JSONL = JsonLinesCompressor()


def ctx_for(text: str, budget: int, query: str = "") -> CompressContext:
    return CompressContext(
        ref=make_ref(text), query=query, budget_tokens=budget, counter=COUNTER,
        focus=focus_of(query, text),
    )  # fmt: skip


def logs(count: int) -> str:
    rows = []
    for i in range(count):
        level = "ERROR" if i == 123 else "INFO"
        rows.append(
            {"ts": f"2024-05-01 10:{i // 60:02}:{i % 60:02}", "levelname": level,
             "service": "api", "message": f"GET /items/{i * 37} served in {i % 17} ms"}
        )  # fmt: skip
    return "\n".join(json.dumps(r) for r in rows) + "\n"


def go_test(count: int) -> str:
    rows = []
    for i in range(count):
        name = f"TestParse/case_{i}"
        rows.append({"Action": "run", "Package": "enc/csv", "Test": name})
        rows.append(
            {
                "Action": "output",
                "Package": "enc/csv",
                "Test": name,
                "Output": f"=== RUN   {name}\n",
            }
        )
        rows.append(
            {
                "Action": "output",
                "Package": "enc/csv",
                "Test": name,
                "Output": f"--- PASS: {name} (0.00s)\n",
            }
        )
        rows.append({"Action": "pass", "Package": "enc/csv", "Test": name, "Elapsed": 0})
    return "\n".join(json.dumps(r) for r in rows) + "\n"


def test_detected_as_json_lines_over_json() -> None:
    found = detect(logs(20))
    assert (found.kind, found.confidence) == ("jsonl", 1.0)
    assert detect(json.dumps([{"a": 1}] * 20, indent=1)).kind == "json"


def test_a_command_line_before_the_records_leaves_them_json_lines() -> None:
    echoed = "$ kubectl logs deploy/api --tail 40\n" + logs(40)
    assert detect(echoed).kind == "jsonl"
    out = JSONL.compress(echoed, ctx_for(echoed, 10_000))
    assert out is not None
    table = json.loads(out.text)
    assert table["records"] == 40 and table["other_lines"] == [
        "$ kubectl logs deploy/api --tail 40"
    ]
    prose = "\n".join(["The service wrote:", "", "then stopped.", *logs(3).split("\n")])
    assert detect(prose).kind != "jsonl"  # records are not most of its lines


def test_lossless_table_states_constants_once_and_parses() -> None:
    text = logs(30)
    out = JSONL.compress(text, ctx_for(text, 10_000))
    assert out is not None and out.ref is None
    table = json.loads(out.text)
    assert table["same_in_all"] == {"levelname": "INFO", "service": "api"}
    assert table["records"] == 30 and len(table["rows"]) == 30
    assert "GET /items/370 served in 10 ms" in out.text


def test_over_budget_keeps_error_and_named_rows_with_exact_counts() -> None:
    text = logs(400)
    out = JSONL.compress(text, ctx_for(text, 1500, 'what happened at "/items/7400 "?'))
    assert out is not None and out.ref == make_ref(text)
    table = json.loads(out.text)
    kept = [row[0] for row in table["rows"]]
    assert 123 in kept and 200 in kept and 0 in kept and 399 in kept
    assert f"kept {len(kept)} of 400 rows" in table["omitted"]
    assert out.kept == len(kept) < 400


def test_echo_rows_go_before_the_output_they_repeat() -> None:
    text = go_test(120)
    out = JSONL.compress(text, ctx_for(text, 3000))
    assert out is not None
    assert out.text.count("--- PASS: ") > out.text.count('"pass"')


def test_deterministic_and_odd_lines_pass_through() -> None:
    text = logs(200) + "not json at all\n"
    a, b = (JSONL.compress(text, ctx_for(text, 800)) for _ in range(2))
    assert a is not None and b is not None and a.text == b.text
    assert "not json at all" in json.loads(a.text)["other_lines"]
    for odd in ("", "{", '{"a": 1}\n[1]\n', "{}\n{}\n{}\n{}\n"):
        JSONL.compress(odd, ctx_for(odd, 5))


def test_an_error_line_inside_a_text_field_is_an_error_row() -> None:
    rows = []
    for i in range(800):
        line = f"2026-12-03 04:15:{i % 60:02d},137 INFO [werkzeug] 127.0.0.1 GET /items/{i} 200 -\n"
        if i % 100 == 42:
            line = (
                f"2026-12-03 04:15:{i % 60:02d},137 ERROR [flaskapp] Exception on /pay/{i} [POST]\n"
            )
        rows.append(
            {"log": line, "stream": "stderr", "time": f"2026-12-03T04:15:{i % 60:02d}.{i:09d}Z"}
        )
    text = "\n".join(json.dumps(row) for row in rows)
    result = JSONL.compress(text, ctx_for(text, budget=COUNTER.count(text) // 8))
    assert result is not None
    errors = [row["log"] for row in rows if " ERROR " in row["log"]]
    assert len(errors) == 8 and all(json.dumps(e)[1:-1] in result.text for e in errors)
