import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from headroom import Headroom
from headroom.ccr.markers import find_markers, make_ref
from headroom.compressors._json_table import Table, compact
from headroom.compressors.base import CompressContext
from headroom.compressors.json import JsonCompressor
from headroom.engine.payloads import token_budget
from headroom.tokens import counter_for
from tests.conftest import corpus_files

COUNTER = counter_for("gpt-4o")


def ctx_for(text: str, query: str = "", budget: int | None = None) -> CompressContext:
    tokens = COUNTER.count(text)
    return CompressContext(
        ref=make_ref(text),
        query=query,
        budget_tokens=budget or max(400, tokens // 4),
        counter=COUNTER,
    )


def rebuild_table(table: dict) -> list[dict]:
    """Records back from a lossless table: the test of losslessness."""
    records = []
    for row in table["rows"]:
        flat = dict(table.get("same_in_all", {}))
        for column, cell in zip(table["columns"], row, strict=True):
            prefix = table.get("column_prefixes", {}).get(column, "")
            flat[column] = prefix + cell if prefix else cell
        records.append(flat)
    return records


def flatten(record: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in record.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_lossless_table_when_within_budget() -> None:
    records = [
        {
            "id": i,
            "url": f"https://api.example.com/items/{i}",
            "state": "open",
            "user": {"login": f"u{i % 3}", "type": "User"},
            "tags": ["a", "b"],
        }
        for i in range(40)
    ]
    text = json.dumps(records, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=10_000))
    assert result is not None and result.ref is None
    table = json.loads(result.text)
    assert table["same_in_all"] == {"state": "open", "user.type": "User", "tags": ["a", "b"]}
    assert rebuild_table(table) == [flatten(r) for r in records]
    assert COUNTER.count(result.text) < COUNTER.count(text) / 2


def test_error_record_in_the_middle_of_a_thousand_is_kept() -> None:
    records = [
        {"id": i, "service": "api", "status": "ok", "latency_ms": 20 + i % 5} for i in range(1000)
    ]
    records[517] = {
        "id": 517,
        "service": "api",
        "status": "error",
        "latency_ms": 22,
        "error": "connection reset by peer",
    }
    text = json.dumps(records)
    result = JsonCompressor().compress(text, ctx_for(text, budget=600))
    assert result is not None and result.ref == make_ref(text)
    table = json.loads(result.text)
    kept_ids = [row[0] for row in table["rows"]]
    assert 517 in kept_ids and 0 in kept_ids and 999 in kept_ids
    assert "connection reset by peer" in result.text
    assert find_markers(table["omitted"])[0].ref == make_ref(text)


def test_numeric_outlier_and_query_match_are_kept() -> None:
    records = [{"host": f"web-{i:03d}", "cpu": 40 + i % 7, "region": "eu"} for i in range(500)]
    records[250]["cpu"] = 990
    text = json.dumps(records)
    result = JsonCompressor().compress(text, ctx_for(text, query="what about web-377?", budget=500))
    assert result is not None
    rows = json.loads(result.text)["rows"]
    assert any(row[0] == 250 for row in rows)
    assert any("377" in json.dumps(row) for row in rows)


def test_long_strings_are_cut_with_a_marker() -> None:
    doc = {"name": "blob", "data": "QUJD" * 5000, "items": list(range(5))}
    text = json.dumps(doc)
    result = JsonCompressor().compress(text, ctx_for(text, budget=400))
    assert result is not None
    parsed = json.loads(result.text)
    assert parsed["name"] == "blob" and parsed["items"] == [0, 1, 2, 3, 4]
    assert len(parsed["data"]) < 600 and find_markers(parsed["data"])


def test_json_lines_become_an_array() -> None:
    text = "\n".join(json.dumps({"ts": i, "level": "info", "msg": f"tick {i}"}) for i in range(300))
    result = JsonCompressor().compress(text, ctx_for(text))
    assert result is not None
    assert json.loads(result.text)["records"] == 300


def test_deep_nesting_passes_through() -> None:
    text = "[" * 100_000 + "]" * 100_000
    assert JsonCompressor().compress(text, ctx_for(text)) is None


@pytest.mark.parametrize("corpus_file", corpus_files("json"), ids=lambda f: f.id)
def test_corpus_json_parses_shrinks_and_keeps_needles(engine: Headroom, corpus_file) -> None:
    text = corpus_file.text()
    result = engine.compress_text(text, query="")
    assert result.kind == "json" and result.compressor == "smartcrusher"
    json.loads(result.text)
    if result.tokens_before > token_budget(result.tokens_before, engine.config):
        assert result.tokens_after < result.tokens_before * 0.8  # the structure itself stays
    for marker in find_markers(result.text):
        assert engine.retrieve(marker.ref) == text
    for needle in corpus_file.needles:
        if needle not in result.text:
            assert result.refs, f"{needle!r} dropped without a ref"
            assert needle in (engine.retrieve(result.refs[0], query=needle) or "")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=12) | st.dictionaries(st.text(max_size=8), children, max_size=8)
    ),
    max_leaves=80,
)


@pytest.mark.slow  # 150 random documents
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=json_values,
    budget=st.integers(min_value=1, max_value=400),
    indent=st.sampled_from([None, 2]),
)
@example(value=[[], "", None], budget=6, indent=None)  # compact re-encoding cost a token more
def test_random_json_never_raises_never_grows_is_deterministic(value, budget, indent) -> None:
    text = json.dumps(value, indent=indent)
    first = JsonCompressor().compress(text, ctx_for(text, budget=budget))
    second = JsonCompressor().compress(text, ctx_for(text, budget=budget))
    assert first == second
    if first is not None:
        json.loads(first.text)
        if first.ref is None:
            assert COUNTER.count(first.text) <= COUNTER.count(text) or len(text) < 4


def test_names_of_dropped_records_are_listed() -> None:
    records = [
        {
            "name": f"pkg{i}",
            "version": f"1.{i}.0",
            "summary": f"library {i} that does things, number {i * 7}",
        }
        for i in range(120)
    ]
    text = json.dumps(records, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=1500))
    assert result is not None
    table = json.loads(result.text)
    kept = {row[1] for row in table["rows"]}
    assert len(kept) < 120
    assert sorted(kept | set(table["omitted_names"])) == sorted(r["name"] for r in records)
    assert not kept & set(table["omitted_names"])


def test_without_a_unique_name_the_shortest_unique_column_lists_dropped_records() -> None:
    """Two versions of one package share a name; the package URL is unique and names it."""
    records = [
        {
            "name": f"crate{i // 2}",
            "version": f"1.{i}.0",
            "purl": f"pkg:cargo/crate{i // 2}@1.{i}.0",
            "bom-ref": f"registry+https://github.com/rust-lang/crates.io-index#crate{i // 2}@1.{i}.0",
            "description": f"a library crate number {i} with a description long enough to cost",
        }
        for i in range(120)
    ]
    text = json.dumps({"components": records}, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=3000))
    assert result is not None
    table = json.loads(result.text)["components"]
    kept = {row[table["columns"].index("purl")] for row in table["rows"]}
    assert len(kept) < 120
    assert sorted(kept | set(table["omitted_purl" + "s"])) == sorted(r["purl"] for r in records)


def test_identity_list_is_left_out_when_it_would_cost_too_much() -> None:
    records = [
        {"name": f"a-rather-long-package-name-number-{i:05d}", "summary": "x " * 30}
        for i in range(2000)
    ]
    text = json.dumps(records)
    result = JsonCompressor().compress(text, ctx_for(text, budget=400))
    assert result is not None and "omitted_names" not in json.loads(result.text)


def test_a_json_payload_is_parsed_once_by_its_detector(monkeypatch, engine: Headroom) -> None:
    # The router hands the detector's parsed value to the compressor: parsing the payload
    # a second time fails this test.
    import headroom.compressors.json as json_module

    def parse_again(text: str) -> object:
        raise AssertionError("the JSON payload was parsed a second time")

    monkeypatch.setattr(json_module, "_parse", parse_again)
    records = [{"id": i, "status": "ok", "host": f"node-{i % 7}"} for i in range(400)]
    text = json.dumps(records, indent=2)
    result = engine.compress(
        [
            {"role": "user", "content": "list the hosts"},
            {"role": "assistant", "content": None, "tool_calls": [_CALL]},
            {"role": "tool", "tool_call_id": "c1", "content": text},
        ],
        model="gpt-4o",
    )
    assert result.messages[-1]["content"] != text
    json.loads(result.messages[-1]["content"])


_CALL = {"id": "c1", "type": "function", "function": {"name": "hosts", "arguments": "{}"}}


def test_table_values_stay_whole_so_they_can_be_found_verbatim() -> None:
    records = [
        {"id": i, "url": f"https://docs.example.org/rules/v2/rule-number-{i}", "ok": True}
        for i in range(40)
    ]
    text = json.dumps(records, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=10_000))
    assert result is not None
    for i in range(40):
        assert f"https://docs.example.org/rules/v2/rule-number-{i}" in result.text


def test_an_object_of_records_becomes_a_table_keyed_by_its_keys() -> None:
    packages = {
        f"node_modules/pkg-{i}": {
            "version": f"1.{i}.0",
            "resolved": f"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.{i}.0.tgz",
            "license": "MIT",
            "dev": True,
        }
        for i in range(30)
    }
    text = json.dumps({"name": "app", "packages": packages}, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=10_000))
    assert result is not None and result.ref is None  # lossless
    table = json.loads(result.text)["packages"]
    assert table["columns"][0] == "@key"
    records = rebuild_table(table)
    assert {r.pop("@key"): r for r in records} == packages


def test_an_object_of_sparse_records_stays_an_object_when_a_table_is_longer() -> None:
    # Half the records have two fields, half two others: as a table, each row pads two nulls.
    shapes = {f"S{i}": ({"a": i, "b": 1} if i % 2 else {"c": i, "d": 2}) for i in range(12)}
    text = json.dumps({"shapes": shapes}, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=10_000))
    assert result is not None
    assert json.loads(result.text) == {"shapes": shapes}  # only the white space went


def test_an_object_of_many_keys_holding_objects_shrinks_past_the_budget() -> None:
    spec = {
        "openapi": "3.1.0",
        "paths": {
            f"/v1/items/{i}": {  # operations of different shapes: no table
                ("get", "post", "put", "delete")[i % 4]: {
                    "operationId": f"op_item_{i}",
                    f"x-note-{i % 7}": f"Item {i} as stored, with its tags",
                    "parameters": [{"in": "path", "name": f"id{i % 3}"}] * (1 + i % 3),
                    "responses": {str(200 + i % 5): {"description": f"the item {i}"}},
                }
            }
            for i in range(200)
        },
    }
    text = json.dumps(spec, indent=2)
    budget = COUNTER.count(text) // 8
    result = JsonCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    out = json.loads(result.text)  # still JSON
    paths = out["paths"]
    assert "kept" in paths["headroom_omitted"] and find_markers(result.text)
    shown = [key for key in paths if key.startswith("/v1/")]
    assert 0 < len(shown) < 200
    assert f"kept {len(shown)} of 200 items" in paths["headroom_omitted"]  # exact counts
    named = paths.get("headroom_omitted_keys")  # the names left out, when they are cheap
    assert named is None or sorted(shown + named) == sorted(spec["paths"])
    assert COUNTER.count(result.text) <= budget * 1.5


def test_the_keys_an_object_leaves_out_are_listed_when_cheap() -> None:
    shapes = {
        f"Shape{i}": {
            "type": ("structure", "list", "string")[i % 3],
            f"member{i % 4}": {"shape": f"S{i}"},
        }
        for i in range(40)
    }
    text = json.dumps({"version": "2.0", "shapes": shapes}, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 4))
    assert result is not None
    out = json.loads(result.text)["shapes"]
    shown = [key for key in out if key.startswith("Shape")]
    assert 0 < len(shown) < 40
    assert sorted(shown + out["headroom_omitted_keys"]) == sorted(shapes)


def test_a_few_records_stay_an_array_when_a_table_is_longer() -> None:
    # `anyOf` of three one-key records: as a table it would grow, and cut it would grow more.
    any_of = [{"type": "string"}, {"type": "integer"}, {"type": "null"}]
    assert compact(any_of) == any_of
    schema = {f"field{i}": {"anyOf": any_of, f"x-order{i % 5}": i} for i in range(300)}
    text = json.dumps({"properties": schema}, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=10**6))
    assert result is not None
    assert json.loads(result.text) == {"properties": schema}  # only the white space went
    assert isinstance(compact(any_of * 3), Table)  # nine records: the table is shorter


def _services(count: int) -> dict:
    """An API bundle: a few services of a few paths each, every one of them mentioning the
    `HTTPValidationError` its operations return; no object has many keys."""
    return {
        f"service{s}": {
            "paths": {
                f"/v1/service{s}/op{p}": {
                    "post": {
                        "operationId": f"op_{s}_{p}",
                        "summary": f"Operation {p} of service {s}, with its parameters described at length",
                        "responses": {
                            "200": {"description": f"result {s}.{p}"},
                            "422": {"$ref": "#/components/schemas/HTTPValidationError"},
                        },
                    }
                }
                for p in range(6)
            },
            "components": {"schemas": {"HTTPValidationError": {"type": "object"}}},
        }
        for s in range(count)
    }


def test_an_api_bundle_of_small_objects_that_all_mention_an_error_keeps_its_budget() -> None:
    spec = _services(13)
    text = json.dumps(spec, indent=2)
    budget = COUNTER.count(text) // 5
    result = JsonCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    out = json.loads(result.text)
    assert COUNTER.count(result.text) <= budget * 1.2
    shown = [key for key in out if key.startswith("service")]
    assert 0 < len(shown) < 13
    assert sorted(shown + out.get("headroom_omitted_keys", [])) == sorted(spec)


def test_an_object_whose_keys_hold_dots_is_a_cell_not_dotted_columns() -> None:
    items = [
        {
            "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}"},
            "data": {"pyproject.toml": f"[tool]\nv = {i}"},
        }
        for i in range(10)
    ]
    table = compact(items)
    assert isinstance(table, Table)
    assert "data" in table.columns and not any(c.startswith("data.") for c in table.columns)
    assert "metadata.name" in table.columns  # keys without dots still flatten


def test_an_objects_scalar_entries_stay_beside_its_big_subtrees() -> None:
    spec = {
        "kind": "discovery#restDescription",
        "name": "storage",
        "version": "v1",
        "baseUrl": "https://storage.example.org/v1/",
    }
    spec.update({f"title{i}": f"Cloud Storage field {i}" for i in range(4)})
    spec.update(
        {f"resource{i}": {f"method{m}": {"id": f"storage.r{i}.m{m}", "path": f"b/{{bucket}}/o{m}", "httpMethod": "GET", "description": f"Lists the objects of bucket {m} of resource {i}; an error if it is missing."} for m in range(12)} for i in range(12)}
    )  # fmt: skip
    text = json.dumps(spec, indent=2)
    result = JsonCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 5))
    assert result is not None
    out = json.loads(result.text)
    for key in ("kind", "name", "version", "baseUrl", "title0", "title3"):
        assert out[key] == spec[key]


def test_a_long_error_string_keeps_its_last_line_after_the_cut() -> None:
    # A job's captured traceback: its decisive line is its last, not its head.
    frames = "".join(
        f'  File "/srv/app/jobs/step_{i}.py", line {10 + i}, in run_{i}\n    result = step_{i}(payload)\n'
        for i in range(40)
    )
    trace = f"Traceback (most recent call last):\n{frames}httpx.ConnectError: [Errno 111] Connection refused"
    jobs = [
        {"id": f"job-{4000 + i}", "status": "ok", "stderr": "", "seconds": i % 17}
        for i in range(300)
    ]
    jobs[151] = {"id": "job-4151", "status": "failed", "stderr": trace, "seconds": 3}
    text = json.dumps({"jobs": jobs})
    result = JsonCompressor().compress(text, ctx_for(text))
    assert result is not None
    out = json.loads(result.text)  # still parses
    assert "httpx.ConnectError: [Errno 111] Connection refused" in result.text
    assert "chars cut" in result.text and out


def test_a_question_naming_one_record_never_shows_more_than_a_generic_one() -> None:
    # Its words `https` and `docs` are in every record: only words few records hold name
    # records, so the named question's smaller budget holds.
    records = [
        {"name": f"crate-{i}", "version": f"1.{i}.0", "docs": f"https://docs.rs/crate-{i}"}
        for i in range(400)
    ]
    text = json.dumps({"packages": records})
    tokens = COUNTER.count(text)
    generic = JsonCompressor().compress(text, ctx_for(text, budget=tokens // 3))
    query = "What does sbom.json say about `https://docs.rs/crate-217`? Quote the exact lines."
    named = JsonCompressor().compress(text, ctx_for(text, query, budget=tokens // 20))
    assert generic is not None and named is not None
    assert "https://docs.rs/crate-217" in named.text
    assert COUNTER.count(named.text) < COUNTER.count(generic.text)
