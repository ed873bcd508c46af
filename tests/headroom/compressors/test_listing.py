"""Column listings: detected by alignment, rare rows whole, every other row by its key cell."""

import hashlib
import re

from headroom.ccr.markers import find_markers, make_ref, split_lines
from headroom.compressors.base import CompressContext
from headroom.compressors.listing import ListingCompressor
from headroom.engine.detect import listing_columns
from headroom.engine.query import focus_of
from headroom.engine.router import detect
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")


def ls_la(count: int) -> str:
    rows = ["total 3212"]
    for i in range(count):
        kind = "lrwxrwxrwx" if i % 97 == 5 else "drwxr-xr-x"
        size = 36864 if i == 40 else 4096
        name = f"libpackage{i}-tools" + (f" -> libpackage{i}" if kind[0] == "l" else "")
        month = "Nov 26 05:56" if i % 50 == 0 else "Jun 24  2025"
        rows.append(f"{kind} {2 + i % 3:>3} root root {size:>5} {month} {name}")
    return "\n".join(rows) + "\n"


DPKG = "\n".join(
    f"ii  {f'python3-mod{i}':<24} {f'1.{i}.0-1':<12} {'all' if i % 4 else 'amd64':<6} "
    + ("Python module for tests", "shared library", "tools to inspect and manage the store")[i % 3]
    for i in range(60)
)
PS = "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n" + "\n".join(
    f"root     {100 + i:>7}  0.0  0.1  {20000 + i:>5}  {4000 + i:>4} ?        Ss   08:0{i % 10}   0:00 /usr/sbin/daemon-{i}{' --flag' * (i % 3)}"
    for i in range(40)
)
PIP_LIST = (
    "Package                     Version\n--------------------------- ---------\n"
    + "\n".join(f"{f'package-{i}':<27} {i}.0.1" for i in range(40))
)
WORDS = "the scheduler retries failed jobs after a delay that grows with each attempt".split()
PROSE = "\n".join(  # lines of words of varied lengths, as prose has
    " ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(6 + i % 5)) for i in range(40)
)


def ctx_for(text: str, budget: int, query: str = "") -> CompressContext:
    return CompressContext(
        ref=make_ref(text),
        query=query,
        budget_tokens=budget,
        counter=COUNTER,
        focus=focus_of(query, text),
    )


def test_listings_are_detected_by_their_columns_and_prose_is_not() -> None:
    for listing in (ls_la(60), DPKG, PS, PIP_LIST):
        assert detect(listing).kind == "listing", listing[:80]
    assert listing_columns(ls_la(60).split("\n")) == 9
    assert listing_columns(DPKG.split("\n")) == 5
    assert listing_columns(PS.split("\n")) == 11
    assert listing_columns(PROSE.split("\n")) is None and detect(PROSE).kind == "text"


def test_every_row_stays_visible_by_its_key_cell_and_rare_rows_stay_whole() -> None:
    text = ls_la(800)
    result = ListingCompressor().compress(text, ctx_for(text, 5000))
    assert result is not None and result.unit == "rows"
    out = result.text.split("\n")
    original = text.split("\n")
    names = [line.split(None, 8)[8] for line in original[1:-1]]  # the 9th column to the end
    assert names[5] == "libpackage5-tools -> libpackage5"
    for name in names:
        assert name in out or any(line.endswith(" " + name) for line in out)
    # Owner and group are root in every row: stated once, left out of the rows.
    assert "column 3 is root, column 4 is root" in find_markers(result.text)[0].detail
    reduced = {without_owner(line) for line in original}
    marker = next(m for m in find_markers(result.text) if "rows whole" in m.detail)
    whole = [line for line in out if line in reduced and line.startswith(("d", "l"))]
    assert (
        f"kept {len(whole)} of 800 rows whole, the other {800 - len(whole)} are listed"
        in marker.detail
    )
    assert "by column 9 only" in marker.detail  # numbered as in the listing, as the note is
    assert result.kept == len(whole) and result.total == 800
    assert "total 3212" in out  # lines that are not rows are kept
    for rare in ("36864", "lrwxrwxrwx"):  # rows with rare cells stay whole
        assert any(rare in line for line in whole)
    assert COUNTER.count(result.text) <= 5000 * 1.02  # line counts are summed, not joined


def test_a_row_the_question_names_stays_whole_even_on_a_small_budget() -> None:
    text = ls_la(800)
    wanted = without_owner(
        next(line for line in text.split("\n") if line.endswith(" libpackage517-tools"))
    )
    result = ListingCompressor().compress(
        text, ctx_for(text, 600, "what is `libpackage517-tools`?")
    )
    assert result is not None and wanted in result.text.split("\n")
    assert len(find_markers(result.text)) >= 1


def without_owner(line: str) -> str:
    """An `ls -la` row in the listing's lossless form: without its owner and group columns
    (root in every row), its cells one space apart, the name (to the end) as it is."""
    cells = line.split(None, 8)
    return " ".join([*cells[:2], *cells[4:]])


def test_within_budget_only_the_lossless_form_constant_columns_stated_once() -> None:
    text = ls_la(40)
    result = ListingCompressor().compress(text, ctx_for(text, 100_000))
    assert result is not None and result.kept == result.total == 40
    lines = result.text.split("\n")
    assert lines[0].startswith("[headroom: in all 40 rows column 3 is root, column 4 is root")
    originals = split_lines(text)
    assert len(lines[1:]) == len(originals)
    for row, original in zip(lines[1:], originals, strict=True):  # cells left out, none changed
        kept = iter(original.split())
        assert all(cell in kept for cell in row.split()), row
        assert row.split()[-1] == original.split()[-1]
    assert COUNTER.count(result.text) < COUNTER.count(text)


def test_within_budget_padding_is_narrowed_and_every_cell_kept() -> None:
    text = "\n".join(
        f"package-{i:<20}  {i}.{i % 7}.{i % 3}  host{'-' * (i % 4)}  up {i}" for i in range(40)
    )
    result = ListingCompressor().compress(text, ctx_for(text, 100_000))
    assert result is not None and result.kept == result.total == 40
    note, *rows = result.text.split("\n")
    assert note.startswith("[headroom: in all 40 rows cells one space apart")
    for i, row in enumerate(rows):  # the last cell runs to the end of the line, as it was
        assert row == f"package-{i} {i}.{i % 7}.{i % 3} host{'-' * (i % 4)}  up {i}"
    assert COUNTER.count(result.text) < COUNTER.count(text)


def test_a_listing_of_single_spaced_cells_without_constant_columns_is_left_alone() -> None:
    text = "\n".join(f"package-{i} {i}.{i % 7}.{i % 3}" for i in range(40))
    assert ListingCompressor().compress(text, ctx_for(text, 100_000)) is None


def test_a_path_listing_keeps_every_path_whole_without_its_constant_columns() -> None:
    find = "\n".join(
        f"-rw-r--r-- 1 root root {100 + i * 37:>8} 2023-03-29 21:15 net/http/f{i}.go"
        for i in range(120)
    )
    result = ListingCompressor().compress(find, ctx_for(find, 100_000))
    assert result is not None
    for i in range(120):
        assert f"{100 + i * 37} net/http/f{i}.go" in result.text
    assert "column 6 is 2023-03-29" in result.text.split("\n", 1)[0]
    assert "root" not in result.text.split("\n", 1)[1]
    assert COUNTER.count(result.text) < 0.8 * COUNTER.count(find)


def test_path_listings_are_detected_as_listings() -> None:
    du = "\n".join(f"{4 + i % 3}.0K\t./pkg/sub{i % 5}/mod{i}.py" for i in range(40))
    dpkg_l = "\n".join(
        ["/.", "/usr", *(f"/usr/lib/python3/dist-packages/pkg/m{i}.py" for i in range(40))]
    )
    find = "\n".join(
        f"-rw-r--r-- 1 root root {100 + i * 37:>8} 2023-03-29 21:15 net/http/f{i}.go"
        for i in range(40)
    )
    for text in (du, dpkg_l, find):
        assert detect(text).kind == "listing", text[:40]


def test_path_listing_over_budget_keeps_every_path_whole() -> None:
    du = "\n".join(f"{4 + i % 3}.0K\t./pkg/sub{i % 5}/mod{i}.py" for i in range(300))
    out = ListingCompressor().compress(du, ctx_for(du, 3000))
    assert out is not None and out.total == 300
    assert all(f"./pkg/sub{i % 5}/mod{i}.py" in out.text for i in range(300))


def test_a_header_row_does_not_hide_a_constant_column() -> None:
    header = "||/ Name                     Version        Architecture Description"
    rows = [
        f"ii  libpkg{i}-tools:amd64{'':6} 1.{i}.{i % 4}-1{'':6} amd64        tools number {i}"
        for i in range(60)
    ]
    text = "\n".join([header, *rows])
    result = ListingCompressor().compress(text, ctx_for(text, 100_000))
    assert result is not None
    out = result.text.split("\n")
    assert "column 1 is ii" in out[0] and "column 4 is amd64" in out[0]
    assert out[1] == header  # the header row stays as it is
    assert all(not line.startswith("ii ") and " amd64 " not in line for line in out[2:])
    assert all(f"libpkg{i}-tools:amd64" in result.text for i in range(60))


def test_dpkg_l_over_budget_is_compressed_whatever_its_constant_column() -> None:
    from tests.headroom.compressors._runs_helpers import ctx_for

    head = [
        "Desired=Unknown/Install/Remove/Purge/Hold",
        "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend",
        "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)",
        "||/ Name                      Version            Architecture Description",
        "+++-=========================-==================-============-" + "=" * 40,
    ]
    rows = [
        f"ii  {f'libpackage{i}-dev:amd64':<26}{f'1.{i}.{i % 7}-{i % 3}+deb12u1':<19}"
        f"{'amd64' if i % 4 else 'all':<13}development files for package number {i}"
        for i in range(300)
    ]
    text = "\n".join(head + rows)
    result = ListingCompressor().compress(text, ctx_for(text, budget=4000))
    assert result is not None  # (the constant `ii` column could not go: the listing as is)
    assert result.kept is not None and result.total is not None
    assert result.kept < result.total
    names = {row.split()[1] for row in rows}  # a row left out of the whole rows: its name
    assert all(
        line in text.splitlines() or "[headroom:" in line or line in names
        for line in result.text.splitlines()
    )


def xxd(data: bytes) -> str:
    """`xxd`'s layout: an offset, eight groups of two bytes, the bytes as text."""
    rows = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        groups = " ".join(chunk[i : i + 2].hex() for i in range(0, 16, 2))
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append(f"{offset:08x}: {groups}  {text}")
    return "\n".join(rows) + "\n"


def hexdump_c(data: bytes) -> str:
    """`hexdump -C`'s layout: an offset, two runs of eight bytes, the bytes as text."""
    rows = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        first = " ".join(f"{b:02x}" for b in chunk[:8])
        second = " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append(f"{offset:08x}  {first}  {second}  |{text}|")
    return "\n".join(rows) + "\n"


def ruled_table(count: int) -> str:
    """psql's aligned output: cells between bars, padded, a rule under the header."""
    rows = [" id  | region  | status  | note", "-----+---------+---------+------"]
    rows += [f" {i:<3} | eu-west | shipped | {'late' if i % 9 else ''}" for i in range(count)]
    return "\n".join([*rows, f"({count} rows)"]) + "\n"


def test_dumps_and_ruled_tables_are_no_listings_their_lines_stay_as_they_are() -> None:
    data = bytes((i * 37 + i // 7) % 256 for i in range(16 * 200)) + b"GLIBC_2.3.4 libc.so.6 "
    for text in (xxd(data), hexdump_c(data), ruled_table(200)):
        assert detect(text).kind != "listing"
        ctx = ctx_for(text, budget=10**6)
        assert ListingCompressor().compress(text, ctx) is None


def test_a_rule_under_the_header_does_not_hide_constant_columns() -> None:
    rows = [f"{100 + n * 37:>9}  2023-03-28 13:45   pkg/module_{n}.py" for n in range(120)]
    text = "\n".join(
        [
            "Archive:  dist/pkg-1.0-py3-none-any.whl",
            "  Length      Date    Time    Name",
            "---------  ---------- -----   ----",
            *rows,
            "---------                     -------",
            "    26460                     120 files",
        ]
    )
    result = ListingCompressor().compress(text, ctx_for(text, budget=10**6))
    assert result is not None
    assert "column 2 is 2023-03-28" in result.text and "column 3 is 13:45" in result.text
    for n in range(120):
        assert f"pkg/module_{n}.py" in result.text


def test_rows_in_sections_keep_their_section_gaps_marked_rather_than_keys_listed() -> None:
    sections = []
    for d in range(12):
        rows = [f"/srv/app/dir{d}:", "total 84"] + [
            f"-rw-r--r-- 1 root root {1000 + 37 * i:>6} Dec  2 10:13 module{d}_{i}.js"
            for i in range(40)
        ]
        sections.append("\n".join(rows))
    text = "\n\n".join(sections) + "\n"
    result = ListingCompressor().compress(text, ctx_for(text, COUNTER.count(text) // 3))
    assert result is not None
    assert "listed below" not in result.text  # a name listed apart would lose its directory
    assert any(m.detail.endswith(" lines") for m in find_markers(result.text))  # gaps, counted
    for d in range(12):
        assert f"/srv/app/dir{d}:" in result.text.split("\n")  # every section's header


def test_a_tree_keeps_its_glyphs_it_is_no_table_of_cells() -> None:
    lines = ["/usr/lib/python3/dist-packages"]
    for p in range(40):
        last = p == 39
        lines.append(f"{'└──' if last else '├──'} package{p}")
        for m in range(6):
            branch = "└──" if m == 5 else "├──"
            lines.append(f"{'    ' if last else '│   '}{branch} module_{p}_{m}.py")
    text = "\n".join(lines) + "\n"
    assert detect(text).kind != "listing"
    assert ListingCompressor().compress(text, ctx_for(text, COUNTER.count(text) // 3)) is None


def test_cells_holding_blanks_under_a_rule_are_left_as_lines() -> None:
    names = ("Dave Lee", "Carol Jones", "Alice Smith", "Bob Stone")
    lines = [
        "id   name          email         amount  status  ",
        "---  ------------  ------------  ------  --------",
    ]
    lines += [
        f"{i:<4} {names[i % 4]:<13} u{i}@ex.com{'':<{13 - len(f'u{i}@ex.com')}} {100 + i * 1.37:<7.2f} {'late' if i % 3 else 'ok':<8}"
        for i in range(300)
    ]
    text = "\n".join(lines) + "\n"
    # `Dave Lee` is one cell: the table form would read it as two and shift the rest.
    assert ListingCompressor().compress(text, ctx_for(text, COUNTER.count(text) // 3)) is None


def _listed_below(text: str, budget: int) -> list[str]:
    result = ListingCompressor().compress(text, ctx_for(text, budget))
    assert result is not None
    lines = result.text.split("\n")
    note = next(i for i, line in enumerate(lines) if "listed below by column" in line)
    return [line for line in lines[note + 1 :] if line and "[headroom:" not in line]


def test_rows_listed_by_one_cell_are_named_by_their_path_not_their_checksum() -> None:
    text = "\n".join(
        f"{hashlib.md5(str(i).encode()).hexdigest()}  /usr/lib/python3/dist-packages/pkg{i % 9}/module_{i}.py"
        for i in range(300)
    )
    listed = _listed_below(text, COUNTER.count(text) * 2 // 3)
    assert listed and all(line.startswith("/usr/lib/python3/") for line in listed)


def test_rows_listed_by_one_cell_are_never_named_by_a_state_most_rows_share() -> None:
    text = "State     Recv-Q Send-Q Local Address:Port   Peer Address:Port\n" + "\n".join(
        f"{'LISTEN' if i % 50 == 0 else 'TIME-WAIT':<9} 0      0      127.0.0.1:8000       127.0.0.1:{30000 + i}"
        for i in range(400)
    )
    listed = _listed_below(text, COUNTER.count(text) // 2)
    assert listed and all(line.startswith("127.0.0.1:3") for line in listed)


def _tree_depth(i: int) -> str:
    """`ps auxf`'s tree: a parent now and then, most processes its children, some deeper."""
    if i % 12 == 0:
        return ""
    return "     \\_ " if i % 5 == 0 else " \\_ "


def test_a_process_tree_keeps_the_blanks_that_give_its_depth() -> None:
    rows = ["USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"]
    for i in range(60):
        rows.append(
            f"root     {100 + i:>5}  0.0  0.1  {20000 + i:>5}  {4000 + i:>4} ?        S    Dec02   0:00 {_tree_depth(i)}worker-{i}"
        )
    text = "\n".join(rows)
    result = ListingCompressor().compress(text, ctx_for(text, 100_000))
    out = text if result is None else result.text
    for i in range(60):  # each command with the blanks before it, as deep as it was
        assert f"0:00 {_tree_depth(i)}worker-{i}" in out


def find_listing(count: int, big: int) -> str:
    """`find -printf '%M %u %s %t %p'`: every size in bytes differs, so no count of cells
    tells the one big file apart."""
    rows = [
        f"-rw-r--r-- root {1000 + i * 37:>6} 2026-12-02 21:15 ./pkg/mod_{i:04d}/part_{i * 7919 % 10007}.py"
        for i in range(count)
    ]
    rows[big] = "-rw-r--r-- root 126868 2026-12-02 21:15 ./pkg/types/beta/__init__.py"
    return "\n".join(rows)


def test_the_largest_sizes_of_a_listing_stay_whole() -> None:
    text = find_listing(900, 613)
    result = ListingCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 8))
    assert result is not None
    assert "126868" in result.text and "./pkg/types/beta/__init__.py" in result.text


def packages_listing(count: int) -> str:
    lines = ["Name                    Version        Architecture Description"]
    for i in range(count):
        lines.append(
            f"{f'lib{i:03d}-tools':<24}{f'{i % 9}.{i}-{i % 4}':<15}{'amd64':<13}"
            f"{['GNU', 'Debian', 'simple', 'fast'][i % 4]} tools of kind {i} for the "
            f"{['shell', 'package store', 'network layer'][i % 3]}"
        )
    return "\n".join(lines)


def test_rows_not_kept_whole_keep_their_short_cells_beside_their_key() -> None:
    text = packages_listing(300)
    result = ListingCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) * 2 // 3))
    assert result is not None
    assert "listed below by columns 1, 2 only" in result.text
    for i in range(300):  # every package's version is visible, whole rows or not
        assert f"lib{i:03d}-tools" in result.text and f"{i % 9}.{i}-{i % 4}" in result.text


def test_a_note_numbers_the_short_columns_as_the_original_listing_does() -> None:
    # The constant `amd64` column between the name and the version is left out: the note
    # still numbers the version as the listing's third column.
    lines = ["Name                    Architecture Version        Description"]
    for i in range(300):
        lines.append(
            f"{f'lib{i:03d}-tools':<24}{'amd64':<13}{f'{i % 9}.{i}-{i % 4}':<15}"
            f"{['GNU', 'Debian', 'simple', 'fast'][i % 4]} tools of kind {i} for the "
            f"{['shell', 'package store', 'network layer'][i % 3]}"
        )
    text = "\n".join(lines)
    result = ListingCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) * 2 // 3))
    assert result is not None
    assert "listed below by columns 1, 3 only" in result.text


def find_printf(count: int) -> str:
    """`find -printf '%M %u %s %TY-%Tm-%Td %p\\n'`: short cells, then a long path."""
    return "\n".join(
        f"-rw-r--r-- root {1000 + (i * 7919) % 90000:>6} 2023-0{1 + i % 9}-1{i % 10} "
        f"/usr/share/doc/package-{i // 4}/{('changelog.Debian.gz', 'copyright', 'NEWS.gz', 'README')[i % 4]}"
        for i in range(count)
    )


def test_past_the_budget_of_every_key_cell_more_rows_are_named_than_whole_rows_would_show() -> None:
    text = find_printf(2000)
    budget = COUNTER.count(text) // 4
    result = ListingCompressor().compress(text, ctx_for(text, budget))
    assert result is not None and result.total == 2000
    out = result.text.split("\n")
    note = next(m for m in find_markers(result.text) if "rows whole" in m.detail)
    found = re.match(r"kept (\d+) of 2000 rows whole, (\d+) of the other (\d+) are", note.detail)
    assert found is not None, note.detail
    whole, listed, others = (int(n) for n in found.groups())
    assert others == 2000 - whole and whole == result.kept
    paths = [line.split(None, 4)[4] for line in text.split("\n")]
    named = sum(
        1 for path in paths if path in out or any(line.endswith(" " + path) for line in out)
    )
    assert named == whole + listed
    # A path costs about half its row: more rows are named than whole rows would show on
    # the same budget, and the output stays within it.
    assert named > 1.5 * budget / (COUNTER.count(text) / 2000)
    assert COUNTER.count(result.text) <= budget * 1.02
    # Every gap among the listed paths says how many rows it stands for, exactly.
    at_keys = out.index(next(line for line in out if "rows whole" in line)) + 1
    counted = 0
    for line in out[at_keys:]:
        gap = re.fullmatch(r"\[headroom: (\d+) rows?\]", line)
        counted += int(gap.group(1)) if gap else 1
    assert counted == others
