"""Reading a table: whether a delimiter separates columns or an expression's parts."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from headroom.compressors._csv_read import _inside_brackets, _opens_past_delimiter, sniff

# Pieces that open and close brackets inside and outside quoted cells, quotes escaped
# (`""`), unclosed and mid-cell, with each delimiter and blanks before a quote.
PIECES = ['"', '""', "(", ")", "[", "]", "{", "}", ",", ";", "\t", " ", "a", "1", "x("]
RECORD = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


def counted_cell_by_cell(records: list[str], delimiter: str) -> bool:
    """The definition: on more than half the records, read cell by cell, an unquoted cell
    leaves a bracket open past a delimiter."""
    return sum(_opens_past_delimiter(r, delimiter) for r in records) * 2 > len(records)


@settings(max_examples=1000, deadline=None)
@given(RECORD, st.sampled_from([",", ";", "\t"]))
@example('a"(",b', ",")  # a quote mid-cell quotes nothing: its bracket is open
@example(' "(",b)', ",")  # blanks, then a quoted cell: its bracket is text
def test_the_quick_screen_answers_as_the_cells_do(record: str, delimiter: str) -> None:
    records = [record] * 3  # the record's own answer decides
    assert _inside_brackets(records, delimiter) == counted_cell_by_cell(records, delimiter)


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
