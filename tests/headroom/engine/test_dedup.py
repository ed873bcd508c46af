"""Cross-turn de-duplication (headroom.engine.dedup): each re-read shape, truthful pointers,
retrieval, the cached prefix, determinism across processes, and the repeat-cost figure."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from headroom import Headroom, HeadroomConfig, count_tokens
from headroom.ccr import SqlStore
from headroom.ccr.markers import (
    ANY_MARKER_RE,
    Pointer,
    find_markers,
    format_pointer,
    parse_pointer,
)
from headroom.conversation.messages import Conversation
from headroom.engine.repeat_cost import repeat_cost
from headroom.engine.repeats import line_contents, shown_positions
from tests.audit import violations
from tests.conversations import WORKER_LOG, tool_call
from tests.processes import compressed_in_processes


def source_file(functions: int = 30) -> str:
    """A Python module of `functions` * 10 lines, every line distinct enough."""
    lines = ["import logging", "", "logger = logging.getLogger(__name__)", ""]
    for i in range(functions):
        lines += [
            f"def handler_{i}(request, retries={i % 4}):",
            f'    """Handle request kind {i} and report its status."""',
            f"    payload = request.json().get('item_{i}', {{}})",
            f"    if payload.get('status') == 'failed_{i}':",
            f"        raise ValueError('item {i} failed after ' + str(retries) + ' retries')",
            f"    total = sum(v * {i + 1} for v in payload.values() if isinstance(v, int))",
            f"    logger.info('handled %s items for kind {i}', total)",
            "    return total",
            "",
            "",
        ]
    return "\n".join(lines) + "\n"


SOURCE = source_file()
LINES = SOURCE.split("\n")


def session(*outputs: str) -> list[dict[str, Any]]:
    """A user request, then one tool call per output (messages 2-3, 4-5, ...)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Fix the failing handler."}]
    for index, output in enumerate(outputs):
        messages += tool_call(output, call_id=f"call_{index}", name="bash")
    return messages


def tool_texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m.get("role") == "tool"]


def pointers(text: str) -> list[Pointer]:
    found = (parse_pointer(m["detail"]) for m in ANY_MARKER_RE.finditer(text))
    return [p for p in found if p is not None]


def hidden_pointers(original: list[dict[str, Any]], sent: list[dict[str, Any]]) -> list[str]:
    """Pointers of `sent` that name lines the pointed-at output does not show verbatim, or
    whose lines the pointing output's original does not hold in a row: none, when truthful."""
    outputs = [
        (s.path, s.text)
        for s in Conversation(original).segments(
            include_user=False, include_assistant=False, include_cached=True
        )
        if s.source == "tool_result"
    ]
    sent_by_path = {
        s.path: s.text
        for s in Conversation(sent).segments(
            include_user=False, include_assistant=False, include_cached=True
        )
    }
    bad = []
    for path, text in outputs:
        for pointer in pointers(sent_by_path[path]):
            same_message = [(p, t) for p, t in outputs if int(p[0]) + 1 == pointer.message]
            source_path, source_text = same_message[(pointer.part or 1) - 1]
            lines = source_text.split("\n")
            contents = line_contents(lines)  # a table form shows them without line numbers
            shown = set(shown_positions(lines, sent_by_path[source_path].split("\n"), contents))
            wanted = range(pointer.first - 1, pointer.last)
            if not all(i in shown for i in wanted):
                bad.append(f"{pointer} names lines message {pointer.message} does not show")
            span = [contents[i] for i in wanted]
            mine = line_contents(text.split("\n"))
            if not any(mine[i : i + len(span)] == span for i in range(len(mine))):
                bad.append(f"{pointer} in {path} stands for lines its original does not hold")
    return bad


def test_pointer_grammar_round_trips_and_is_a_marker() -> None:
    pointer = Pointer(75, 100, 3)
    assert format_pointer(pointer) == "[headroom: lines 75-100 as in message 3]"
    assert format_pointer(Pointer(8, 8, 5, 2)) == "[headroom: line 8 as in message 5 part 2]"
    text = "a\n" + format_pointer(pointer, "0123456789abcdef")
    [marker] = find_markers(text)
    assert marker.ref == "0123456789abcdef" and marker.pointer == pointer
    assert parse_pointer("kept 3 of 9 lines") is None
    assert parse_pointer("lines 9-3 as in message 1") is None


def test_the_whole_file_again_is_one_pointer_with_nothing_else_to_retrieve(
    engine: Headroom,
) -> None:
    messages = session(SOURCE, WORKER_LOG[:2000], SOURCE)
    result = engine.compress(messages)
    first, _, again = tool_texts(result.messages)
    assert first == SOURCE  # earlier outputs never change
    assert pointers(again) == [Pointer(1, len(LINES) - 1, 3)]
    assert again.count("\n") == 1  # the pointer, then the file's final newline
    # Every line it stands for is shown verbatim in message 3 and nothing else is left
    # out: the pointer states no ref (it would cost as much again).
    assert "headroom_retrieve" not in again and find_markers(again) == []
    assert result.compressors["dedup"].tokens_after < 20
    assert violations(SOURCE, again, "code") == []
    assert hidden_pointers(messages, result.messages) == []


def test_a_line_range_and_cat_n_and_an_editor_view_point_at_the_lines_shown(
    engine: Headroom,
) -> None:
    sed = "\n".join(LINES[74:100])
    cat_n = "\n".join(f"{i + 1:6d}\t{line}" for i, line in enumerate(LINES) if 119 <= i < 160)
    editor = "\n".join(f"{i + 1:6d}→{line}" for i, line in enumerate(LINES) if 199 <= i < 240)
    messages = session(SOURCE, sed, cat_n, editor)
    result = engine.compress(messages)
    _, *rereads = tool_texts(result.messages)
    assert [pointers(text) for text in rereads] == [
        [Pointer(75, 100, 3)],
        [Pointer(120, 160, 3)],
        [Pointer(200, 240, 3)],
    ]
    assert all(len(text.split("\n")) == 1 for text in rereads)
    assert hidden_pointers(messages, result.messages) == []


def test_grep_hits_in_lines_already_shown_point_at_them_and_new_lines_stay(
    engine: Headroom,
) -> None:
    context = [
        f"handlers.py{':' if 'raise' in LINES[i] else '-'}{i + 1}{':' if 'raise' in LINES[i] else '-'}{LINES[i]}"
        for i in range(40, 70)
    ]
    grep = "\n".join([*context, "--", "other.py:3:    raise ValueError('never shown before')"])
    messages = session(SOURCE, grep)
    result = engine.compress(messages)
    out = tool_texts(result.messages)[1]
    assert pointers(out) == [Pointer(41, 70, 3)]
    assert out.endswith("--\nother.py:3:    raise ValueError('never shown before')")
    assert violations(grep, out, "search") == []
    assert hidden_pointers(messages, result.messages) == []


def test_a_diff_of_a_file_shown_points_at_its_context_and_keeps_the_changes(
    engine: Headroom,
) -> None:
    hunk = [f" {line}" for line in LINES[100:130]]
    hunk[15] = "-" + LINES[115]
    hunk.insert(16, "+    total = 0  # reset")
    diff = "\n".join(
        ["diff --git a/h.py b/h.py", "--- a/h.py", "+++ b/h.py", "@@ -101,30 +101,30 @@", *hunk]
    )
    messages = session(SOURCE, diff)
    result = engine.compress(messages)
    out = tool_texts(result.messages)[1]
    assert pointers(out) == [Pointer(101, 115, 3), Pointer(117, 130, 3)]
    assert "-" + LINES[115] in out and "+    total = 0  # reset" in out
    assert out.startswith("diff --git a/h.py b/h.py\n--- a/h.py\n+++ b/h.py\n@@ -101,30")
    assert violations(diff, out, "diff") == []
    assert hidden_pointers(messages, result.messages) == []


def test_short_repeats_stay_and_the_setting_turns_it_off(store: SqlStore) -> None:
    short = "\n".join(LINES[10:13])  # a few lines: cheaper than a pointer's worth
    messages = session(SOURCE, short, SOURCE)
    result = Headroom(HeadroomConfig(), store=store).compress(messages)
    assert tool_texts(result.messages)[1] == short
    off = Headroom(HeadroomConfig(dedup_repeats=False), store=store).compress(messages)
    assert tool_texts(off.messages) == [SOURCE, short, SOURCE]


def test_lines_an_earlier_output_left_out_are_never_pointed_at(engine: Headroom) -> None:
    log = "\n".join(WORKER_LOG.split("\n")[:1200])
    messages = session(log, log)
    result = engine.compress(messages)
    first, again = tool_texts(result.messages)
    assert "[headroom: " in first  # the log was cut the first time
    assert pointers(again)
    assert hidden_pointers(messages, result.messages) == []
    ref = find_markers(again)[0].ref
    assert engine.retrieve(ref) == log


def test_a_dedup_inside_the_cached_prefix_replays_and_one_never_made_is_not_made(
    tmp_path: Path,
) -> None:
    def anthropic(outputs: list[str], breakpoint: bool) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "Fix it."}]
        for index, output in enumerate(outputs):
            messages.append(
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": f"t{index}", "name": "bash", "input": {}}
                    ],
                }
            )
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": f"t{index}", "content": output}
                    ],
                }
            )
        if breakpoint:
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "go on", "cache_control": {"type": "ephemeral"}}
                    ],
                }
            )
        return messages

    store = SqlStore(f"sqlite:///{tmp_path / 'a.db'}")
    first = Headroom(HeadroomConfig(), store=store)
    turn_one = first.compress(anthropic([SOURCE, SOURCE], False))
    deduped = turn_one.messages[4]["content"][0]["content"]
    assert pointers(deduped)
    # Decisions are written in the background; the next turn comes after the model's
    # answer, when they are written (on a loaded machine, not always before this line).
    first.store.flush()
    # The next turn puts both outputs inside the cached prefix: another process replays.
    turn_two = Headroom(HeadroomConfig(), store=store).compress(anthropic([SOURCE, SOURCE], True))
    assert turn_two.messages[:5] == turn_one.messages
    fresh = SqlStore(f"sqlite:///{tmp_path / 'b.db'}")
    never_seen = Headroom(HeadroomConfig(), store=fresh).compress(anthropic([SOURCE, SOURCE], True))
    assert never_seen.messages[4]["content"][0]["content"] == SOURCE


def test_pointers_are_byte_identical_across_processes(tmp_path: Path) -> None:
    grep = "\n".join(f"h.py:{i + 1}:{LINES[i]}" for i in range(30, 60))
    messages = session(SOURCE, "\n".join(LINES[74:100]), grep, SOURCE)
    outputs = compressed_in_processes(messages, tmp_path)
    assert outputs[0] == outputs[1]
    assert len(pointers(outputs[0].decode())) == 3


def test_repeat_cost_is_at_most_5_percent_of_raw_after_dedup(engine: Headroom) -> None:
    sed = "\n".join(LINES[74:100])
    cat_n = "\n".join(f"{i + 1:6d}\t{line}" for i, line in enumerate(LINES) if 119 <= i < 160)
    grep = "\n".join(f"h.py:{i + 1}:{LINES[i]}" for i in range(30, 60))
    messages = session(SOURCE, sed, cat_n, grep, SOURCE)
    result = engine.compress(messages)
    cost = repeat_cost(messages, result.messages)
    raw_repeats = sum(count_tokens(t) for t in (sed, cat_n, grep, SOURCE))
    assert cost.spans == 4 and cost.pointers == 4
    assert 0.9 * raw_repeats <= cost.raw_tokens <= raw_repeats
    assert cost.sent_tokens <= 0.05 * cost.raw_tokens
    unchanged = repeat_cost(messages, messages)
    assert unchanged.raw_tokens == unchanged.sent_tokens == cost.raw_tokens


# Random agent sessions: files read whole, in ranges, numbered, grepped and diffed, mixed
# with logs and other outputs; compressing a session's first n turns gives the first
# messages of compressing its first n + 1 turns, and no pointer names a hidden line.

FILES = [source_file(12), source_file(40), "\n".join(WORKER_LOG.split("\n")[:900])]


@st.composite
def reread(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(FILES)).split("\n")
    first = draw(st.integers(0, len(lines) - 2))
    last = draw(st.integers(first + 1, min(len(lines), first + 400)))
    span = list(enumerate(lines))[first:last]
    shape = draw(st.sampled_from(["whole", "range", "cat_n", "editor", "grep", "diff"]))
    if shape == "whole":
        return "\n".join(lines)
    if shape == "range":
        return "\n".join(line for _, line in span)
    if shape == "cat_n":
        return "\n".join(f"{i + 1:6d}\t{line}" for i, line in span)
    if shape == "editor":
        return "\n".join(f"{i + 1:6d}→{line}" for i, line in span)
    if shape == "grep":
        return "\n".join(f"f.py:{i + 1}:{line}" for i, line in span if draw(st.booleans()) or i % 3)
    body = [f" {line}" if i % 7 else f"+{line}!" for i, line in span]
    return "\n".join(
        ["diff --git a/f b/f", "--- a/f", "+++ b/f", f"@@ -{first + 1} +{first + 1} @@", *body]
    )


PROPERTY_STORE = SqlStore(f"sqlite:///{tempfile.mkdtemp(prefix='headroom-dedup-')}/dedup.db")
turn_output = st.one_of(reread(), reread(), st.text(max_size=400))


@given(outputs=st.lists(turn_output, min_size=2, max_size=6))
def test_dedup_is_prefix_monotonic_and_points_only_at_shown_lines(outputs: list[str]) -> None:
    pure = Headroom(HeadroomConfig(stable_history=False), store=PROPERTY_STORE)
    engine = Headroom(HeadroomConfig(), store=PROPERTY_STORE)
    earlier: list[Any] | None = None
    for turn in range(1, len(outputs) + 1):
        messages = session(*outputs[:turn])
        result = engine.compress(messages)
        assert not result.failed_open
        assert pure.compress(messages).messages == result.messages  # a pure function
        if earlier is not None:
            assert result.messages[: len(earlier)] == earlier
        assert hidden_pointers(messages, result.messages) == []
        for before, after in zip(tool_texts(messages), tool_texts(result.messages), strict=True):
            for marker in find_markers(after):
                assert engine.retrieve(marker.ref) == before
        earlier = result.messages


def manifests(services: int) -> str:
    """Kubernetes Deployments that share their probe and resources stanza word for word."""
    docs = []
    for n in range(services):
        docs.append(
            "\n".join(
                [
                    "---",
                    "apiVersion: apps/v1",
                    "kind: Deployment",
                    "metadata:",
                    f"  name: service-{n}",
                    "spec:",
                    f"  replicas: {1 + n % 3}",
                    "  template:",
                    "    spec:",
                    "      containers:",
                    f"        - name: service-{n}",
                    f"          image: registry.example.org/shop/service-{n}:1.{n}.0",
                    "          readinessProbe:",
                    "            httpGet:",
                    "              path: /healthz/ready",
                    "              port: 8080",
                    "            initialDelaySeconds: 5",
                    "            periodSeconds: 10",
                    "          livenessProbe:",
                    "            httpGet:",
                    "              path: /healthz/live",
                    "              port: 8080",
                    "            failureThreshold: 3",
                    "          resources:",
                    "            requests:",
                    "              cpu: 250m",
                    "              memory: 256Mi",
                    "            limits:",
                    "              cpu: 1000m",
                    "              memory: 1Gi",
                ]
            )
        )
    return "\n".join(docs) + "\n"


def test_a_block_one_output_repeats_points_at_its_first_showing(engine: Headroom) -> None:
    text = manifests(6)
    messages = session(text)
    result = engine.compress(messages)
    [sent] = tool_texts(result.messages)
    found = pointers(sent)
    assert found and all(p.message == 3 for p in found)  # its own message
    assert count_tokens(sent) < count_tokens(text)
    for n in range(6):  # every service keeps its own lines
        assert f"          image: registry.example.org/shop/service-{n}:1.{n}.0" in sent
    assert sent.count("              path: /healthz/ready") == 1  # shown once, pointed at after
    assert hidden_pointers(messages, result.messages) == []
    assert violations(text, sent, "config") == []
    import yaml

    assert list(yaml.safe_load_all(sent))  # the pointers are YAML comments: it still parses


def test_the_same_text_in_two_files_of_a_grep_is_no_repeat(engine: Headroom) -> None:
    body = [f"    check_limit(request, quota_{i}, window=60, burst={i % 5})" for i in range(12)]
    text = "\n".join(
        [
            f"src/api/{name}.py:{40 + i}:{line}"
            for name in ("orders", "billing")
            for i, line in enumerate(body)
        ]  # fmt: skip
    )
    result = engine.compress(session(text))
    [sent] = tool_texts(result.messages)
    assert pointers(sent) == []
    assert "src/api/billing.py:45:" in sent


def pom_with_a_plugin_twice() -> str:
    excludes = "\n".join(
        f"            <exclude>src/test/resources/case{i}/**</exclude>" for i in range(24)
    )
    plugin = (
        "      <plugin>\n        <groupId>org.apache.rat</groupId>\n"
        "        <artifactId>apache-rat-plugin</artifactId>\n        <configuration>\n"
        f"          <excludes>\n{excludes}\n          </excludes>\n        </configuration>\n"
        "      </plugin>\n    </plugins>"
    )
    return (
        '<?xml version="1.0"?>\n<project>\n  <modelVersion>4.0.0</modelVersion>\n'
        f"  <build>\n    <plugins>\n{plugin}\n  </build>\n"
        "  <reporting>\n    <plugins>\n      <plugin>\n"
        "        <artifactId>maven-site-plugin</artifactId>\n      </plugin>\n"
        f"{plugin}\n  </reporting>\n</project>\n"
    )


def test_a_pointer_inside_xml_never_leaves_a_closing_tag_without_its_element(
    engine: Headroom,
) -> None:
    from headroom.engine.wellformed import parses_as_xml

    text = pom_with_a_plugin_twice()
    assert parses_as_xml(text)
    result = engine.compress(session(text))
    [sent] = tool_texts(result.messages)
    assert parses_as_xml(sent)  # the repeat that would close `<plugins>` is not pointed at
    assert violations(text, sent, "config") == []


def workflow_with_a_step_twice() -> str:
    def job(name: str, pin: str) -> list[str]:
        steps = [
            f"      - name: Set up step {i}\n        uses: actions/setup-python@v5\n"
            f"        with:\n          python-version: '3.1{i}'\n          cache: pip"
            for i in range(6)
        ]
        return [
            f"  {name}:",
            "    runs-on: ubuntu-latest",
            f"    steps:  # {name}",
            *steps,
            "      - name: Install",
            "        run: 'pip install -e .[test] --no-cache-dir --progress-bar off",
            f"          pytest-xdist=={pin}'",
        ]

    return "\n".join(["name: CI", "jobs:", *job("unit", "3.1.0"), *job("slow", "3.2.0")]) + "\n"


def test_a_pointer_inside_yaml_never_cuts_a_value_running_on_over_lines(engine: Headroom) -> None:
    import yaml

    text = workflow_with_a_step_twice()
    result = engine.compress(session(text))
    [sent] = tool_texts(result.messages)
    assert pointers(sent)  # the repeated steps are pointed at
    assert yaml.safe_load(sent)["name"] == "CI"
    # the repeat ends before the `run:` value running on over two lines: both lines stay
    assert "progress-bar off\n          pytest-xdist==3.2.0'" in sent
    assert violations(text, sent, "config") == []


def module_with_a_call_twice() -> str:
    arguments = [
        f"        option_number_{i}=compute_default_value({i}, strict=True)," for i in range(14)
    ]
    return "\n".join(
        [
            "import builder",
            "",
            "FIRST = [",
            "    builder.make(",
            *arguments,
            "    ),",
            "]",
            "SECOND = [",
            "    builder.other(",
            *arguments,
            "    ),",
            "]",
            "",
        ]
    )


def test_a_pointer_inside_code_never_leaves_a_bracket_unclosed(engine: Headroom) -> None:
    import ast

    text = module_with_a_call_twice()
    arguments = '{"path": "builder_use.py"}'
    messages = [
        {"role": "user", "content": "Read builder_use.py"},
        *tool_call(text, name="read_file", arguments=arguments),
    ]
    result = engine.compress(messages)
    [sent] = tool_texts(result.messages)
    ast.parse(sent)  # the repeat that would take `),` and `]` with it is not pointed at
    assert violations(text, sent, "code") == []
