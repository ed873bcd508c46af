"""Reading a table: whether a delimiter separates columns or an expression's parts."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from headroom.compressors._csv_read import (
    _inside_brackets,
    _opens_past_delimiter,
    heads_no_table,
    records_of,
    sniff,
    split_cells,
)

# Pieces that open and close brackets inside and outside quoted cells, quotes escaped
# (`""`), unclosed and mid-cell, with each delimiter and blanks before a quote.
PIECES = ['"', '""', "(", ")", "[", "]", "{", "}", ",", ";", "\t", " ", "a", "1", "x("]
RECORD = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


def counted_cell_by_cell(records: list[str], delimiter: str) -> bool:
    """The definition: on more than half the records, read cell by cell, an unquoted cell
    leaves a bracket open past a delimiter."""
    return sum(_opens_past_delimiter(split_cells(r, delimiter)) for r in records) * 2 > len(records)


@settings(max_examples=1000, deadline=None)
@given(RECORD, st.sampled_from([",", ";", "\t"]))
@example('a"(",b', ",")  # a quote mid-cell quotes nothing: its bracket is open
@example(' "(",b)', ",")  # blanks, then a quoted cell: its bracket is text
@example('\t"a,(b",c,d', ",")  # a tab, then a quote: no quoted cell, its bracket is open
def test_the_quick_screen_answers_as_the_cells_do(record: str, delimiter: str) -> None:
    records = [record] * 3  # the record's own answer decides
    cells = [split_cells(r, delimiter) for r in records]
    assert _inside_brackets(records, delimiter, cells) == counted_cell_by_cell(records, delimiter)


def test_brackets_inside_quoted_cells_leave_a_table_a_table() -> None:
    records = ["country,indicator,1960,1961"] + [
        f'C{i},"Fertility rate, total (births per woman)",{i}.1,{i}.2' for i in range(20)
    ]
    dialect = sniff(records)
    assert dialect is not None and dialect.delimiter == "," and dialect.columns == 4


def test_a_location_in_parentheses_is_no_table() -> None:
    records = [
        f"src/m{i}.ts({i},41): error TS2322: Type 'string' is not 'number'." for i in range(20)
    ]
    assert sniff(records) is None


CELL = st.sampled_from(["a", "1", "xy", '"q"', '"a,b"', "", " "])


@st.composite
def samples(draw: st.DrawFn) -> list[str]:
    """Blank lines, a header (one line, or two when a quoted cell holds a line break, or
    a line of text), then rows: tables of each delimiter and things that are none."""
    delimiter = draw(st.sampled_from([",", "\t", ";", " ", "|"]))
    columns = draw(st.integers(1, 4))
    header = [f"h{i}" for i in range(columns)]
    heads = {
        "one line": [delimiter.join(header)],
        "quoted over two": [f'"{header[0]}', f'more"{delimiter}' + delimiter.join(header[1:])],
        "text": ["Traceback (most recent call last):"],
    }
    rows = [
        delimiter.join(draw(st.lists(CELL, min_size=columns, max_size=columns)))
        for _ in range(draw(st.integers(4, 8)))
    ]
    blanks = [""] * draw(st.integers(0, 2))
    return [*blanks, *heads[draw(st.sampled_from(sorted(heads)))], *rows]


@settings(max_examples=500, deadline=None)
@given(samples())
def test_the_quick_no_is_never_said_of_a_table(lines: list[str]) -> None:
    # A first line with text that `heads_no_table` turns away is one the full reading
    # (records joined, then sniffed) finds no dialect in.
    first = next((line for line in lines if line.strip()), "")
    records = [r for r in records_of([line.rstrip("\r") for line in lines]) if r.strip()]
    if heads_no_table(first):
        assert sniff(records) is None


def test_a_header_with_a_delimiter_or_a_quote_is_read_on() -> None:
    assert heads_no_table("Traceback (most recent call last):")
    assert not heads_no_table("name,version")
    assert not heads_no_table("name\tversion")
    assert not heads_no_table('"a long')  # a quoted cell may run on to a delimiter
