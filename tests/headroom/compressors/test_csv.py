"""CSV / TSV: detected by consistent delimited fields, constant columns stated once, rows by budget."""

import json
import random
import re

from headroom.ccr.markers import find_markers, make_ref
from headroom.compressors.base import CompressContext
from headroom.compressors.csv import CsvCompressor
from headroom.engine.query import focus_of
from headroom.engine.router import detect
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")
CSV = CsvCompressor()
GAP = re.compile(r"\d+ rows?")


def ctx_for(text: str, budget: int, query: str = "") -> CompressContext:
    return CompressContext(
        ref=make_ref(text), query=query, budget_tokens=budget, counter=COUNTER,
        focus=focus_of(query, text),
    )  # fmt: skip


def countries(count: int) -> str:
    rows = ["Country Name,Code,Indicator,Unit,Value"]
    for i in range(count):
        name = f'"Country {i}, Rep."' if i % 7 == 3 else f"Country {i}"
        rows.append(f'{name},C{i:03},"Fertility rate, total",births,{1.5 + i * 0.0131:.4f}')
    return "\n".join(rows) + "\n"


def test_detected_at_certainty_with_quoted_commas() -> None:
    found = detect(countries(40))
    assert (found.kind, found.confidence) == ("csv", 1.0)
    assert detect("a\tb\tc\n" + "\n".join(f"{i}\tx{i}\ty" for i in range(20))).kind == "csv"


def test_not_detected_on_logs_json_lines_or_prose() -> None:
    log = "\n".join(f"2024-01-01 12:00:{i:02},123 INFO worker started job {i}" for i in range(30))
    assert detect(log).kind != "csv"
    lines = "\n".join(json.dumps({"a": i, "b": "x"}) for i in range(30))
    assert detect(lines).kind != "csv"
    du = "\n".join(f"{4 + i}.0K\t./pkg/mod{i}.py" for i in range(30))
    assert detect(du).kind == "listing"


def test_a_delimiter_inside_brackets_makes_no_table() -> None:
    # tsc's `file(line,col): error ...`: one comma on every line, inside the parentheses.
    tsc = "\n".join(
        f"src/m{i % 7}.ts({i},{i % 40 + 1}): error TS2304: Cannot find name 'missing{i}'."
        for i in range(40)
    )
    assert detect(tsc).kind == "diagnostics"
    # TypeScript with one statement a line: one `;` on every line, inside the braces.
    code = "\n".join(
        f"export function f{i}(a: number): number {{ return a * {i}; }}" for i in range(40)
    )
    assert detect(code).kind == "code"
    # A quoted cell holding a bracket is a value: still a table.
    table = "name,note\n" + "\n".join(f'n{i},"open ( {i}"' for i in range(30))
    assert detect(table).kind == "csv"


def test_within_budget_constant_columns_are_stated_once_losslessly() -> None:
    text = countries(40)
    out = CSV.compress(text, ctx_for(text, 10_000))
    assert out is not None and out.ref is None and out.kept == out.total == 40
    assert out.text.count('"Fertility rate, total"') == 1  # stated once, verbatim
    assert out.text.count("births") == 1
    for i in (3, 10, 39):  # every cell verbatim, quoted commas included
        assert f"C{i:03}" in out.text
    assert '"Country 3, Rep."' in out.text
    assert f"{1.5 + 39 * 0.0131:.4f}" in out.text


def test_nothing_to_gain_within_budget_is_left_alone() -> None:
    text = "name,value\n" + "\n".join(f"n{i},{i * 7}" for i in range(30))
    assert CSV.compress(text, ctx_for(text, 10_000)) is None


def test_over_budget_named_rows_kept_and_every_key_listed() -> None:
    text = countries(400)
    out = CSV.compress(text, ctx_for(text, 3500, 'what about "C217"?'))
    assert out is not None and out.ref == make_ref(text)
    assert "Country 217,C217" in out.text  # the named row, whole
    assert all(f"Country {i}" in out.text for i in range(400))  # every row by its key cell
    assert out.total == 400 and 0 < out.kept < 400
    closing = find_markers(out.text)
    assert [m.detail for m in closing if "kept" in m.detail][0].startswith(
        f"kept {out.kept} of 400 rows"
    )


def test_gaps_count_exactly_when_keys_do_not_fit() -> None:
    text = "seed,value\n" + "\n".join(f"{i},0x{(i * 2654435761) % 2**64:016x}" for i in range(600))
    out = CSV.compress(text, ctx_for(text, 2000))
    assert out is not None
    lines = out.text.split("\n")
    gaps = sum(int(m.detail.split()[0]) for m in find_markers(out.text) if GAP.fullmatch(m.detail))
    shown = sum(1 for line in lines if line.startswith(" ") or line[:2] == "0x")
    assert shown == out.kept and shown + gaps == 600
    assert "numbers the rows from 0" in out.text  # the numbering column, said once


def test_malformed_rows_pass_through_and_output_is_deterministic() -> None:
    text = countries(300).replace("Country 150,", "broken row with, no, shape, at, all, x, y,", 1)
    a = CSV.compress(text, ctx_for(text, 1200))
    b = CSV.compress(text, ctx_for(text, 1200))
    assert a is not None and b is not None and a.text == b.text
    assert "broken row with, no, shape, at, all, x, y," in a.text


def test_never_raises_on_odd_input() -> None:
    for text in ('a,b\n"unclosed,1\n' * 20, ",,,\n" * 30, "x", "", 'a;b;c\n1;"2;3\n' * 9):
        CSV.compress(text, ctx_for(text, 5))


def test_a_status_word_among_versions_is_a_rare_row_kept_whole() -> None:
    rows = ["module\tnewest\tnote"]
    for n in range(900):
        status = {111: "all-failed", 480: "not-served", 777: "all-failed"}.get(n, f"v1.{n}.0")
        rows.append(f"example.org/mod{n}\t{status}\tv1.{n}.0 v1.{n}.1 (tested on go1.26)")
    text = "\n".join(rows)
    result = CsvCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 6))
    assert result is not None
    for n, status in ((111, "all-failed"), (480, "not-served"), (777, "all-failed")):
        assert f"example.org/mod{n}\t{status}\t" in result.text


def test_comment_lines_before_the_header_stay_and_the_table_is_still_a_table() -> None:
    rows = [f"2020-{1 + n % 12:02d}-01,{100 + n * 0.37:.2f},{50 + n % 17}" for n in range(600)]
    text = "\n".join(["# Data source: https://example.org/quotes", "Date,Close,Volume", *rows])
    assert detect(text).kind == "csv"
    result = CsvCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 5))
    assert result is not None
    lines = result.text.split("\n")
    assert lines[0] == "# Data source: https://example.org/quotes"
    assert "Date,Close,Volume" in lines


def test_a_title_or_a_command_echo_before_the_header_stays_and_the_table_is_a_table() -> None:
    table = countries(300).rstrip("\n").split("\n")
    for lead in (["Query results:"], ["$ psql --csv -f fertility.sql", ""]):
        text = "\n".join([*lead, *table])
        assert detect(text).kind == "csv"
        result = CSV.compress(text, ctx_for(text, budget=COUNTER.count(text) // 4))
        assert result is not None
        lines = result.text.split("\n")
        assert lines[: len(lead)] == lead
        assert "Country Name,Code," in result.text and "Country 299,C299," in result.text
    commented = "\n".join(["$ cat fertility.csv", "# source: World Bank", "# unit: births", *table])
    assert detect(commented).kind == "csv"  # a command's echo, then the file's comment lines
    three = "\n".join(["Report", "of fertility", "by country", *table])
    assert detect(three).kind != "csv"  # more lines of no table than a title: not one table


def test_a_commented_header_that_splits_like_the_rows_is_the_header() -> None:
    rows = [f"chr{1 + n % 22}\t{1000 + n * 37}\trs{n}\tA\tG" for n in range(300)]
    text = "\n".join(["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT", *rows])
    assert detect(text).kind == "csv"
    result = CsvCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 5))
    assert result is not None
    assert result.text.split("\n")[0] == "##fileformat=VCFv4.2"
    assert any(line.startswith("#CHROM\tPOS\tID") for line in result.text.split("\n"))
    assert "rs299" in result.text  # rows under it, the header not taken for a comment


def test_rows_kept_whole_without_gaps_keep_the_column_that_numbers_them() -> None:
    rows = ["id,Country Name,Code,Value"]
    rows += [f"{i},Country {i},C{i:03},{1.5 + i * 0.0131:.4f}" for i in range(400)]
    text = "\n".join(rows) + "\n"
    out = CSV.compress(text, ctx_for(text, 3500))
    assert out is not None and "listed below by column" in out.text  # whole rows, then keys
    kept = [line for line in out.text.split("\n") if line.count(",") == 3][1:]
    assert kept and all(line in rows for line in kept)  # each with its number, as it was
    assert "numbers the rows" not in out.text


def test_quoted_cells_holding_blank_lines_are_still_one_table() -> None:
    from headroom.engine.router import detect

    clauses = "\n\n".join(f"Clause {c}: permission is granted, free of charge." for c in range(30))
    rows = ["name,version,license,files"]
    rows += [f'pkg{i},1.{i}.0,"{clauses}",{10 + i}' for i in range(400)]
    text = "\n".join(rows) + "\n"
    assert detect(text).kind == "csv"  # the sample's last record, cut in its quote, is no row


def test_lines_of_text_holding_commas_are_no_table() -> None:
    from headroom.engine.router import detect

    messages = ("Unexpected var, use let or const instead.", "Missing semicolon, add one.")
    text = "\n".join(
        f"/src/app/module{i % 7}.js: line {10 + i}, col {1 + i % 9}, Error - {messages[i % 2]} (rule-{i % 2})"
        for i in range(60)
    )
    assert detect(text).kind != "csv"
    numbers = "seed, value\n" + "\n".join(f"{i}, 0x{i * 7919:016x}" for i in range(60))
    assert detect(numbers).kind == "csv"  # comma and space between values: still a table


def test_a_row_the_question_names_by_its_number_keeps_the_number() -> None:
    # An `id` column that only numbers the rows is said in a note and left out, unless
    # the question names a row by it.
    rows = ["id,customer,total,status"]
    rows += [
        f"{100001 + i},customer-{i * 7919 % 5000},{(i * 2654435761) % 1000000},"
        f"{['paid', 'open', 'refunded'][i % 3]}"
        for i in range(1500)
    ]
    text = "\n".join(rows)
    budget = COUNTER.count(text) // 5
    generic = CsvCompressor().compress(text, ctx_for(text, budget))
    assert generic is not None and "numbers the rows from 100001" in generic.text
    asked = CsvCompressor().compress(
        text, ctx_for(text, budget, "What does orders.csv say about `100777`?")
    )
    assert asked is not None
    assert "100777,customer-" in asked.text


def test_rows_are_priced_as_they_are_shown_so_the_budget_holds() -> None:
    # `dpkg-query` as CSV: its constant columns (`amd64`, `install ok installed`) are cheap
    # tokens; at the payload's own rate the rows shown without them were priced too low.
    rng = random.Random(4)
    rows = ["package,version,arch,size_kb,status"]
    for _ in range(1500):
        letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
        version = f"{rng.randint(0, 9)}.{rng.randint(0, 40)}-{rng.randint(1, 4)}+deb12u1"
        rows.append(f"lib{letters},{version},amd64,{rng.randint(10, 90000)},install ok installed")
    text = "\n".join(rows) + "\n"
    budget = COUNTER.count(text) // 3
    result = CsvCompressor().compress(text, ctx_for(text, budget))
    assert result is not None
    assert COUNTER.count(result.text) <= 1.05 * budget
