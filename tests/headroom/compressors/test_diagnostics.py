from headroom.ccr.markers import ANY_MARKER_RE
from headroom.compressors.base import MARKER_SHARE, MARKER_TOKENS
from headroom.compressors.diagnostics import DiagnosticsCompressor, diagnostics_of
from headroom.engine.router import detect
from tests.headroom.compressors._runs_helpers import COUNTER, assert_verbatim, ctx_for


def gcc_output() -> str:
    lines = []
    for i in range(40):
        lines += [
            f"src/mod{i % 4}.c: In function ‘fn{i}’:",
            f"src/mod{i % 4}.c:{100 + i}:13: warning: unused variable ‘tmp{i}’ [-Wunused-variable]",
            f"  {100 + i} |     int tmp{i} = compute_value_{i}(alpha, beta, gamma);",
            "      |             ^~~~",
        ]
    lines += [
        "src/core.c:7:5: error: implicit declaration of function ‘frobnicate’ [-Wimplicit-function-declaration]",
        "    7 |     frobnicate(x);",
        "      |     ^~~~~~~~~~",
        "src/core.c:9:1: note: declared here",
    ]
    return "\n".join(lines)


def ruff_output() -> str:
    rows = [f"pkg/m{i}.py:{i + 1}:1: F401 [*] `os{i}` imported but unused" for i in range(50)]
    rows += [f"pkg/m{i}.py:{i + 3}:80: E501 Line too long ({100 + i} > 88)" for i in range(50)]
    rows += ["pkg/odd.py:3:1: E999 SyntaxError: unexpected indent", "Found 101 errors."]
    return "\n".join(rows)


def test_detects_gcc_and_echoed_source_does_not_make_it_code() -> None:
    found = detect(gcc_output())
    assert found.kind == "diagnostics"
    assert detect(ruff_output()).kind == "diagnostics"  # above grep-like `path:line:` lines


def test_every_distinct_message_kept_once_past_the_budget() -> None:
    text = gcc_output()
    result = DiagnosticsCompressor().compress(text, ctx_for(text, budget=300))
    assert result is not None
    out = result.text.split("\n")
    assert (
        "src/core.c:7:5: error: implicit declaration of function ‘frobnicate’ [-Wimplicit-function-declaration]"
        in out
    )
    assert "src/core.c:9:1: note: declared here" in out
    assert "src/mod0.c:100:13: warning: unused variable ‘tmp0’ [-Wunused-variable]" in out
    assert_verbatim(text, result.text)


def test_errors_come_before_warnings_and_style() -> None:
    text = ruff_output()
    result = DiagnosticsCompressor().compress(text, ctx_for(text, budget=120))
    assert result is not None
    assert "pkg/odd.py:3:1: E999 SyntaxError: unexpected indent" in result.text
    assert "Found 101 errors." in result.text
    assert "pkg/m0.py:1:1: F401 [*] `os0` imported but unused" in result.text
    assert "pkg/m0.py:3:80: E501 Line too long (100 > 88)" in result.text
    assert_verbatim(text, result.text)


def test_markers_keep_to_their_share_and_the_budget_widens_runs() -> None:
    text = gcc_output()
    budget = 1100
    result = DiagnosticsCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    out = result.text.split("\n")
    gaps = [line for line in out[:-1] if ANY_MARKER_RE.fullmatch(line)]
    assert len(gaps) * MARKER_TOKENS <= MARKER_SHARE * budget + MARKER_TOKENS  # firsts may open one
    heads = [line for line in text.split("\n") if ": warning: " in line]
    assert sum(line in out for line in heads) >= len(heads) // 3  # the budget left widens runs
    assert "src/core.c:9:1: note: declared here" in out
    assert_verbatim(text, result.text)


def test_quoted_phrase_kept() -> None:
    text = gcc_output()
    result = DiagnosticsCompressor().compress(
        text, ctx_for(text, query="what about `compute_value_33`?")
    )
    assert result is not None
    assert "  133 |     int tmp33 = compute_value_33(alpha, beta, gamma);" in result.text


def test_within_budget_is_none_and_deterministic() -> None:
    text = ruff_output()
    assert DiagnosticsCompressor().compress(text, ctx_for(text, budget=100_000)) is None
    one = DiagnosticsCompressor().compress(text, ctx_for(text))
    assert one == DiagnosticsCompressor().compress(text, ctx_for(text))


def test_blocks_hold_their_lead_in_and_continuation() -> None:
    lines = gcc_output().split("\n")
    first = diagnostics_of(lines)[0]
    assert first.lines == [0, 1, 2, 3]
    assert first.locations == [1]


def test_never_raises() -> None:
    for junk in ["", "a:1:1: error: x\n" * 3, ":1:1: warning:\n\n\n", "\t|\n" * 50]:
        DiagnosticsCompressor().compress(junk, ctx_for(junk, budget=5))


def test_ruff_full_format_with_code_frames_is_diagnostics() -> None:
    blocks = []
    for n in range(30):
        blocks += [
            f"ANN00{n % 3} Missing type annotation for function argument `arg{n}`",
            f" --> pkg/module{n % 4}.py:{10 + n}:5",
            "  |",
            f"{9 + n} | def handler(request):",
            f"{10 + n} |     return compute(arg{n}, request)",
            "  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
            f"{11 + n} |     # trailing context",
            "  |",
            "help: Add a type annotation",
            "",
        ]
    text = "\n".join(blocks + ["Found 30 errors."])
    assert detect(text).kind == "diagnostics"


def test_the_occurrences_shown_cover_every_file_not_the_first_files_whole() -> None:
    files = ["tokens", "scanner", "parser", "emitter", "composer", "loader"]
    lines = [
        f"yaml/{name}.py:{3 + 7 * n}: error: Function is missing a type annotation  [no-untyped-def]"
        for name in files
        for n in range(80)
    ]
    lines.append(f"Found {len(lines)} errors in {len(files)} files (checked 17 source files)")
    text = "\n".join(lines)
    result = DiagnosticsCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 5))
    assert result is not None
    for name in files:
        assert result.text.count(f"yaml/{name}.py:") >= 5, name


def test_pylint_style_output_is_diagnostics() -> None:
    from headroom.engine.router import detect

    codes = ("E501", "D104", "UP009", "F401", "CPY001")
    text = "\n".join(
        f"pkg/module_{i % 40}.py:{10 + i}: [{codes[i % 5]}] Message number {i % 7} about the line"
        for i in range(300)
    )
    assert detect(text).kind == "diagnostics"


def test_the_build_tools_verdict_after_the_last_diagnostic_stays() -> None:
    lines = []
    for i in range(400):
        lines += [
            f"src/mod{i % 9}.c:{10 + i}:5: warning: unused variable 'v{i}' [-Wunused-variable]",
            f"   {10 + i} | int v{i};",
            "      |     ^~",
        ]
    lines += [
        "gmake[1]: *** [CMakeFiles/Makefile2:83: CMakeFiles/acme.dir/all] Error 2",
        "gmake: *** [Makefile:91: all] Error 2",
    ]
    text = "\n".join(lines)
    result = DiagnosticsCompressor().compress(text, ctx_for(text, budget=600))
    assert result is not None
    out = result.text.split("\n")
    assert lines[-1] in out and lines[-2] in out


def pyright_output() -> str:
    lines = []
    for f in range(6):
        lines.append(f"/repo/pkg/mod{f}.py")
        for i in range(12):
            lines += [
                f'  /repo/pkg/mod{f}.py:{10 + i}:5 - error: Type "T{f}_{i}" is not assignable to "str"',
                f'    Type "T{f}_{i}" is not assignable to type "str | None"',
                f'      "T{f}_{i}" is not assignable to "str"',
                f'      "T{f}_{i}" is not assignable to "None" (reportArgumentType)',
            ]
    lines.append("288 errors, 0 warnings, 0 informations")
    return "\n".join(lines)


def test_a_message_continuation_is_never_shown_without_its_message() -> None:
    # The budget left grows kept runs backwards too: into the end of the diagnostic
    # before a kept one, it would show that diagnostic's details under no message.
    text = pyright_output()
    lines = text.split("\n")
    for budget in (400, 700, 1000):
        result = DiagnosticsCompressor().compress(text, ctx_for(text, budget=budget))
        assert result is not None
        kept = set(result.text.split("\n"))
        for d in diagnostics_of(lines):
            shown = [i for i in d.lines if i > d.head and lines[i] in kept]
            assert not shown or lines[d.head] in kept, (budget, lines[d.head])
        assert_verbatim(text, result.text)


def test_every_rule_code_opens_a_message_whatever_its_letters() -> None:
    # ruff's isort (I), logging (G), pylint (PLR) codes: a message like any other code's.
    codes = ["I001 [*] Import block is un-sorted", "G004 Logging statement uses f-string"]
    codes += ["PLR0913 Too many arguments in function definition (7 > 5)"]
    lines: list[str] = []
    for number, code in enumerate(codes, start=1):
        lines += [code, f" --> pkg/m.py:{number}:1", "  |", f"{number} | import os", "  |"]
    heads = [lines[d.head] for d in diagnostics_of(lines)]
    assert heads == codes


def test_a_message_wrapped_onto_lines_of_its_own_stays_with_it() -> None:
    # `mypy --pretty` wraps a long message onto unindented lines with no location, then
    # echoes the source and a caret: all of it is the message's, not the next one's lead-in.
    lines = [
        'pkg/a.py:10:9: error: Module "collections" does not',
        'explicitly export attribute "MutableMapping"  [attr-defined]',
        "        from collections import MutableMapping as DictMixin",
        "        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
        'pkg/a.py:14:5: error: Name "DictMixin" already',
        "defined (possibly by an import)  [no-redef]",
        "        from UserDict import DictMixin",
        "        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
        'pkg/a.py: note: In member "clear" of class "AttributedDict":',
        'pkg/a.py:39:22: error: Need type annotation for "end"',
    ]
    found = diagnostics_of(lines)
    assert [d.lines for d in found] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def tsc_pretty(colour: bool) -> str:
    """`tsc --pretty`: a message, a blank line, the numbered source line and a `~~~`
    underline; with colour, escape codes around the path, position and severity."""

    def paint(code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    blocks = []
    for i in range(40):
        module = ["proc-log", "nopt", "semver", "@npmcli/config/lib/definitions"][i % 4]
        blocks.append(
            f"{paint('96', f'lib/cmd{i % 6}.js')}:{paint('93', str(i + 1))}:{paint('93', '25')} - "
            f"{paint('91', 'error')}{paint('90', ' TS2307: ')}Cannot find module '{module}' "
            f"or its corresponding type declarations.\n\n"
            f"{paint('7', str(i + 1))} const {{ v{i} }} = require('{module}')\n"
            f"{paint('7', ' ')} {paint('91', ' ' * 24 + '~' * 10)}\n"
        )
    blocks.append("\nFound 40 errors in 6 files.\n")
    return "\n".join(blocks)


def test_tsc_pretty_output_is_diagnostics_with_or_without_colour() -> None:
    for colour in (False, True):
        text = tsc_pretty(colour)
        assert detect(text).kind == "diagnostics", colour
        result = DiagnosticsCompressor().compress(
            text, ctx_for(text, budget=COUNTER.count(text) // 3)
        )
        assert result is not None
        assert "Found 40 errors in 6 files." in result.text
        for module in ("proc-log", "nopt", "semver", "@npmcli/config/lib/definitions"):
            assert f"Cannot find module '{module}'" in result.text  # each distinct message
        assert_verbatim(text, result.text)  # colour codes and all


def test_an_occurrence_naming_a_word_no_other_names_comes_before_the_repeats() -> None:
    """A hundred `has no attribute` errors of one template: the one naming an attribute
    no other message names is shown before the spread of its repeats."""
    lines = []
    for i in range(120):
        attribute = "callLater" if i == 77 else "value"
        lines.append(
            f'pkg/mod{i % 6}.py:{10 + i}: error: Item "None" of "Any | None" has no attribute "{attribute}"  [union-attr]'
        )
    lines.append("Found 120 errors in 6 files (checked 40 source files)")
    text = "\n".join(lines)
    result = DiagnosticsCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 6))
    assert result is not None
    assert lines[77] in result.text.split("\n")
    assert_verbatim(text, result.text)


def test_a_few_messages_quoting_long_statements_are_diagnostics() -> None:
    """ruff's full format under each message echoes the statement it is about: three
    messages over a 200-line `__all__` are still a linter's output, not generic lines."""
    lines = ['D404 First word of the docstring should not be "This"', " --> pkg/__init__.py:1:1"]
    lines += ["  |", '1 | """This module defines the types."""', "  | ^^^^^^^^^^^^^^^^^", ""]
    lines += ["RUF022 `__all__` is not sorted", "   --> pkg/__init__.py:226:11", "    |"]
    lines += ["226 |   __all__ = [", "    |  ___________^"]
    lines += [f'{227 + i} | |     "Name{i}",' for i in range(200)]
    lines += ["427 | |   ]", "    | |___^", "", "CPY001 Missing copyright notice at top of file"]
    lines += ["--> pkg/__init__.py:1:1", "", "Found 3 errors."]
    assert detect("\n".join(lines)).kind == "diagnostics"
