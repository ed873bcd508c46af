import ast
import re
from pathlib import Path

import pytest

from headroom import Headroom
from headroom.ccr.markers import find_markers, make_ref
from headroom.compressors._grammars import FUNCTION_NODES, parser_for
from headroom.compressors.base import CompressContext
from headroom.compressors.code import CodeCompressor
from headroom.tokens import counter_for
from tests.conftest import corpus_files, small_fixture_config
from tests.conversations import openai_conversation

COUNTER = counter_for("gpt-4o")
CODE_FILES = corpus_files("code")


def error_count(node) -> int:
    return (node.type == "ERROR" or node.is_missing) + sum(error_count(c) for c in node.children)


def ctx_for(text: str, language: str, query: str = "") -> CompressContext:
    return CompressContext(
        ref=make_ref(text),
        query=query,
        budget_tokens=COUNTER.count(text) // 4,
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


def test_python_placeholder_keeps_docstring_first_line() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(30))
    source = (
        "\n\n".join(
            f'def f{n}(a, b):\n    """Compute thing {n}.\n\n    More.\n    """\n{body}\n    return a'
            for n in range(20)
        )
        + "\n"
    )
    result = CodeCompressor().compress(source, ctx_for(source, "python"))
    assert result is not None
    assert re.search(
        r'    """Compute thing (\d+)."""\n    \.\.\.  # \[headroom: body of f\1 omitted',
        result.text,
    )
    assert not parser_for("python").parse(result.text.encode()).root_node.has_error


def test_unknown_language_passes_through() -> None:
    text = "x" * 100
    assert CodeCompressor().compress(text, ctx_for(text, "cobol")) is None


def test_imports_are_collapsed_onto_one_line() -> None:
    go = corpus_files("code")[0]
    assert go.language == "go"
    result = CodeCompressor().compress(go.text(), ctx_for(go.text(), "go"))
    assert result is not None
    assert 'import ("bytes"; "context"; "errors";' in result.text
    py = "import os\nimport sys\nfrom typing import (\n    Any,\n    Dict,\n)\n\n" + "\n\n".join(
        f"def f{n}(x):\n" + "\n".join(f"    x += {i}" for i in range(20)) + "\n    return x"
        for n in range(10)
    )
    out = CodeCompressor().compress(py, ctx_for(py, "python"))
    assert out is not None and out.text.startswith(
        "import os; import sys; from typing import (Any, Dict)\n"
    )
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
    assert out != component and "body of Card3 omitted" in out
    assert not parser_for("tsx").parse(out.encode()).root_node.has_error


def test_real_c_file() -> None:
    source = (Path(__file__).resolve().parents[2] / "data" / "lazy_object_proxy-cext.c").read_text()
    result = CodeCompressor().compress(source, ctx_for(source, "c"))
    assert result is not None and result.kept < result.total
    parser = parser_for("c")
    assert error_count(parser.parse(result.text.encode()).root_node) <= error_count(
        parser.parse(source.encode()).root_node
    )
    names = set(function_names(source, "c"))
    assert len(names) > 20  # the check below is not vacuous
    for name in names:
        assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", result.text), name
    assert "/* [headroom: body of" in result.text


def test_removed_comment_lines_are_counted_in_the_closing_marker() -> None:
    functions = "\n\n".join(
        f"# helper number {n}\n# second comment line\ndef f{n}(x):\n"
        + "\n".join(
            f"    # note {i}\n    x += {i}" if i % 2 else f"    x += {i}  # step" for i in range(20)
        )
        + "\n    return x"
        for n in range(12)
    )
    result = CodeCompressor().compress(functions, ctx_for(functions, "python"))
    assert result is not None
    closing = find_markers(result.text)[-1].detail
    assert closing.startswith(f"kept {result.kept} of 12 function bodies")
    kept_bodies = result.kept
    # 24 comment lines sit outside bodies; the notes inside kept bodies are removed too.
    expected = 24 + kept_bodies * 10
    assert closing.endswith(f", {expected} comment lines removed")
