"""Mixed payloads: parts of different kinds, each compressed by its own compressor."""

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.markers import ANY_MARKER_RE, find_markers
from headroom.engine.detect import Detection
from headroom.engine.mixed import split_parts

NARRATIVE = [
    f"step {i}: the build agent copied artefact bundle number {i} to staging" for i in range(40)
]
DIFF = [
    "diff --git a/app/retry.py b/app/retry.py",
    "index 1111111..2222222 100644",
    "--- a/app/retry.py",
    "+++ b/app/retry.py",
]
for hunk in range(12):
    DIFF += [f"@@ -{hunk * 20 + 1},6 +{hunk * 20 + 1},6 @@ def retry_{hunk}(call):"]
    DIFF += [
        f"     attempt = {hunk}",
        f"-    delay = {hunk} * 2",
        f"+    delay = {hunk} * 3",
        "     while attempt < limit:",
        "         attempt += 1",
        "     return call()",
    ]
GREP = [
    f"src/pkg/module_{i}.py:{i * 3 + 1}:    raise ValueError('bad value {i}')" for i in range(60)
]


def payload() -> str:
    return "\n".join([*NARRATIVE, "", *DIFF, "", *GREP, "", "done: 3 stages, exit status 0"])


def test_a_payload_of_three_kinds_is_split_into_parts_of_whole_lines() -> None:
    from headroom.engine.router import detect

    parts = split_parts(payload(), lambda piece: detect(piece))
    kinds = [part.detection.kind for part in parts]
    assert "diff" in kinds and "search" in kinds
    lines = payload().split("\n")
    assert parts[0].start == 0 and parts[-1].end == len(lines)
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))


def test_one_kind_is_not_split() -> None:
    text = "\n".join(GREP * 2)
    assert split_parts(text, lambda piece: Detection("search", confidence=0.9)) == []


def test_each_part_goes_to_its_compressor_and_markers_resolve(tmp_path) -> None:
    engine = Headroom(
        HeadroomConfig(budget_scale=0.2, budget_exponent=1.0, min_budget_tokens=50),
        store=SqlStore(f"sqlite:///{tmp_path / 's.db'}"),
    )
    text = payload()
    result = engine.compress_text(text)
    assert result.changed and result.kind == "mixed"
    assert "diff --git a/app/retry.py b/app/retry.py" in result.text  # the diff part's header
    originals = set(text.split("\n"))
    for line in result.text.split("\n"):
        assert line in originals or ANY_MARKER_RE.search(line) or line.startswith("@@"), line
    assert {m.ref for m in find_markers(result.text)} == {result.ref}
    assert engine.retrieve(result.ref) == text
    assert engine.compress_text(text).text == result.text  # deterministic


def test_parts_of_lines_close_on_one_marker_counting_every_line() -> None:
    # Two parts that each close on `kept K of T lines`, the first ending on blank lines:
    # one closing marker counts the whole payload, and kept lines plus gaps add up.
    from headroom.ccr.markers import make_ref
    from headroom.compressors.base import CompressContext, default_registry
    from headroom.engine.mixed import Part, compress_parts
    from headroom.engine.query import focus_of
    from headroom.tokens import counter_for
    from tests.audit import count_errors

    log = [
        f"2026-01-0{1 + i % 9} 10:{i % 60:02d}:00 INFO worker {i % 5} job {i}" for i in range(120)
    ]
    diag = []
    for i in range(60):
        diag += [
            f"src/mod{i % 7}.c:{10 + i}:5: warning: unused variable 'tmp{i}' [-Wunused-variable]",
            f"   {10 + i} |     int tmp{i} = {i};",
            "      |         ^~~~",
        ]
    lines = [*log, "", "", *diag]
    text = "\n".join(lines)
    parts = [
        Part(0, len(log) + 2, Detection("log", confidence=0.75)),
        Part(len(log) + 2, len(lines), Detection("diagnostics", confidence=0.93)),
    ]
    counter = counter_for("gpt-4o")
    ctx = CompressContext(
        ref=make_ref(text),
        query="",
        budget_tokens=counter.count(text) // 5,
        counter=counter,
        focus=focus_of("", text),
        registry=default_registry(),
    )
    result = compress_parts(text, parts, dict(default_registry()), ctx)
    assert result is not None
    closings = [m for m in ANY_MARKER_RE.finditer(result.text) if "kept " in m.group(0)]
    assert len(closings) == 1 and result.text.endswith(closings[0].group(0))
    assert count_errors(text, result.text) == []


def test_a_multi_file_head_output_keeps_every_header_naming_a_file(tmp_path) -> None:
    files = []
    for f in range(6):
        body = [f"==> app{f}.desktop <==", "[Desktop Entry]", f"Name=Application {f}"]
        body += [f"Exec=/usr/bin/app{f} --start", "Type=Application"]
        languages = ("de", "fr", "es", "it", "nl", "pl", "pt", "ru", "sv", "tr", "uk", "ja") * 5
        body += [f"Name[{lang}]=Anwendung {f} {lang}" for lang in languages]
        files.append("\n".join([*body, ""]))
    text = "\n".join(files)
    engine = Headroom(
        HeadroomConfig(budget_scale=0.2, budget_exponent=1.0, min_budget_tokens=50),
        store=SqlStore(f"sqlite:///{tmp_path / 's.db'}"),
    )
    result = engine.compress_text(text)
    assert result.changed and result.kind == "mixed"
    for f in range(6):
        assert f"==> app{f}.desktop <==" in result.text.split("\n")
    originals = set(text.split("\n"))
    for line in result.text.split("\n"):
        assert line in originals or ANY_MARKER_RE.search(line), line
    assert engine.retrieve(result.ref) == text


def test_lines_around_a_config_block_are_never_read_as_its_format() -> None:
    def kind_of(block: str) -> Detection:
        if block.lstrip().startswith("<?xml"):
            return Detection("config", "xml", confidence=0.85)
        if block.lstrip().startswith("diff --git"):
            return Detection("diff", confidence=0.9)
        return Detection("lines", confidence=0.0)

    shell = [f'    echo "installing file {i}" >> "$log"' for i in range(30)]
    heredoc = [
        '<?xml version="1.0"?>',
        "<mime-info>",
        *[f'  <mime-type type="text/x-{i}"/>' for i in range(14)],
        "</mime-info>",
    ]
    text = "\n".join([*shell, "", *heredoc, "", *shell, "", *DIFF])
    parts = split_parts(text, kind_of)
    lines = text.split("\n")
    for part in parts:
        if part.detection.kind == "config":  # only the XML's own lines are XML
            assert all(
                line.lstrip().startswith("<")
                for line in lines[part.start : part.end]
                if line.strip()
            )
