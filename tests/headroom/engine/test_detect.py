"""Content kinds come from structure: comment blocks are not markdown, C reads as C."""

import json

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.engine.router import detect

C_SOURCE = "\n".join(
    [
        "/* Per-interpreter module state. Holds the heap type objects so that methods",
        " * can reach them without using static globals,",
        " * along with the cached interned strings. */",
        "typedef struct",
        "{",
        "  PyTypeObject *ObjectProxy_Type;",
        "  PyObject *str_wrapped;                /* the wrapped name */",
        "} ModuleState;",
        "",
    ]
    + [
        f"/* Slot {i}.\n * - returns a new reference\n * - never NULL\n */\n"
        f"static PyObject *\nProxy_slot{i}(ProxyObject *self, PyObject *args)\n{{\n"
        f"  if (!self->wrapped)\n    return NULL;\n  return PyObject_Call(self->wrapped, args, NULL);\n}}\n"
        for i in range(30)
    ]
)

JAVA_SOURCE = "\n".join(
    f"    /**\n     * Returns element {i}.\n     *\n     * @param index the index\n"
    f"     * @return the element\n     */\n    public E get{i}(int index) {{\n"
    f"        Objects.checkIndex(index, size);\n        return elementData(index);\n    }}\n"
    for i in range(30)
)

MARKDOWN = "\n".join(
    f"## Section {i}\n\n* first point about {i}\n* second point\n\nSome prose about it.\n"
    for i in range(20)
)


def test_block_comments_do_not_make_code_look_like_markdown() -> None:
    assert detect(C_SOURCE).kind == "code" and detect(C_SOURCE).language in ("c", "cpp")
    assert detect(JAVA_SOURCE).kind == "code"
    assert detect(MARKDOWN).kind == "text"


def test_a_command_that_names_a_source_file_prints_output_not_that_file() -> None:
    """`python fail.py` prints a traceback and `gcc -c wild.c` diagnostics: the file name in
    the tool call's arguments does not make their output code."""
    from headroom.engine.router import detect

    trace = "\n".join(
        ["Traceback (most recent call last):"]
        + [
            f'  File "/srv/app/fail.py", line {i}, in step_{i}\n    step_{i + 1}()'
            for i in range(40)
        ]
        + ["RecursionError: maximum recursion depth exceeded"]
    )
    assert detect(trace, filename="fail.py").kind == "trace"
    gcc = "\n".join(
        f"wild.c:{i}:9: warning: unused variable 'v{i}' [-Wunused-variable]\n"
        f"  {i} |     int v{i} = {i};\n      |         ^~"
        for i in range(1, 40)
    )
    assert detect(gcc, filename="wild.c").kind == "diagnostics"
    source = "\n".join(f"int f{i}(int a) {{\n    return a + {i};\n}}\n" for i in range(40))
    assert detect(source, filename="wild.c").kind == "code"


def test_declared_xml_quoting_html_is_xml_and_xhtml_is_html() -> None:
    notes = "\n".join(
        f'<p>Release {i}: see <a href="https://example.org/{i}">notes</a>.</p><br><div>{i}</div>'
        for i in range(20)
    )
    deps = "\n".join(
        f"    <dependency>\n      <groupId>org.example</groupId>\n"
        f"      <artifactId>a{i}</artifactId>\n    </dependency>"
        for i in range(8)
    )
    pom = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<project>\n  <description><![CDATA[\n'
        f"{notes}\n]]></description>\n  <dependencies>\n{deps}\n  </dependencies>\n</project>\n"
    )
    assert detect(pom).kind == "config"
    page = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f"<html><head><title>t</title></head><body>\n{notes}\n</body></html>\n"
    )
    assert detect(page).kind == "html"


def test_yaml_holding_html_in_its_values_is_config_not_a_page() -> None:
    ops = "\n".join(
        f"  Op{i}:\n    name: Op{i}\n    http:\n      method: POST\n"
        f"    documentation: <p>Creates suite {i}.</p> <p>See <a href='x'>the guide</a>.</p>"
        for i in range(40)
    )
    assert detect(f"version: '2.0'\noperations:\n{ops}\n").kind == "config"


def test_a_long_comment_header_does_not_hide_what_follows() -> None:
    header = "\n".join(
        f"# Licensed under the terms of section {i} of the license." for i in range(400)
    )
    body = "\n".join(
        f"- name: op{i}\n  dispatch:\n    self: grad_{i}\n    other: 0" for i in range(60)
    )
    assert detect(f"{header}\n\n{body}\n").kind == "config"
    assert detect(header + "\n").kind != "config"  # comments alone: nothing to look past to


def test_toml_with_multi_line_strings_is_config() -> None:
    tasks = "\n".join(
        f'[tasks.t{i}]\ncmd = """\necho step {i}\npython -m build --wheel\n"""\nhelp = "task {i}"\n'
        for i in range(30)
    )
    assert detect(f'name = "demo"\n\n{tasks}').kind == "config"


def test_the_generic_fallback_never_cuts_an_xml_document_into_one_that_does_not_parse() -> None:
    from headroom.ccr.markers import make_ref
    from headroom.compressors.base import CompressContext, default_registry
    from headroom.engine.router import ContentRouter
    from headroom.engine.wellformed import parses_as_xml
    from headroom.tokens import counter_for

    counter = counter_for("gpt-4o")
    words = " ".join(f"word{i} of the release notes" for i in range(6000))
    text = f'<?xml version="1.0"?>\n<notes owner="ops"><text>{words}</text></notes>\n'
    router = ContentRouter(default_registry(), min_savings_tokens=30)
    assert router.detect(text).language == "xml" and parses_as_xml(text)
    tokens = counter.count(text)
    ctx = CompressContext(ref=make_ref(text), query="", budget_tokens=tokens // 20, counter=counter)
    out = router.route(text, ctx, tokens=tokens)
    assert parses_as_xml(out.text)  # no line to drop: left whole rather than cut mid-line


def test_kernel_messages_stamped_with_seconds_since_boot_are_a_log() -> None:
    messages = ["Linux version 6.18.44", "tsc: Detected 2600.000 MHz processor",
                "e820: remove [mem 0x000a0000-0x000fffff] usable", "ACPI: Early table checksum verification disabled",
                "virtio_blk virtio1: [vda] 536870912 512-byte logical blocks", "EXT4-fs (vda): mounted filesystem"]  # fmt: skip
    text = "\n".join(f"[{i * 0.013:12.6f}] {messages[i % len(messages)]} {i}" for i in range(300))
    assert detect(text).kind == "log"  # not a listing whose last column is the message


def test_the_generic_fallback_never_cuts_source_code_into_code_that_does_not_parse() -> None:
    from headroom.ccr.markers import make_ref
    from headroom.compressors._grammars import parser_for
    from headroom.compressors.base import CompressContext, default_registry
    from headroom.engine.router import ContentRouter
    from headroom.tokens import counter_for

    counter = counter_for("gpt-4o")
    # One call whose arguments run over thousands of lines: no span the code compressor
    # may show as a marker, and any line cut from it leaves the call unclosed.
    text = (
        "result = compute(\n"
        + "".join(f"    value_{i} * {i} +\n" for i in range(3000))
        + "    0,\n)\n"
    )
    router = ContentRouter(default_registry(), min_savings_tokens=30)
    assert router.detect(text, filename="calc.py").kind == "code"
    tokens = counter.count(text)
    ctx = CompressContext(
        ref=make_ref(text), query="", budget_tokens=tokens // 10, counter=counter, language="python"
    )
    out = router.route(text, ctx, tokens=tokens, filename="calc.py")
    assert not parser_for("python").parse(out.text.encode()).root_node.has_error


def test_a_minified_bundle_is_cut_by_its_long_line_rather_than_sent_whole() -> None:
    from headroom.ccr.markers import make_ref
    from headroom.compressors.base import CompressContext, default_registry
    from headroom.engine.router import ContentRouter
    from headroom.tokens import counter_for

    counter = counter_for("gpt-4o")
    body = ";".join(f"function f{i}(a,b){{return a*{i}+b-{i % 7}}}" for i in range(4000))
    text = f"/*! lib v1.0 | MIT */\n!function(){{{body}}}();\n"
    router = ContentRouter(default_registry(), min_savings_tokens=30)
    assert router.detect(text, filename="lib.min.js").kind == "code"
    tokens = counter.count(text)
    ctx = CompressContext(ref=make_ref(text), query="", budget_tokens=tokens // 4, counter=counter)
    out = router.route(text, ctx, tokens=tokens, filename="lib.min.js")
    assert out.changed and counter.count(out.text) < tokens // 2
    assert "characters of this line cut]" in out.text  # the cut is marked


def test_a_long_file_of_short_lines_is_not_minified() -> None:
    from headroom.engine.router import _minified

    assert not _minified("x = 1\n" * 60_000)  # every line short, however many
    assert _minified("x = 1\n" * 10 + "y" * 3000 + "\n")


def test_compiled_javascript_whose_class_runs_past_the_sample_is_code_without_a_name() -> None:
    """The detection sample ends inside a long class, leaving one syntax error around all
    of it: the lines still parse, so this is code even with no file name to say so."""
    methods = "\n".join(
        f"    method{i}(input, ctx) {{\n        const result = this._parse(input, ctx);\n"
        f"        if (result.status === 'aborted') {{\n            return INVALID;\n        }}\n"
        f"        return {{ status: result.status, value: result.value + {i} }};\n    }}"
        for i in range(400)
    )
    source = f'"use strict";\nObject.defineProperty(exports, "__esModule", {{ value: true }});\nclass ZodType {{\n{methods}\n}}\nexports.ZodType = ZodType;\n'
    assert len(source) > 2 * 32_768
    detection = detect(source)
    assert (detection.kind, detection.language) == ("code", "javascript")


def test_markdown_with_javascript_blocks_is_not_code_without_a_name() -> None:
    """A page of prose between fenced blocks: its prose lines hold tokens JavaScript can't
    parse, so the code hints of its blocks do not make it code."""
    sections = "\n".join(
        f"## zlib.method{i}(options)\n\nThe `node:zlib` module provides compression number {i},\n"
        f"implemented using Gzip, Deflate/Inflate, and Brotli streams.\n\n"
        f"```js\nconst zlib = require('node:zlib');\nconst stream = zlib.method{i}({{ level: 9 }});\n"
        f"stream.on('data', (chunk) => {{ console.log(chunk.length); }});\n```\n"
        for i in range(60)
    )
    assert detect(sections).kind != "code"


def test_a_named_module_whose_sample_ends_inside_a_literal_or_a_comment_is_code() -> None:
    """The sample checked against the file's name ends wherever its size does: inside a
    table's dict literal, or inside a long licence comment. What it leaves open is closed
    for a second look, so the file is still code."""
    table = "\n".join(f"    '\\\\symbol{i}'{' ' * 12}: ('cmex10', 0x{i:02x})," for i in range(400))
    module = f'"""Font tables."""\n\nfrom __future__ import annotations\n\nlatex_to_bakoma = {{\n{table}\n}}\n'
    detection = detect(module, filename="_mathtext_data.py")
    assert (detection.kind, detection.language) == ("code", "python")
    licence = "\n".join(f"   licence text line {i}, as the authors wrote it." for i in range(120))
    source = (
        f"/* gzlog.c\n{licence}\n */\n\n#include <stdio.h>\n\nint main(void) {{\n  return 0;\n}}\n"
    )
    assert detect(source, filename="gzlog.c").kind == "code"


def test_git_blame_of_a_named_module_is_not_that_module() -> None:
    """`git blame guard.py` numbers every line after its commit, author and date: its
    docstring and code still parse around the prefixes, but lines that carry their own
    consecutive numbers are lines about the file, not the file."""
    source = ['"""Bounded store calls: whatever the database does, a call returns.', ""]
    source += [
        f"Line {i} of the module's docstring, which explains the deadline." for i in range(40)
    ]
    source += ['"""', "", "from __future__ import annotations", "", "import atexit", "import queue"]
    source += [
        f"def call_{i}(store, deadline):\n    return store.call(deadline, {i})\n" for i in range(60)
    ]
    lines = "\n".join(source).split("\n")
    blame = "\n".join(
        f"{'2f009858' if i % 3 else '944d62af'} (Seed maintainers 2026-11-26 10:32:01 +0000 {i + 1:3d}) {line}"
        for i, line in enumerate(lines)
    )
    assert detect(blame, filename="guard.py").kind != "code"
    assert detect("\n".join(lines), filename="guard.py").kind == "code"


def test_source_of_a_language_with_no_grammar_keeps_its_lines_by_its_name() -> None:
    """A Perl module holding a column-aligned table reads as a listing without its name;
    named `ko.pl` it is source code: no table form rewrites its lines."""
    rows = "\n".join(
        f"F{i:03X}      ; [.41{i % 90:02d}.0021.0002.4E0D][.4200.0020.0002] # CJK IDEOGRAPH-F{i:03X}"
        for i in range(300)
    )
    source = (
        f"use Unicode::Collate::CJK::Korean;\n+{{\n   entry => <<'ENTRY',\n{rows}\nENTRY\n}};\n"
    )
    assert detect(source).kind == "listing"
    assert detect(source, filename="ko.pl").kind == "lines"
    engine = Headroom(HeadroomConfig(budget_scale=20.0), store=SqlStore("sqlite://"))
    arguments = json.dumps({"path": "share/perl/Unicode/Collate/Locale/ko.pl"})
    read_call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "read", "arguments": arguments},
    }
    messages = [
        {"role": "user", "content": "What does ko.pl hold?"},
        {"role": "assistant", "content": None, "tool_calls": [read_call]},
        {"role": "tool", "tool_call_id": "call_1", "content": source},
    ]
    out = engine.compress(messages).messages[2]["content"]
    original = set(source.split("\n"))
    kept = [line for line in out.split("\n") if not line.startswith("[headroom")]
    assert len(kept) > 10 and all(line in original for line in kept)
