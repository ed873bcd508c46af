"""A JSON or XML document after a few lines of something else: the document is a part of
its own kind, the lines around it stay as they are."""

import json

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.markers import ANY_MARKER_RE, make_ref
from headroom.compressors.base import CompressContext, default_registry
from headroom.engine.detect import Detection
from headroom.engine.mixed import Part, compress_parts, split_document, split_fenced
from headroom.engine.router import detect
from headroom.tokens import counter_for
from tests.conversations import junit_output

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
    parts = split_document(text, detect)
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


def test_a_one_line_document_and_a_footer_that_ends_as_a_document_does() -> None:
    one_line = json.dumps(ITEMS)
    text = "\n".join(["$ curl -s https://api.example.org/items", one_line, "[exit status 0]"])
    parts = split_document(text, detect)
    assert [(p.start, p.end, p.detection.kind) for p in parts] == [
        (0, 1, "around a document"),
        (1, 2, "json"),
        (2, 3, "around a document"),
    ]


def test_no_document_or_a_long_preamble_is_no_json_body() -> None:
    log = [f"[2026-01-0{i % 9 + 1} 10:00:00] INFO worker {i} done" for i in range(80)]
    assert split_document("\n".join([*HEADERS, *log, "]"]), detect) == []  # no document in it
    long_preamble = [f"step {i}: fetched page {i}" for i in range(70)]
    assert split_document("\n".join([*long_preamble, *BODY]), detect) == []
    assert split_document("\n".join(BODY), detect) == []  # the document alone is JSON itself
    broken = [*HEADERS, *BODY[:-1]]  # its closing brace lost: not one document
    assert split_document("\n".join(broken), detect) == []


def test_an_xml_report_after_a_command_echo_goes_to_its_own_compressor(tmp_path) -> None:
    echo = "$ cat build/test-results/report.xml"
    report = junit_output(2000).split("\n")
    assert detect("\n".join(report)).kind == "test"
    text = "\n".join([echo, *report])
    parts = split_document(text, detect)
    assert [p.detection.kind for p in parts] == ["around a document", "test"]
    result = engine(tmp_path).compress_text(text)
    out = result.text.split("\n")
    assert out[0] == echo
    assert '<failure message="assert 1 == 2">def test_bad():' in out  # the failure, whole
    alone = engine(tmp_path).compress_text("\n".join(report))  # the report as its own payload
    assert result.tokens_after < result.tokens_before // 3
    assert result.tokens_after <= alone.tokens_after + 30  # as well as without the echo


def metainfo() -> list[str]:
    """An AppStream file: declared XML whose descriptions hold HTML-named elements."""
    langs = ["de", "fr", "es", "it", "nl", "pl", "pt", "ru", "sv", "tr", "uk", "ja", "cs"]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<component type="desktop-application">']
    lines += ["  <id>org.example.App</id>", "  <name>Example</name>"]
    lines += [f'  <name xml:lang="{lang}">Example {lang}</name>' for lang in langs]
    lines += ["  <description>"]
    lines += [f'    <p xml:lang="{lang}">A tool to set up printers ({lang}).</p>' for lang in langs]
    return [*lines, "  </description>", "</component>"]


def test_a_document_within_its_budget_is_left_whole_not_read_as_another_kind(tmp_path) -> None:
    # After an echo the lines read as HTML to its detector; the document's own compressor
    # keeps it whole (within budget), and it is no page to be turned into text.
    assert detect("\n".join(metainfo())).kind == "config"
    text = "\n".join(["$ cat org.example.App.metainfo.xml", *metainfo()])
    assert detect(text).kind == "html"
    result = engine(tmp_path).compress_text(text)
    assert result.text == text and not result.changed


def test_source_code_holding_a_json_like_literal_is_not_split() -> None:
    literal = json.dumps({"routes": [{"path": f"/r{i}", "id": i} for i in range(40)]}, indent=1)
    code = "\n".join(["import json", "", "ROUTES = \\", *literal.split("\n"), "", "print(ROUTES)"])
    assert split_document(code, detect) != []  # the splitter alone would take it
    result = Headroom(HeadroomConfig()).compress_text(code, filename="routes.py")
    assert result.kind == "code"  # the router does not ask it of code


def service_log(lines: int) -> list[str]:
    rows = [
        f"2026-11-26 10:{i // 60 % 60:02d}:{i % 60:02d} INFO api request {i} ok"
        for i in range(lines)
    ]
    rows[lines // 2] = "2026-11-26 10:30:00 ERROR api request 900 failed: connection reset"
    return rows


def test_one_fenced_block_goes_to_its_kind_and_the_fences_and_words_around_stay(tmp_path) -> None:
    log = service_log(2400)
    text = "\n".join(["Command output:", "```", *log, "```", "exit status 1"])
    parts = split_fenced(text, detect)
    assert [(p.start, p.end, p.detection.kind) for p in parts] == [
        (0, 2, "around a document"),
        (2, 2402, "log"),
        (2402, 2404, "around a document"),
    ]
    result = engine(tmp_path).compress_text(text)
    out = result.text.split("\n")
    assert out[:2] == ["Command output:", "```"]
    assert out[-3:-1] == ["```", "exit status 1"] and ANY_MARKER_RE.search(out[-1])  # the closing
    assert "2026-11-26 10:30:00 ERROR api request 900 failed: connection reset" in out
    assert result.tokens_after < result.tokens_before // 3
    cursor = "\n".join(["```1:2400:logs/api.log", *log, "```"])  # a range and a path for info
    assert [p.detection.kind for p in split_fenced(cursor, detect)][1] == "log"
    two = "\n".join(["Notes:", "```", *log[:20], "```", "and", "```", *log[20:40], "```"])
    assert split_fenced(two, detect) == []  # two blocks: prose with code in it


def test_a_fenced_module_is_compressed_as_code(tmp_path) -> None:
    module = []
    for i in range(1200):
        module += [f"def handler_{i}(request):", f"    path = '/srv/route_{i}'"]
        module += ["    if not path:", "        raise ValueError(path)", "    return path", ""]
    text = "\n".join(["Here is the module:", "```python", *module, "```"])
    assert detect(text).confidence < 0.5  # code guessed from its text, fences and all
    result = engine(tmp_path).compress_text(text)
    alone = engine(tmp_path).compress_text("\n".join(module))  # the module as a payload
    assert alone.kind == "code" and result.tokens_after < result.tokens_before // 2
    out = result.text.split("\n")
    assert out[:2] == ["Here is the module:", "```python"] and out[-1] == "```"

    # Between the fences, the module as it goes alone (its closing, which names its own
    # ref, aside).
    def shown(lines: list[str]) -> list[str]:
        return [line for line in lines if line.strip() and "headroom_retrieve" not in line]

    assert shown(out[2:-1]) == shown(alone.text.split("\n"))


class Declining:
    """A compressor (a plugin's, say) that declines whatever it is given."""

    kind = "declining"
    name = "declining"

    def compress(self, text: str, ctx: CompressContext) -> None:
        return None


def test_a_part_its_compressor_declines_over_budget_goes_to_the_line_compressor() -> None:
    log = service_log(2000)
    text = "\n".join(["Output:", *log])
    parts = [Part(0, 1, Detection("around a document")), Part(1, 2001, Detection("declining"))]
    registry = {**default_registry(), "declining": Declining()}
    counter = counter_for("gpt-4o")
    budget = counter.count(text) // 5
    ctx = CompressContext(ref=make_ref(text), query="", budget_tokens=budget, counter=counter)
    result = compress_parts(text, parts, registry, ctx)
    assert result is not None and counter.count(result.text) < counter.count(text) // 3
    assert "2026-11-26 10:30:00 ERROR api request 900 failed: connection reset" in result.text
