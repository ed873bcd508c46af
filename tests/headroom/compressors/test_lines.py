"""The generic line compressor on text of no known kind: apt and dpkg logs, Java traces,
real command output. Every output line is an original line or a marker, counts are exact."""

import re
import subprocess
import sys
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from headroom.ccr.markers import ANY_MARKER_RE, find_markers, make_ref, split_lines
from headroom.compressors.base import CompressContext, load_registry
from headroom.compressors.lines import LineCompressor
from headroom.compressors.text import TextCompressor
from headroom.engine.query import focus_of
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")
GAP = re.compile(r"^(\d+) (?:more identical )?lines?$")
CLOSING = re.compile(r"^kept (\d+) of (\d+) lines$")


def ctx_for(text: str, query: str = "", budget: int = 400) -> CompressContext:
    return CompressContext(
        ref=make_ref(text),
        query=query,
        budget_tokens=budget,
        counter=COUNTER,
        focus=focus_of(query, text),
    )


def compress(text: str, query: str = "", budget: int = 400) -> str:
    result = LineCompressor().compress(text, ctx_for(text, query, budget))
    assert result is not None
    assert_faithful(text, result.text)
    return result.text


def assert_faithful(original: str, out: str) -> None:
    """Every output line is an original line, a gap marker, or (last) the closing line;
    kept lines and gaps add up to the original's lines, in order."""
    lines = split_lines(original)
    body = out.split("\n")
    closing = CLOSING.match(find_markers(body[-1])[0].detail)
    assert closing is not None and int(closing.group(2)) == len(lines)
    position = kept = 0
    for line in body[:-1]:
        gap = ANY_MARKER_RE.fullmatch(line)
        if gap:
            count = GAP.match(gap["detail"])
            assert count is not None, line
            position += int(count.group(1))
            continue
        cut = re.search(r" \[headroom: (\d+) more characters of this line cut\]$", line)
        if cut:  # a long line cut: its start, and exactly how much was left out
            head = line[: cut.start()]
            assert lines[position].startswith(head)
            assert len(lines[position]) - len(head) == int(cut.group(1))
        else:
            assert line == lines[position], (line, lines[position])
        position += 1
        kept += 1
    assert position == len(lines)
    assert kept == int(closing.group(1))


def apt_term_log(packages: int = 400) -> list[str]:
    """The shape of /var/log/apt/term.log during an upgrade."""
    lines = ["", "Log started: 2024-05-02  10:14:07"]
    lines.append("(Reading database ... 184512 files and directories currently installed.)")
    for i in range(packages):
        name = f"lib{['ssl', 'gnutls', 'curl', 'xml2', 'png', 'jpeg'][i % 6]}{i}"
        lines.append(f"Preparing to unpack .../{i:03d}-{name}_1.{i}.2-1_amd64.deb ...")
        lines.append(f"Unpacking {name}:amd64 (1.{i}.2-1) over (1.{i}.1-3) ...")
    for i in range(packages):
        lines.append(f"Setting up lib{i}:amd64 (1.{i}.2-1) ...")
    lines.append("Processing triggers for libc-bin (2.36-9+deb12u4) ...")
    lines.append("Log ended: 2024-05-02  10:16:51")
    return lines


def test_an_error_in_an_apt_log_is_kept_whatever_its_words() -> None:
    lines = apt_term_log()
    failure = (
        "Failed to fetch http://deb.debian.org/debian/pool/main/o/openssl/libssl3_3.0.11-1_amd64.deb"
        ": No such file or directory"
    )
    lines.insert(301, failure)
    lines.insert(620, "E: Sub-process /usr/bin/dpkg returned an error code (1)")
    text = "\n".join(lines)
    out = compress(text, budget=600)
    assert failure in out.split("\n")
    assert "E: Sub-process /usr/bin/dpkg returned an error code (1)" in out
    assert lines[1] in out and lines[-1] in out  # head and tail


def test_a_line_breaking_a_run_of_one_template_is_kept() -> None:
    lines = apt_term_log()
    odd = "dpkg: dependency problems prevent configuration of libcurl2:"
    lines.insert(900, odd)  # among the `Setting up ...` lines, no severity word in it
    text = "\n".join(lines)
    assert odd in compress(text, budget=800).split("\n")


def test_exact_repeats_collapse_with_their_count() -> None:
    lines = ["build started", *["waiting for lock /var/lib/dpkg/lock-frontend ..."] * 500]
    lines += [f"step {i}: compiled module_{i}.o" for i in range(200)]
    lines.append("build finished in 84s")
    out = compress("\n".join(lines), budget=300)
    assert (
        "waiting for lock /var/lib/dpkg/lock-frontend ...\n[headroom: 499 more identical lines]"
        in out
    )
    assert out.count("waiting for lock") == 1


def test_a_root_cause_deep_in_a_java_trace_is_kept() -> None:
    frames = [
        f"\tat com.example.shop.Service{i}.handle(Service{i}.java:{10 + i})" for i in range(60)
    ]
    lines = [
        'Exception in thread "main" java.lang.IllegalStateException: order pipeline failed',
        *frames,
        "Caused by: java.sql.SQLTransientConnectionException: pool-7 - Connection is not available",
        *frames[:40],
        "\t... 12 more",
    ]
    lines += [f"2024-05-02 10:14:{i % 60:02d} INFO retry {i} scheduled" for i in range(300)]
    out = compress("\n".join(lines), budget=400)
    assert lines[61] in out.split("\n")  # the Caused by line
    assert lines[0] in out


def test_the_line_the_question_quotes_is_kept() -> None:
    lines = [f"Setting up python3-pkg{i} (3.11.{i}-1) ..." for i in range(1500)]
    text = "\n".join(lines)
    query = 'Which version did "python3-pkg777 (" get?'
    out = compress(text, query=query, budget=300)
    assert lines[777] in out.split("\n")


def test_a_rare_query_word_pulls_its_line_in() -> None:
    lines = [f"Unpacking libfoo{i}:amd64 (1.{i}) ..." for i in range(1500)]
    lines[1234] = "Unpacking zlib1g:amd64 (1:1.2.13) ..."
    text = "\n".join(lines)
    assert lines[1234] in compress(text, query="what happened to zlib1g", budget=300)


def test_within_budget_nothing_changes() -> None:
    text = "\n".join(apt_term_log(10))
    assert LineCompressor().compress(text, ctx_for(text, budget=10_000)) is None


def test_an_error_storm_keeps_its_first_and_last_and_counts_the_rest() -> None:
    lines = [
        f"W: Failed to fetch http://mirror/{i}/Packages  Connection refused" for i in range(3000)
    ]
    lines = ["Hit:1 http://deb.debian.org bookworm InRelease", *lines, "Reading package lists..."]
    out = compress("\n".join(lines), budget=400)
    assert lines[1] in out and lines[-2] in out and lines[-1] in out
    assert COUNTER.count(out) < 800


def test_a_long_line_is_cut_only_past_the_budget_and_says_how_much() -> None:
    lines = [f"line {i} of the build" for i in range(50)]
    lines[25] = "E: Unmet dependencies. Depends: " + ", ".join(
        f"libdep{i} (>= 1.{i})" for i in range(400)
    )
    text = "\n".join(lines)
    out = compress(text, budget=200)
    assert "more characters of this line cut]" in out
    assert LineCompressor().compress(text, ctx_for(text, budget=100_000)) is None


def test_real_command_output_holds() -> None:
    """`python -m pydoc` output of a stdlib module, compressed hard: head and tail, verbatim."""
    text = subprocess.run(
        [sys.executable, "-m", "pydoc", "argparse"], capture_output=True, text=True, check=True
    ).stdout
    out = compress(text, budget=500)
    lines = split_lines(text)
    assert out.startswith(lines[0])
    assert COUNTER.count(out) < COUNTER.count(text) // 4


def test_deterministic() -> None:
    text = "\n".join(apt_term_log())
    first = compress(text, budget=500)
    assert all(compress(text, budget=500) == first for _ in range(3))


def test_it_is_the_fallback_for_the_lines_kind() -> None:
    registry = load_registry(include_entry_points=False)
    assert isinstance(registry["lines"], LineCompressor)
    assert "lines" not in TextCompressor.fallback_for


@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.sampled_from(["error: x", "Caused by: y", "", "  at f()", "same", "same"]),
        ),
        max_size=120,
    ),
    st.integers(min_value=0, max_value=300),
    st.text(max_size=30),
)
def test_never_raises_never_larger(lines: list[str], budget: int, query: str) -> None:
    text = "\n".join(lines)
    result = LineCompressor().compress(text, ctx_for(text, query, budget))
    if result is not None:
        assert COUNTER.count(result.text) < COUNTER.count(text)
        if "[headroom: " not in text and "\r" not in text:
            assert_faithful(text, result.text)


def test_minified_code_a_specialised_compressor_declines_goes_to_the_line_compressor(
    tmp_path,
) -> None:
    # Two lines of 60k characters: no whole line the code compressor could drop. Over its
    # budget, the generic line compressor cuts each line as the budget needs.
    from headroom import Headroom
    from headroom.config import HeadroomConfig

    body = ";".join(f"function f{i}(a,b){{return a*{i}+b-{i % 7}}}" for i in range(3000))
    source = f"/*! bundle v1.0 */\n{body};export{{f1 as one,f2 as two}};"
    engine = Headroom(HeadroomConfig(store_url=f"sqlite:///{tmp_path / 'store.db'}"))
    call = {"id": "c", "type": "function", "function": {"name": "read", "arguments": "{}"}}
    result = engine.compress(
        [
            {"role": "user", "content": "read dist/bundle.min.js"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c", "content": source},
        ]
    )
    out = result.messages[-1]["content"]
    assert COUNTER.count(out) < COUNTER.count(source) // 2
    first, second, closing = out.split("\n")
    assert first == "/*! bundle v1.0 */"
    head, _, _ = second.partition(" [headroom: ")
    assert body.startswith(head) and len(head) > 1000
    assert [m.ref for m in find_markers(out)][-1] == make_ref(source)
    assert engine.retrieve(make_ref(source)) == source


def test_a_huge_line_the_question_quotes_is_cut_to_the_part_that_shows_it() -> None:
    code = "".join(f"fn{i}(a,b){{return a+b*{i}}};" for i in range(3000))
    text = "\n".join(["/* bundle */", code, "export default fn1;"])
    result = LineCompressor().compress(text, ctx_for(text, query="what does `fn2500(a,b)` do?"))
    assert result is not None
    out = result.text.split("\n")
    cut = next(line for line in out if "fn2500(a,b)" in line)
    assert len(cut) < 0.3 * len(code)  # from the phrase to the end of the line
    assert code.endswith(ANY_MARKER_RE.sub("", cut).strip())


def sql_dump(rows: int) -> str:
    lines = ["PRAGMA foreign_keys=OFF;", "BEGIN TRANSACTION;"]
    lines.append("CREATE TABLE pkg(name text primary key, version text, size integer);")
    lines += [
        f"INSERT INTO pkg VALUES('package-{i}','1.{i}.0-1',{1000 + 37 * i});" for i in range(rows)
    ]
    lines.append("CREATE TABLE files(pkg text references pkg(name), path text);")
    lines += [
        f"INSERT INTO files VALUES('package-{i % 40}','/usr/share/doc/p{i}/copyright');"
        for i in range(rows)
    ]
    lines += [
        "CREATE INDEX files_pkg ON files(pkg);",
        "CREATE VIEW big AS SELECT * FROM pkg WHERE size > 5000;",
        "COMMIT;",
    ]
    return "\n".join(lines)


def test_a_sql_dump_is_records_not_prose_and_keeps_every_statement_of_its_schema() -> None:
    from headroom.engine.router import detect

    text = sql_dump(300)
    assert detect(text).kind != "text"  # its lines open with one word: records
    out = compress(text, budget=COUNTER.count(text) // 5).split("\n")
    assert all(line in out for line in text.split("\n") if line.startswith("CREATE "))


def stanzas(count: int) -> str:
    """`apt-cache show` records: blank-line separated, each opening with its `Package:`."""
    blocks = []
    for i in range(count):
        blocks.append(
            "\n".join(
                [
                    f"Package: lib{'abcdefgh'[i % 8]}{i}-tools",
                    f"Version: {i % 7}.{i}.{i % 3}-{1 + i % 4}",
                    f"Installed-Size: {100 + 37 * i}",
                    f"Maintainer: Team {i % 5} <team{i % 5}@lists.example.org>",
                    f"Depends: libc6 (>= 2.{30 + i % 6}), libfoo{i % 11}",
                    f"Description: tools for the {i}th subsystem of the store",
                    f"Description-md5: {i * 7919:032x}",
                    f"Filename: pool/main/l/lib{i}/lib{i}_{i}.deb",
                    f"SHA256: {i * 104729:064x}",
                ]
            )
        )
    return "\n\n".join(blocks)


def _owner_of(lines: list[str], index: int) -> str | None:
    for line in reversed(lines[: index + 1]):
        if line.startswith("Package: "):
            return line
        if line.startswith("[headroom:"):
            return None
    return None


def test_a_kept_field_of_a_record_keeps_the_line_that_names_its_record() -> None:
    text = stanzas(120)
    original = text.split("\n")
    out = compress(text, budget=COUNTER.count(text) // 4).split("\n")
    fields = [
        i
        for i, line in enumerate(out)
        if line and not line.startswith(("Package: ", "[")) and original.count(line) == 1
    ]
    assert len(fields) > 50
    for i in fields:  # no gap between a kept field and its record's name
        where = original.index(out[i])
        assert _owner_of(out, i) == _owner_of(original, where), out[i]


def test_a_kept_line_keeps_the_lines_it_is_indented_under() -> None:
    blocks = []
    for i in range(150):
        blocks += [
            f"package-{i}:",
            f"  Installed: 1.{i}.0-1",
            f"  Candidate: 1.{i}.0-{1 + i % 3}",
            "  Version table:",
            f" *** 1.{i}.0-1 500",
            "        500 http://deb.example.org/debian stable/main amd64 Packages",
        ]
    text = "\n".join(blocks)
    out = compress(text, budget=COUNTER.count(text) // 4).split("\n")
    for i, line in enumerate(out):
        if line.startswith("  "):  # an indented line: the record it belongs to is above it, no gap
            above = out[i - 1]
            assert not above.startswith("[headroom:"), line


def test_in_a_file_of_commented_defaults_the_settings_in_force_are_kept_first() -> None:
    lines = ["# PostgreSQL configuration file", "#" + "-" * 60]
    live = {}
    for i in range(300):
        lines += [f"# The {i}th setting controls part {i} of the server; see the manual."]
        if i % 15 == 7:
            live[i] = f"setting_{i} = {'on' if i % 2 else 'posix'}  # changed by the installer"
            lines.append(live[i])
        else:
            lines.append(f"#setting_{i} = {i * 16}kB\t\t# default")
        lines.append("")
    text = "\n".join(lines)
    out = compress(text, budget=COUNTER.count(text) // 4).split("\n")
    assert all(line in out for line in live.values())


def outline_news(versions: int) -> str:
    """A GNU-style NEWS file: `* Version` headings, `** ` entries, their indented text and
    plain lines at the entries' column."""
    out = ["Example NEWS -- History of user-visible changes.  -*- outline -*-", ""]
    for v in range(versions, 0, -1):
        out += [
            f"* Version 3.{v // 10}.{v % 10} (released 20{10 + v // 12}-0{1 + v % 9}-1{v % 10})",
            "",
        ]
        for e in range(3):
            out += [
                f"** libexample: entry {e} of release {v} changes the {['cipher', 'parser', 'socket'][e]} code",
                f"   so that handle_{v}_{e}() checks its bounds (#{1000 + 7 * v + e}).",
                f"symbol_{v}_{e}_added",
                "",
            ]
    return "\n".join(out)


def assert_entries_under_their_headings(
    original: list[str],
    out: list[str],
    entry: Callable[[str], bool],
    heading_at: Callable[[list[str], int], str | None],
) -> None:
    """The nearest heading above each kept entry (`heading_at` a line, or None) is the one
    it was written under; and more than 20 entries were kept."""

    def heading_above(lines: list[str], index: int) -> str | None:
        found = (heading_at(lines, above) for above in range(index, -1, -1))
        return next((heading for heading in found if heading is not None), None)

    entries = [i for i, line in enumerate(out) if entry(line)]
    assert len(entries) > 20
    for i in entries:
        assert heading_above(out, i) == heading_above(original, original.index(out[i])), out[i]


def test_a_kept_entry_of_an_outline_keeps_its_heading() -> None:
    text = outline_news(60)
    out = compress(text, budget=COUNTER.count(text) // 4).split("\n")
    assert_entries_under_their_headings(
        text.split("\n"),
        out,
        lambda line: line.startswith(("** ", "symbol_")),
        lambda lines, i: lines[i] if lines[i].startswith("* Version") else None,
    )


def rst_changelog(versions: int) -> str:
    out = ["Changelog", "=========", ""]
    for v in range(versions, 0, -1):
        out += [f"1.{v}.{v % 4}", "=" * 7, "", "Bug fixes", "---------", ""]
        out += [
            f"- Fixed the resolver {v}.{k} on an empty `{k}` header -- by :user:`dev{v}`."
            for k in range(6)
        ]
        out += [""]
    return "\n".join(out)


def test_a_setext_heading_stands_over_its_entries_and_keeps_its_underline() -> None:
    text = rst_changelog(70)
    out = compress(text, budget=COUNTER.count(text) // 5).split("\n")
    assert_entries_under_their_headings(
        text.split("\n"),
        out,
        lambda line: line.startswith("- Fixed"),
        lambda lines, i: lines[i - 1] if i > 0 and lines[i] == "=" * 7 else None,
    )
    versions = [f"1.{v}.{v % 4}" for v in range(70, 0, -1)]
    assert sum(v in out for v in versions) >= 14  # headings that name one part rank first


def test_settings_are_assignments_and_statement_calls_at_a_lines_start() -> None:
    from headroom.compressors._line_shapes import settings

    lines = [
        "VERSION=\t3.8",
        "CC := gcc",
        "export PATH=/usr/local/bin:$PATH",
        "find_package(ZLIB REQUIRED)",
        "set(CMAKE_C_STANDARD 99)",
        "# VERSION=3.7 was the last one",
        "\t$(CC) -o prog main.c",
        "if [ $x == 1 ]; then",
        "all: build",
    ]
    assert settings(lines) == {0, 1, 2, 3, 4}


def test_a_gap_is_cut_only_where_it_saves_its_marker_again() -> None:
    from headroom.ccr.markers import format_gap
    from headroom.compressors.base import close_cheap_gaps

    marker = len(format_gap(1))
    between = "m" * (marker + 4)  # longer than its marker, shorter than twice it
    beyond = "x" * (2 * marker + 1)
    lines = ["kept 0", between, "kept 2", beyond, "kept 4"]
    assert close_cheap_gaps(lines, [0, 2, 4]) == [0, 1, 2, 4]


def test_where_the_lines_that_must_stay_are_spread_out_the_budget_left_closes_gaps() -> None:
    from headroom.compressors.base import MARKER_TOKENS, fill_within_budget, gap_runs

    count, budget = 200, 1800
    kept = set(range(0, count, 5))  # every fifth line must stay: 40 gaps of four lines
    # Offered: the middle of each gap first (each would split it: refused past the markers'
    # share), then the lines beside the kept ones (taken).
    order = [i for offset in (2, 3, 1, 4) for i in range(offset, count, 5)]
    spent = 10 * len(kept) + MARKER_TOKENS * gap_runs(kept, count)
    spent = fill_within_budget(order, kept, lambda _: 10, spent, budget, count)
    assert spent <= budget
    # The tokens left close many gaps of two lines; widening every run a line in turn
    # would have closed none of them.
    assert gap_runs(kept, count) <= 20
