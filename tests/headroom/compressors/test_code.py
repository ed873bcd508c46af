import ast
import re
from pathlib import Path

import pytest

from headroom import Headroom
from headroom.ccr.markers import ANY_MARKER_RE, MARKER_RE, find_markers, make_ref
from headroom.compressors._grammars import FUNCTION_NODES, parser_for
from headroom.compressors.base import CompressContext
from headroom.compressors.code import CodeCompressor
from headroom.engine.query import focus_of
from headroom.tokens import counter_for
from tests.conftest import corpus_files, small_fixture_config
from tests.conversations import openai_conversation

COUNTER = counter_for("gpt-4o")
CODE_FILES = corpus_files("code")


def error_count(node) -> int:
    return (node.type == "ERROR" or node.is_missing) + sum(error_count(c) for c in node.children)


def ctx_for(
    text: str, language: str, query: str = "", budget: int | None = None
) -> CompressContext:
    return CompressContext(
        ref=make_ref(text),
        query=query,
        focus=focus_of(query, text),
        budget_tokens=COUNTER.count(text) // 4 if budget is None else budget,
        counter=COUNTER,
        language=language,
    )


def _declared_name(node):
    """C / C++: the identifier at the end of the declarator chain."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type not in (
        "identifier",
        "field_identifier",
        "qualified_identifier",
        "destructor_name",
        "operator_name",
    ):
        declarator = declarator.child_by_field_name("declarator")
    return declarator


def function_names(text: str, language: str) -> list[str]:
    parser = parser_for(language)
    names, stack = [], [parser.parse(text.encode()).root_node]
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_NODES:
            name = node.child_by_field_name("name") or _declared_name(node)
            if name is not None:
                names.append(name.text.decode())
            continue  # functions nested in a body go with that body (top-level signatures only)
        stack.extend(node.children)
    return names


@pytest.mark.parametrize("corpus_file", CODE_FILES, ids=lambda f: f.id)
def test_output_parses_keeps_signatures_and_markers_resolve(engine: Headroom, corpus_file) -> None:
    text = corpus_file.text()
    language = corpus_file.language
    result = engine.compress_text(text, filename=corpus_file.path.name)
    assert result.kind == "code" and result.language == language
    parser = parser_for(language)
    before = error_count(parser.parse(text.encode()).root_node)
    after = error_count(parser.parse(result.text.encode()).root_node)
    assert after <= before and (before > 0 or after == 0)
    for name in set(function_names(text, language)):
        assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", result.text), (
            f"signature of {name} lost"
        )
    for marker in find_markers(result.text):
        assert engine.retrieve(marker.ref) == text
    for needle in corpus_file.needles:
        assert needle in result.text or needle in (
            engine.retrieve(result.refs[0], query=needle) or ""
        )


@pytest.mark.parametrize(
    "corpus_file", [f for f in CODE_FILES if f.id != "zod-types.d.ts"], ids=lambda f: f.id
)
def test_bodies_are_elided_when_over_budget(corpus_file) -> None:
    text = corpus_file.text()
    result = CodeCompressor().compress(text, ctx_for(text, corpus_file.language))
    assert result is not None and result.kept < result.total
    assert COUNTER.count(result.text) < COUNTER.count(text) * 0.8


def test_function_named_in_the_query_keeps_its_whole_body() -> None:
    source = next(f for f in CODE_FILES if f.language == "python").text()
    # The middle one of the file's uniquely named functions with a body of 8+ lines.
    functions = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and (node.end_lineno or 0) - node.lineno >= 8
    ]
    names = [node.name for node in functions]
    unique = [node for node in functions if names.count(node.name) == 1]
    target = sorted(unique, key=lambda node: node.lineno)[len(unique) // 2]
    result = CodeCompressor().compress(
        source, ctx_for(source, "python", query=f"explain {target.name} please")
    )
    assert result is not None
    body = source.split("\n")[target.lineno - 1 : target.end_lineno]
    code_lines = [line for line in body if line.strip() and not line.strip().startswith("#")]
    for line in code_lines:
        assert line in result.text


def test_docstring_keeps_its_first_line_and_is_never_reclosed() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(30))
    more = "".join(f"    More about it, at length, part {i} of the story.\n" for i in range(8))
    source = (
        "\n\n".join(
            f'def f{n}(a, b):\n    """Compute thing {n}.\n\n{more}    """\n{body}\n    return a'
            for n in range(20)
        )
        + "\n"
    )
    result = CodeCompressor().compress(source, ctx_for(source, "python"))
    assert result is not None
    assert re.search(
        r'    """Compute thing (\d+)\.\n    \[headroom: 9 lines\]\n    """\n    # \[headroom: 31 lines\]',
        result.text,
    )
    assert not re.search(r'""".+"""', result.text)  # no docstring cut and closed again
    assert_expands_to_original(result.text, source)
    assert not parser_for("python").parse(result.text.encode()).root_node.has_error


def test_unknown_language_passes_through() -> None:
    text = "x" * 100
    assert CodeCompressor().compress(text, ctx_for(text, "cobol")) is None


def test_import_runs_keep_their_first_import_and_count_the_rest() -> None:
    go = (
        "package p\n\nimport (\n"
        + "".join(f'\t"example.com/pkg{i}"\n' for i in range(12))
        + ")\n\n"
    )
    go += "".join(
        f"func F{n}(x int) int {{\n"
        + "".join(f"\tx += {i}\n" for i in range(20))
        + "\treturn x\n}\n\n"
        for n in range(8)
    )
    result = CodeCompressor().compress(go, ctx_for(go, "go", budget=60))
    assert result is not None
    assert 'import (\n\t"example.com/pkg0"\n\t// [headroom: 11 lines]\n)\n' in result.text
    assert_expands_to_original(result.text, go)
    modules = "".join(f"import module_number_{i}\n" for i in range(12))
    py = (
        "import os\nfrom typing import (\n    Any,\n    Dict,\n)\n"
        + modules
        + "\n"
        + "\n\n".join(
            f"def f{n}(x):\n" + "\n".join(f"    x += {i}" for i in range(20)) + "\n    return x"
            for n in range(10)
        )
    )
    out = CodeCompressor().compress(py, ctx_for(py, "python", budget=60))
    assert out is not None and out.text.startswith("import os\n# [headroom: 16 lines]\n\n")
    assert ";" not in out.text.rsplit("\n", 1)[0]  # nothing joined
    assert_expands_to_original(out.text, py)
    assert not parser_for("python").parse(out.text.encode()).root_node.has_error


def test_language_comes_from_the_file_name_in_the_tool_call(store) -> None:
    engine = Headroom(small_fixture_config(), store=store)
    component = "\n\n".join(
        f"export function Card{n}(props: {{ title: string }}) {{\n  const items = [1, 2, 3];\n"
        + "\n".join(f"  console.log(props.title, {i});" for i in range(15))
        + f'\n  return <div className="card">{{props.title}} {n}</div>;\n}}'
        for n in range(12)
    )
    call = {"call_id": "c1", "name": "read_file", "arguments": '{"path": "web/src/Card.tsx"}'}
    messages = openai_conversation(component, "Review this component", system=None, **call)
    result = engine.compress(messages)
    out = result.messages[2]["content"]
    assert out != component
    assert re.search(r"export function Card3\(.*\n  // \[headroom: \d+ lines\]\n}", out)
    assert not parser_for("tsx").parse(out.encode()).root_node.has_error


def test_real_c_file() -> None:
    source = (Path(__file__).resolve().parents[2] / "data" / "lazy_object_proxy-cext.c").read_text()
    # Three fifths of its tokens: bodies go and every function keeps its name (far below,
    # where even the outline is over the budget, runs of definitions go too: see the
    # generated-module tests).
    budget = COUNTER.count(source) * 3 // 5
    result = CodeCompressor().compress(source, ctx_for(source, "c", budget=budget))
    assert result is not None and result.kept < result.total
    parser = parser_for("c")
    assert error_count(parser.parse(result.text.encode()).root_node) <= error_count(
        parser.parse(source.encode()).root_node
    )
    names = set(function_names(source, "c"))
    assert len(names) > 20  # the check below is not vacuous
    for name in names:
        assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", result.text), name
    assert re.search(r"\n\s+// \[headroom: \d+ lines?\]\n}", result.text)
    assert_expands_to_original(result.text, source)


GAP_LINE = re.compile(r"^\s*(?:\.\.\.  # |# |// )?\[headroom: (\d+) lines?\]$")


def assert_expands_to_original(output: str, original: str) -> None:
    """Every output line is the next original line, whole, or a gap marker standing for
    exactly the next N original lines; the last line is the closing marker, the only one
    that states the ref."""
    lines = output.split("\n")
    closing = lines.pop()
    assert MARKER_RE.search(closing)
    assert len(MARKER_RE.findall(output)) == 1  # the ref is stated once
    source = original.split("\n")
    at = 0
    for line in lines:
        gap = GAP_LINE.match(line)
        if gap:
            at += int(gap.group(1))
        else:
            assert line == source[at], (at, line)
            at += 1
    assert at == len(source)


@pytest.mark.parametrize("corpus_file", CODE_FILES, ids=lambda f: f.id)
def test_every_output_line_is_an_original_line_or_counts_a_gap(corpus_file) -> None:
    text = corpus_file.text()
    for budget in (COUNTER.count(text) // 4, COUNTER.count(text) // 2):
        result = CodeCompressor().compress(text, ctx_for(text, corpus_file.language, budget=budget))
        if result is None:
            continue  # nothing worth a marker to leave out
        assert_expands_to_original(result.text, text)
        gaps = [m for m in ANY_MARKER_RE.finditer(result.text) if m["ref"] is None]
        assert all(COUNTER.count(m.group(0)) <= 10 for m in gaps)  # short: no ref in each


def test_within_budget_nothing_is_left_out() -> None:
    text = CODE_FILES[0].text()
    ctx = ctx_for(text, CODE_FILES[0].language, budget=COUNTER.count(text))
    assert CodeCompressor().compress(text, ctx) is None


HEADER = "\n\n".join(
    f"/**\n * Open stream number {n} for reading.\n *\n"
    + "".join(
        f" * Detail {i} of stream {n}: the flags it takes and what they mean.\n" for i in range(8)
    )
    + (" * Returns -EAGAIN when the ring is full.\n" if n == 7 else "")
    + f" */\nint stream_open_{n}(struct stream *s, int flags);"
    for n in range(30)
)


def test_comments_keep_their_first_line_and_are_dropped_only_past_the_budget() -> None:
    roomy = CodeCompressor().compress(
        HEADER, ctx_for(HEADER, "c", budget=COUNTER.count(HEADER) * 3 // 4)
    )
    assert roomy is not None and roomy.text.count(" * Detail 7 of") > 5  # kept within budget
    tight = CodeCompressor().compress(HEADER, ctx_for(HEADER, "c", budget=1_100))
    assert tight is not None
    for n in range(30):  # every declaration and the first line of its doc comment
        assert f" * Open stream number {n} for reading.\n" in tight.text
        assert f"int stream_open_{n}(struct stream *s, int flags);" in tight.text
    assert " * Detail 3 of stream 12" not in tight.text
    assert_expands_to_original(tight.text, HEADER)
    assert not parser_for("c").parse(tight.text.encode()).root_node.has_error
    # Below what the declarations alone cost, the run of documented declarations goes but
    # its first and last: the budget holds.
    below = CodeCompressor().compress(HEADER, ctx_for(HEADER, "c", budget=300))
    assert below is not None and COUNTER.count(below.text) <= 300
    assert "int stream_open_0(" in below.text and "int stream_open_29(" in below.text
    assert_expands_to_original(below.text, HEADER)
    assert not parser_for("c").parse(below.text.encode()).root_node.has_error


@pytest.mark.parametrize("language", ["c", "typescript"])
def test_a_comment_line_the_question_quotes_is_kept(language: str) -> None:
    source = (
        HEADER
        if language == "c"
        else re.sub(
            r"int (\w+)\(struct stream \*s, int flags\);",
            r"export declare function \1(s: Stream, flags: number): number;",
            HEADER,
        )
    )
    query = 'Where does it say "Returns -EAGAIN when the ring is full"?'
    result = CodeCompressor().compress(source, ctx_for(source, language, query=query, budget=50))
    assert result is not None
    assert " * Returns -EAGAIN when the ring is full.\n" in result.text
    assert " * Detail 3 of stream 12" not in result.text
    assert_expands_to_original(result.text, source)


def test_a_body_line_the_question_quotes_keeps_its_body() -> None:
    functions = [
        f"static int check_{n}(PyObject *self)\n{{\n"
        + "".join(f"    int v{i} = PyObject_IsTrue(self) + {i};\n" for i in range(12))
        + ("    if (is_false)\n        return -1;\n" if n == 17 else "")
        + "    return v0;\n}\n"
        for n in range(30)
    ]
    source = "#include <Python.h>\n\nstatic int is_false = 0;\n\n" + "\n".join(functions)
    line = next(row for row in source.split("\n") if row.strip() == "if (is_false)")
    result = CodeCompressor().compress(
        source, ctx_for(source, "c", query="What about `if (is_false)`?", budget=100)
    )
    assert result is not None and line + "\n" in result.text
    assert_expands_to_original(result.text, source)


@pytest.mark.parametrize(
    ("language", "source"),
    [
        (
            "javascript",
            "var Kind;\n(function (Kind) {\n"
            + "".join(f'    Kind["K{i}"] = "K{i}";\n' for i in range(40))
            + "})(Kind = exports.Kind || (exports.Kind = {}));\nvar clear = (cont) => (key) => {\n"
            + "".join(f"  cont[key].delete({i});\n" for i in range(30))
            + "};\n"
            + "".join(
                f"function g{n}(a) {{\n"
                + "".join(f"  a += {i} * {n};\n" for i in range(30))
                + "  return a;\n}\n"
                for n in range(6)
            ),
        ),
        (
            "rust",
            "use a::b;\nuse c::d;\nuse e::f;\nuse g::h;\nuse i::j;\nuse k::l;\nuse m::n;\nuse o::p;\n\n"
            + "".join(
                f"/// Adds things number {n}.\n///\n/// More words about it here.\n/// And here, more of them.\n/// And here.\nfn add{n}(x: u32) -> u32 {{\n"
                + "".join(f"    let x = x + {i};\n" for i in range(30))
                + "    x\n}\n\n"
                for n in range(6)
            ),
        ),
        (
            "java",
            "import java.util.List;\nimport java.util.Map;\nimport java.util.Set;\nimport java.util.Optional;\nimport java.util.function.Predicate;\n\nclass A {\n"
            + "".join(
                f"    /**\n     * Does thing {n}.\n     *\n     * @param x the input of thing {n}, which is long\n     * @return the output of thing {n}, also long\n     */\n    public int thing{n}(int x) {{\n"
                + "".join(f"        x += {i};\n" for i in range(30))
                + "        return x;\n    }\n"
                for n in range(6)
            )
            + "}\n",
        ),
    ],
    ids=["javascript", "rust", "java"],
)
def test_each_language_keeps_whole_lines_and_still_parses(language: str, source: str) -> None:
    result = CodeCompressor().compress(source, ctx_for(source, language, budget=120))
    assert result is not None and result.kept < result.total
    assert_expands_to_original(result.text, source)
    assert not parser_for(language).parse(result.text.encode()).root_node.has_error


def test_spans_do_not_depend_on_the_order_tree_sitter_lists_captures_in() -> None:
    from headroom.compressors._code_spans import spans_of

    blocks = [
        f"// Handler{i} serves route {i}.\n//   It checks the token first.\n"
        f"//   Then it reads the body.\n//   Errors go to the log.\n"
        f"func Handler{i}(w http.ResponseWriter, r *http.Request) {{\n"
        + "".join(f"\tstep{j}(w, r, {i})\n" for j in range(6))
        + "}\n"
        for i in range(120)
    ]
    source = ("package main\n\n" + "\n".join(blocks)).encode()
    parser = parser_for("go")
    lines = source.split(b"\n")
    found = [spans_of(parser.parse(source).root_node, lines, "go") for _ in range(4)]
    assert all(spans == found[0] for spans in found)
    spans, bodies = found[0]
    assert bodies == 120
    assert sum(1 for span in spans if span.kind == "comment") == 120  # each block's rest


def test_a_generated_headers_define_tables_go_its_prototypes_stay() -> None:
    lines = ["#ifndef GEN_H", "#define GEN_H", ""]
    for kind in ("CERT", "CRL", "REQ", "NAME", "EXT", "ATTR", "OBJ", "KEY"):
        lines += [
            f"#define sk_{kind}_{op}(sk) generic_sk_{op}(check_{kind}_sk_type(sk))"
            for op in ("num", "value", "new", "free", "zero", "push", "pop", "shift", "sort", "dup")
        ]
        lines += [f"int {kind.lower()}_print(FILE *fp, const {kind} *item);", ""]
    lines += ["#endif"]
    source = "\n".join(lines)
    result = CodeCompressor().compress(
        source, ctx_for(source, "c", budget=COUNTER.count(source) // 2)
    )
    assert result is not None
    out = result.text.split("\n")
    for kind in ("CERT", "CRL", "REQ", "NAME", "EXT", "ATTR", "OBJ", "KEY"):
        assert f"int {kind.lower()}_print(FILE *fp, const {kind} *item);" in out
    assert sum(1 for line in out if line.startswith("#define sk_")) < 40
    assert all(line in lines or ANY_MARKER_RE.search(line) for line in out)


def test_a_generated_headers_prototype_and_typedef_tables_go_last_when_over_budget() -> None:
    lines = ["#ifndef GEN_EXT_H", "#define GEN_EXT_H 1", ""]
    for ext in range(30):
        lines += [f"#ifndef GL_EXT_{ext}", f"#define GL_EXT_{ext} 1"]
        lines += [
            f"typedef void (*PFNGLEXT{ext}OP{op}PROC) (GLenum target, GLint level);"
            for op in range(8)
        ]
        lines += ["#ifdef GL_GLEXT_PROTOTYPES"]
        lines += [f"extern void glExt{ext}Op{op} (GLenum target, GLint level);" for op in range(8)]
        lines += ["#endif", f"#endif /* GL_EXT_{ext} */", ""]
    lines += ["#endif"]
    source = "\n".join(lines)
    whole = COUNTER.count(source)
    out = _verbatim_output(lines, "c", whole // 3)
    assert not parser_for("c").parse("\n".join(out).encode()).root_node.has_error
    for ext in range(30):  # each table's first and last entry stay, and every guard
        assert f"extern void glExt{ext}Op0 (GLenum target, GLint level);" in out
        assert f"extern void glExt{ext}Op7 (GLenum target, GLint level);" in out
        assert f"#ifndef GL_EXT_{ext}" in out
    assert COUNTER.count("\n".join(out)) < whole // 2


def _verbatim_output(lines: list[str], language: str, budget: int) -> list[str]:
    """The compressed lines of `lines`, each an original line or a marker."""
    source = "\n".join(lines)
    result = CodeCompressor().compress(source, ctx_for(source, language, budget=budget))
    assert result is not None
    out = result.text.split("\n")
    assert all(line in lines or ANY_MARKER_RE.search(line) for line in out)
    return out


def _generated_module() -> list[str]:
    """A protobuf-style generated module: descriptor calls with long argument lists,
    then one line per field, each from one template."""
    lines = ["from google.protobuf import descriptor as _descriptor", ""]
    for message in range(12):
        lines += [f"_MESSAGE{message} = _descriptor.Descriptor("]
        lines += [f"  name='Message{message}',", f"  full_name='pkg.Message{message}',"]
        lines += [
            f"  field_{n}=_descriptor.FieldDescriptor(index={n}, number={n + 1}),"
            for n in range(14)
        ]
        lines += ["  serialized_options=None,", ")", ""]
    for message in range(12):
        lines += [
            f"_MESSAGE{message}.fields[{n}]._features = _Resolved(presence=_PRESENCE.values_by_name['EXPLICIT'].number, message={message})"
            for n in range(10)
        ]
    lines += ['_TEMPLATE = """', *[f"row {n} = value({n})" for n in range(10)], '"""']
    return lines


def test_a_generated_modules_call_arguments_and_template_lines_go_when_over_budget() -> None:
    lines = _generated_module()
    whole = COUNTER.count("\n".join(lines))
    out = _verbatim_output(lines, "python", whole // 4)
    ast.parse("\n".join(out))  # the markers stand where whole arguments and statements were
    for message in range(12):  # every call keeps its first and last argument
        assert f"_MESSAGE{message} = _descriptor.Descriptor(" in out
        assert f"  name='Message{message}'," in out
        assert "  serialized_options=None," in out
    # a run of one template keeps its first and last line, its interior goes
    assert (
        "_MESSAGE0.fields[0]._features = _Resolved(presence=_PRESENCE.values_by_name['EXPLICIT'].number, message=0)"
        in out
    )
    assert sum(1 for line in out if "._features = _Resolved(" in line) < 40
    # lines of one template inside a string literal are no statements: they stay
    assert all(f"row {n} = value({n})" in out for n in range(10))
    assert COUNTER.count("\n".join(out)) < whole // 2


def test_a_generators_lines_reaching_to_different_depths_are_one_run() -> None:
    """`_M._features = ...` before each message's `_M.fields[n]._features = ...` lines (as
    protobuf writes them): one template whatever the accessors, so one run, shown from its
    head as far as the budget pays; not each message's short run keeping its first and last
    line, which had left a generated module 1.6x over its budget."""
    lines = ["from google.protobuf import descriptor as _descriptor", ""]
    for message in range(40):
        features = "_Resolved(presence=_PRESENCE.values_by_name['EXPLICIT'].number)"
        lines.append(f"_MESSAGE{message}._features = {features}")
        lines += [f"_MESSAGE{message}.fields[{n}]._features = {features}" for n in range(8)]
    whole = COUNTER.count("\n".join(lines))
    out = _verbatim_output(lines, "python", whole // 4)
    ast.parse("\n".join(out))
    assert COUNTER.count("\n".join(out)) <= 1.05 * (whole // 4)  # its gap marker aside
    assert lines[2] in out and lines[-1] in out  # the run's first and last line stay
    shown = sum(1 for line in out if "._features = " in line)
    assert shown > 20  # its head, as far as the budget pays
    assert lines[2:shown] == out[2:shown]


def test_statements_of_one_template_inside_a_function_kept_stay_whole() -> None:
    body = [f"    registry.add('name{n}', {n})" for n in range(10)]
    others = [
        f"def helper{n}(x):\n    y = x + {n}\n    z = y * 2\n    return z - {n}\n" for n in range(6)
    ]
    lines = ["def register(registry):", *body, "", *"\n".join(others).split("\n")]
    source = "\n".join(lines)
    result = CodeCompressor().compress(
        source, ctx_for(source, "python", query="what does `register` add?", budget=10)
    )
    assert result is None or all(line in result.text.split("\n") for line in body)


def test_a_file_name_makes_code_only_of_lines_that_parse_as_its_language() -> None:
    from headroom.engine.router import detect

    source = "\n".join(
        f"class Handler{n}:\n    def run(self, job):\n        return job.result({n})\n"
        for n in range(700)
    )
    assert detect(source, filename="handlers.py").kind == "code"  # its sample is cut mid-class
    blame = "\n".join(
        f"57facaa9 (Dev One 2026-11-25 20:45:23 +0000 {i + 1:>4}) {line}"
        for i, line in enumerate(source.split("\n"))
    )
    numbered = "\n".join(f"{i + 1:>6}\t{line}" for i, line in enumerate(source.split("\n")))
    for text in (blame, numbered):
        assert detect(text, filename="handlers.py").kind != "code"


def generated_table_module() -> str:
    rows = "\n".join(f"    ({n * 7 % 256}, FLAG_{n % 3}, {n * 13 % 97})," for n in range(2000))
    return (
        '"""A generated decoding table and the one function that reads it."""\n\n'
        "FLAG_0, FLAG_1, FLAG_2 = 1, 2, 4\n\n"
        f"TABLE = [\n{rows}\n]\n\n\n"
        "def decode(data):\n"
        "    state = 0\n"
        "    for byte in data:\n"
        "        state, flags, out = TABLE[state * 16 + (byte >> 4)]\n"
        "        if flags & FLAG_2:\n"
        "            raise ValueError('invalid encoding')\n"
        "    return state\n"
    )


def test_a_generated_table_goes_before_the_logic_and_shows_the_rows_that_fit() -> None:
    text = generated_table_module()
    result = CodeCompressor().compress(text, ctx_for(text, "python"))
    assert result is not None
    ast.parse(result.text)  # a marker comment stands inside the literal
    assert "            raise ValueError('invalid encoding')" in result.text  # the logic stays
    shown = [line for line in result.text.split("\n") if line.startswith("    (")]
    assert 200 < len(shown) < 2000  # the table's first rows, as many as the budget leaves
    last = f"    ({1999 * 7 % 256}, FLAG_{1999 % 3}, {1999 * 13 % 97}),"
    assert shown[0] == "    (0, FLAG_0, 0)," and shown[-1] == last  # and its last row
    assert COUNTER.count(result.text) <= COUNTER.count(text) // 4 * 1.05


def test_an_object_of_methods_is_code_not_data() -> None:
    methods = "\n".join(
        f"  handle{n}: async (request) => {{\n    const body = parse(request, {n});\n"
        f"    const user = await lookup(body.user, {{ retries: {n % 4} }});\n"
        f"    if (!user) throw new Error('no user for request {n}');\n"
        f"    audit(user, body, 'handle{n}');\n"
        f"    return respond(body, user, {n});\n  }},"
        for n in range(60)
    )
    text = f"module.exports = {{\n{methods}\n}};\n"
    result = CodeCompressor().compress(text, ctx_for(text, "javascript"))
    assert result is not None
    for n in range(60):
        assert f"  handle{n}: async (request) => {{" in result.text  # every signature stays


def test_a_long_string_literal_loses_its_middle_inside_the_literal_and_still_parses() -> None:
    import ast

    from tests.audit import violations

    blob = "".join(f"\\x{(i * 37) % 256:02x}" for i in range(6000)) + "#tail"
    functions = "\n".join(
        f"def handler_{i}(event):\n    value = event.get('k{i}')\n    return value * {i}\n"
        for i in range(20)
    )
    text = f"import pool\n\nDESCRIPTOR = pool.add(b'{blob}')  # the file's descriptor\n" + (
        f"SERIALIZED = b'{blob}'\n\n{functions}"
    )
    result = CodeCompressor().compress(text, ctx_for(text, "python", budget=600))
    assert result is not None
    ast.parse(result.text)  # the cut is inside the literal
    assert violations(text, result.text, "code") == []
    line = next(row for row in result.text.split("\n") if row.startswith("SERIALIZED"))
    # its end after the marker is verbatim, and holds no `#` (it would read as a comment)
    assert "characters of this line cut]" in line and line.endswith("cut]tail'")
    assert "middle of 1 long strings cut" in result.text
    # a comment after the literal: that line is never cut (its end would read as a comment)
    assert f"DESCRIPTOR = pool.add(b'{blob}')" in result.text


def test_a_stub_file_of_signatures_over_its_budget_still_parses() -> None:
    lines = ["from typing import overload", "", "class Axes:"]
    for i in range(120):
        extra = "".join(f", p{k}: int = ..." for k in range(i % 4))  # signatures of many shapes
        lines += [
            f"    def method_{i}(self, x: float{extra}, *, label: str = ...) -> list[int]: ..."
        ]
    lines += ["", "def helper(a: int) -> int: ..."]
    whole = COUNTER.count("\n".join(lines))
    out = _verbatim_output(lines, "python", whole // 2)
    ast.parse("\n".join(out))  # whole signatures left out, never half of one
    assert lines[3] in out and lines[3 + 119] in out  # a run's first and last stay
    assert COUNTER.count("\n".join(out)) <= whole * 0.6


def test_a_declaration_file_of_documented_members_over_its_budget_keeps_to_it() -> None:
    # A generated `.d.ts`: a JSDoc over every member, each member ending in `;`. The
    # comments between members neither break a run nor keep it whole.
    lines = ["declare module 'node:inspector' {", "    interface Session {"]
    for i in range(150):
        lines += [
            "        /**",
            f"         * Posts the command number {i} to the back-end of the session.",
            "         */",
            f"        post(method: 'Domain.command{i}', callback?: (err: Error | null) => void): void;",
        ]
    lines += ["    }", "}"]
    whole = COUNTER.count("\n".join(lines))
    out = _verbatim_output(lines, "typescript", whole // 3)
    assert not parser_for("typescript").parse("\n".join(out).encode()).root_node.has_error
    assert lines[5] in out and lines[-3] in out  # the run's first and last member stay
    assert COUNTER.count("\n".join(out)) <= whole * 0.4


def test_overloads_of_a_stub_file_are_one_run_of_definitions() -> None:
    # `@overload` stubs (decorated definitions) and the signature after them (a plain
    # definition) alternate: definitions of one sort whatever their node types.
    lines = ["from typing import overload", "", "class Commands:"]
    for i in range(60):
        lines += [
            "    @overload",
            f"    def command_{i}(self, key: str, *, sync: bool = ...) -> bytes: ...",
            "    @overload",
            f"    def command_{i}(self, key: bytes, *, sync: bool = ...) -> bytes: ...",
            f"    def command_{i}(self, key: str | bytes, *, sync: bool = ...) -> bytes: ...",
        ]
    whole = COUNTER.count("\n".join(lines))
    out = _verbatim_output(lines, "python", whole // 3)
    ast.parse("\n".join(out))
    assert COUNTER.count("\n".join(out)) <= whole * 0.4


def test_a_module_of_many_classes_over_its_outline_keeps_every_class_and_counts_bodies() -> None:
    # Even every body left out, the signatures are over the budget: the members of each
    # class go (first and last stay) before any class does, bodies counted exactly.
    lines = ["import os", ""]
    for c in range(12):
        lines += [f"class Commands{c}:", f'    """Commands of group {c}."""', ""]
        for m in range(20):
            lines += [
                f"    def command_{c}_{m}(self, key: str, value: int = {m}) -> int:",
                f"        total_{c}_{m} = len(key) + value * {c + 1}",
                f"        os.environ.setdefault('K{c}_{m}', str(total_{c}_{m}))",
                f"        return total_{c}_{m}",
                "",
            ]
    source = "\n".join(lines)
    whole = COUNTER.count(source)
    budget = whole // 8
    result = CodeCompressor().compress(source, ctx_for(source, "python", budget=budget))
    assert result is not None
    ast.parse(result.text)
    assert COUNTER.count(result.text) <= budget * 1.25
    assert all(f"class Commands{c}:" in result.text for c in range(12))
    shown = sum(
        f"        return total_{c}_{m}\n" in result.text for c in range(12) for m in range(20)
    )
    assert f"kept {shown} of 240 function bodies" in result.text


def test_a_module_of_imports_only_shows_as_many_as_the_budget_holds() -> None:
    """A package's `__init__.py` re-exporting 600 names is one run of imports: past the
    budget it shows its first imports as the budget allows, one marker after them, not a
    marker for all of them."""
    names = [f"Block{i}Param" for i in range(600)]
    source = "from __future__ import annotations\n\n" + "\n".join(
        f"from .block_{i}_param import {name} as {name}" for i, name in enumerate(names)
    )
    budget = COUNTER.count(source) // 3
    result = CodeCompressor().compress(source, ctx_for(source, "python", budget=budget))
    assert result is not None
    shown = [line for line in result.text.split("\n") if line.startswith("from .block_")]
    assert 100 < len(shown) < 600
    assert shown == source.split("\n")[2 : 2 + len(shown)]  # the first ones, in order
    assert COUNTER.count(result.text) <= budget * 1.1
    ast.parse(result.text)


def test_an_object_of_one_line_methods_over_its_budget_holds_it() -> None:
    """A constructor's methods as an object literal, each body one line: no body is worth
    its marker, so the file is over its budget with every body elided that can be; the
    members of the object (each ending in a `,`) are then a run of definitions that goes."""
    methods = "\n".join(
        f"    method{i}(arg, params) {{\n      return helper{i}(this, arg, params);\n    }},"
        for i in range(300)
    )
    source = (
        'import * as core from "../core/index.js";\n\n'
        'export const ZodType = core.$constructor("ZodType", (inst, def) => {\n'
        "  inst.def = def;\n}, {\n" + methods + "\n});\n"
    )
    budget = COUNTER.count(source) // 3
    result = CodeCompressor().compress(source, ctx_for(source, "javascript", budget=budget))
    assert result is not None
    out = result.text
    assert COUNTER.count(out) <= budget * 1.25
    assert "    method0(arg, params) {" in out and "    method299(arg, params) {" in out
    assert not parser_for("javascript").parse(out.encode()).root_node.has_error
