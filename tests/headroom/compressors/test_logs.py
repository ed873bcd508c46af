import re

from hypothesis import given
from hypothesis import strategies as st

from headroom.ccr.markers import ANY_MARKER_RE, find_markers, make_ref, split_lines
from headroom.compressors.base import CompressContext
from headroom.compressors.logs import (
    LogCompressor,
    _classes,
    _digit_blind,
    _line_keys,
    _templates_of,
    template_of,
)
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")


def ctx_for(text: str, query: str = "", budget: int = 400) -> CompressContext:
    return CompressContext(ref=make_ref(text), query=query, budget_tokens=budget, counter=COUNTER)


def test_templates_mask_variable_parts() -> None:
    a = template_of(
        "2024-01-02 10:00:01 INFO req 9f8e7d6c-1111-2222-3333-444455556666 from 10.0.0.1:8080 took 12ms"
    )
    b = template_of(
        "2024-03-04 11:22:33 INFO req 00000000-aaaa-bbbb-cccc-ddddeeeeffff from 192.168.1.7:443 took 7ms"
    )
    assert a == b


def test_repetitive_log_keeps_errors_traces_and_counts() -> None:
    lines = [
        f"2024-01-01 10:00:{i % 60:02d} INFO GET /api/items/{i} 200 {i % 9}ms" for i in range(3000)
    ]
    lines[1200] = "2024-01-01 10:20:00 ERROR payment failed: card declined for order 77"
    lines[1201:1201] = [
        "Traceback (most recent call last):",
        '  File "pay.py", line 3, in charge',
        "ValueError: declined",
    ]
    lines[2500] = "2024-01-01 10:41:40 WARN cache miss ratio high: 0.93"
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text))
    assert result is not None
    out = result.text
    for kept in (
        "ERROR payment failed: card declined for order 77",
        '  File "pay.py", line 3, in charge',
        "ValueError: declined",
        "WARN cache miss ratio high: 0.93",
        lines[0],
        lines[-1],
    ):
        assert kept in out
    # The ref is stated once, on the closing line; each gap is a short marker with its count.
    assert out.count("headroom_retrieve ref=") == 1
    assert out.splitlines()[-1].startswith(f"[headroom: kept {result.kept} of {len(lines)} lines")
    assert all(m.ref == make_ref(text) for m in find_markers(out))
    gaps = [
        int(m["count"]) for m in re.finditer(r"^\[headroom: (?P<count>\d+) lines?\]$", out, re.M)
    ]
    assert gaps and result.kept + sum(gaps) == len(lines)
    assert COUNTER.count(out) < COUNTER.count(text) / 10


def test_pytest_output_keeps_failures_and_summary() -> None:
    lines = ["============================= test session starts =============================="]
    lines += [f"tests/test_mod.py::test_case_{i} PASSED" for i in range(400)]
    lines += [
        "tests/test_mod.py::test_broken FAILED",
        "=================================== FAILURES ===================================",
        "E       AssertionError: assert 1 == 2",
        "FAILED tests/test_mod.py::test_broken - AssertionError",
        "======================== 1 failed, 400 passed in 3.21s =========================",
    ]
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=200))
    assert result is not None
    for kept in lines[-4:]:
        assert kept in result.text


def test_query_term_forces_its_lines_in() -> None:
    lines = [f"12:00:{i % 60:02d} INFO worker {i % 5} handled job {i}" for i in range(2000)]
    lines[999] = "12:16:39 INFO worker 3 handled job tenant-zebra-42"
    text = "\n".join(lines)
    result = LogCompressor().compress(
        text, ctx_for(text, query="what happened to tenant-zebra-42?", budget=150)
    )
    assert result is not None and "tenant-zebra-42" in result.text


def test_single_fatal_among_five_thousand_info_lines_survives() -> None:
    lines = [
        f"2024-02-02T08:{i // 3600 % 60:02d}:{i % 60:02d}Z INFO heartbeat seq={i} ok"
        for i in range(5000)
    ]
    lines[3333] = "2024-02-02T08:55:33Z FATAL storage node n7 unreachable, shutting down"
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=300))
    assert result is not None
    assert lines[3333] in result.text
    assert COUNTER.count(result.text) < 1000


def test_java_stack_trace_survives_whole() -> None:
    trace = [
        'Exception in thread "main" java.lang.IllegalStateException: pool exhausted',
        "\tat com.acme.db.Pool.acquire(Pool.java:88)",
        "\tat com.acme.db.Repo.find(Repo.java:41)",
        "\tat com.acme.Main.main(Main.java:12)",
        "Caused by: java.net.SocketTimeoutException: connect timed out",
        "\tat java.base/java.net.Socket.connect(Socket.java:633)",
        "\t... 3 more",
    ]
    lines = [f"10:00:{i % 60:02d} INFO tick {i}" for i in range(3000)]
    lines[1500:1500] = trace
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=300))
    assert result is not None
    assert "\n".join(trace) in result.text


def test_signs_and_separators_in_templates() -> None:
    assert template_of("blk_-123 stored") == template_of("blk_456 stored") == "blk_<*> stored"
    first = template_of("[req-38101a0b-2096-447d-96ea-a692162415ae] GET")
    assert first == template_of("[req-9bc36dd9-91c5-4314-898a-47625eb93b09] GET") == "[req-<*>] GET"


def test_error_storm_over_budget_keeps_each_template_first_and_last() -> None:
    kinds = ["disk", "net", "auth", "cache", "queue", "dns", "tls", "db"]
    lines = []
    for round_ in range(6):
        lines += [
            f"10:00:{i:02d} ERROR {kind} subsystem failed: code {round_}"
            for i, kind in enumerate(kinds)
        ]
        lines += [f"10:01:{i:02d} INFO tick {round_}-{i}" for i in range(40)]
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=60))
    assert result is not None
    for kind in kinds:
        assert f"ERROR {kind} subsystem failed: code 0" in result.text  # first
        assert f"ERROR {kind} subsystem failed: code 5" in result.text  # last
        assert (
            f"ERROR {kind} subsystem failed: code 1" not in result.text
        )  # the storm is summarised


def test_short_lines_are_kept_before_one_very_long_line() -> None:
    """A package list on one line costs as much as dozens of ordinary lines: the budget
    goes to the ordinary lines (dates, commands) first."""
    blocks = []
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    for i, word in enumerate(words):  # each Install line a template of its own
        packages = ", ".join(f"lib{word}-{n}:amd64 (1.{n}.0-1, automatic)" for n in range(25))
        blocks += [
            f"Start-Date: 2026-05-{i + 1:02d}  16:{i:02d}:19",
            f"Commandline: apt-get install -y tool{i}",
            f"Install: {packages}",
            f"End-Date: 2026-05-{i + 1:02d}  16:{i + 20:02d}:21",
            "",
        ]
    text = "\n".join(blocks)
    result = LogCompressor().compress(text, ctx_for(text, budget=3000))  # room for 6 Install lines
    assert result is not None
    kept = result.text.split("\n")
    dates = [line for line in blocks if line.startswith(("Start-Date", "End-Date"))]
    assert sum(line in kept for line in dates) >= 12
    assert sum(line.startswith("Install: ") for line in kept) <= 5


def test_every_output_line_is_an_original_line_or_a_marker() -> None:
    long_tail = " ".join(f"segment{n}=value" for n in range(60))
    lines = [f"2024-01-01 10:00:{i % 60:02d} INFO request {i} {long_tail}" for i in range(400)]
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=600))
    assert result is not None
    originals = set(lines)
    for line in result.text.split("\n"):
        assert line in originals or ANY_MARKER_RE.fullmatch(line), line[:80]


def test_failure_titles_are_kept_and_huge_lines_are_cut_with_a_marker() -> None:
    lines = []
    for n in range(40):
        lines += [
            f"________________ test_has_license[package{n}-1.0.dist-info] ________________",
            "",
            "    def test_has_license(meta):",
            f">       assert 'License:' in text, 'no licence in package{n}'",
            f"E       AssertionError: assert 'License:' in '{'Metadata-Version: 2.4 ' * 300}'",
            "",
            "test_sample.py:12: AssertionError",
        ]
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=2000))
    assert result is not None
    out = result.text.split("\n")
    titles = [line for line in lines if line.startswith("_____")]
    assert all(title in out for title in titles)  # every failure keeps its title
    cut = [line for line in out if line.startswith("E       AssertionError")]
    assert cut and all("more characters of this line cut" in line for line in cut)
    for line in cut:
        head = line.split(" [headroom: ")[0]
        assert any(original.startswith(head) for original in lines) and len(head) <= 1000


def test_warnings_of_one_template_are_all_kept_while_they_fit_a_third_of_the_budget() -> None:
    lines = [
        f"2024-01-01 10:{i // 60 % 60:02d}:{i % 60:02d} INFO served block {i}" for i in range(3000)
    ]
    warned = list(range(17, 3000, 50))  # 60 warnings of one template
    for i in warned:
        lines[i] = (
            f"2024-01-01 10:{i // 60 % 60:02d}:{i % 60:02d} WARN slow reply from 10.0.{i % 7}.{i % 250}"
        )
    text = "\n".join(lines)
    # Room for their 60 gap markers within the markers' share of the output, too.
    result = LogCompressor().compress(text, ctx_for(text, budget=20000))
    assert result is not None
    out = set(result.text.split("\n"))
    assert all(lines[i] in out for i in warned)


def test_a_storm_of_one_error_keeps_markers_within_their_share() -> None:
    lines = [
        f"2024-01-01 10:{i // 60 % 60:02d}:{i % 60:02d} INFO served block {i}" for i in range(3000)
    ]
    for i in range(5, 3000, 7):
        lines[i] = f"2024-01-01 10:00:00 ERROR cannot find child {i} in scoreboard"
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=6000))
    assert result is not None
    markers = ANY_MARKER_RE.findall(result.text)
    # Gaps keep to their share of the budget (the first of each error template apart).
    assert len(markers) * 8 <= 0.03 * 6000 + 8 * 4
    assert lines[5] in result.text and lines[2994] in result.text  # first and last error


def letters(n: int) -> str:
    return chr(97 + n // 26) + chr(97 + n % 26)


def test_in_an_error_storm_that_does_not_fit_the_lines_around_errors_go_first() -> None:
    lines = []
    for i in range(2000):
        if i % 5 == 0:
            lines.append(
                f"10:{i % 60:02d}:00 FATAL node R{i % 97} kernel panic {letters(i // 5 % 150)} at step {i}"
            )
        else:
            lines.append(f"10:{i % 60:02d}:00 INFO node R{i % 97} heartbeat {i}")
    text = "\n".join(lines)
    budget = 4000
    result = LogCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    out = result.text.split("\n")
    kept = [line for line in out if "FATAL" in line and "<*>" not in line]  # not the summary
    fatal_kinds = {line.split("panic ")[1].split(" ")[0] for line in kept}
    assert fatal_kinds == {letters(n) for n in range(150)}  # every distinct error, once at least
    # The heartbeat before and after each error is what goes: not kept around all 300.
    assert sum("INFO" in line for line in out) < 30


_LOG_PIECES = [
    "0x1f", "0X2A", "5x", "ab12", "deadbeef-dead-beef-dead-beefdeadbeef", "10.0.0.1:8080",
    "2024-01-02T03:04:05.678Z", "2024-01-02 03:04:05,9+01:00", "blk_-42", "req-42", "-7",
    "0", "9", "123", "é1", "١٢", " ", "\r", "\t", "x", "_", "INFO", ":", ".", "/", "-",
]  # fmt: skip


@given(
    st.lists(
        st.lists(st.sampled_from(_LOG_PIECES), max_size=10).map("".join), min_size=1, max_size=30
    )
)
def test_templates_of_a_whole_log_are_those_of_each_line(lines: list[str]) -> None:
    text = "\n".join(lines)
    raw = split_lines(text)
    keys = _line_keys(text, raw)
    template_of_key = _templates_of(list(dict.fromkeys(keys)))
    assert [template_of_key[key] for key in keys] == [
        template_of(line).rstrip("\r") for line in raw
    ]


_CLASS_PIECES = [
    "ERROR", "error: ", "FAILED ", "Traceback (most recent call last)", "WARN ", "warning: ",
    "===== ", " passed", " failed", " errors", "test result:", "Tests: ", "make[2]: ***",
    "error[E0308]", "ok ", "0.5s", "____ ", "--- FAIL: ", "found 3 vulnerabilities", "42", "7",
    "0", " ", "x", "é", "١",
]  # fmt: skip


@given(st.lists(st.sampled_from(_CLASS_PIECES), max_size=12).map("".join))
def test_line_classes_never_tell_one_digit_from_another(line: str) -> None:
    # Classes are worked out once per digit-blind line: that is only right if so.
    assert _digit_blind(line) == line.translate(str.maketrans("0123456789", "1" * 10))
    assert _classes(line) == _classes(_digit_blind(line))


def test_a_long_line_is_cut_only_as_much_as_the_budget_needs() -> None:
    packages = ", ".join(f"libpkg{n}:amd64 (1.{n}.0-1, automatic)" for n in range(150))
    lines = []
    for day in range(1, 9):
        lines += [
            f"Start-Date: 2026-05-0{day}  16:00:19",
            f"Install: {packages}",
            "End-Date: x",
            "",
        ]
    text = "\n".join(lines)
    roomy = LogCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) * 2 // 3))
    tight = LogCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 5))
    assert roomy is not None and tight is not None
    longest = max(len(line) for line in roomy.text.split("\n"))
    assert 2000 < longest < len(f"Install: {packages}")  # cut, but by what the budget needs
    assert max(len(line) for line in tight.text.split("\n")) < longest


def test_a_line_ending_in_an_exception_class_is_an_error() -> None:
    assert _classes(
        "/venv/lib/python3.11/site-packages/scipy/stats/_morestats.py:4299: UnexpectedException"
    )[0]
    assert _classes("worker stopped: ConnectionResetError")[0]
    assert not _classes("2024-01-01 INFO ErrorBudget service handled 3 items")[0]


def test_fatal_events_without_an_error_word_are_errors() -> None:
    fatal = [
        "May 01 03:20:13 web-01 kernel: Out of memory: Killed process 2211 (acme-api)",
        "[INFO] BUILD FAILURE",
        "[INFO] acme-service ............................ FAILURE [ 27.176 s]",
        "gmake: *** [Makefile:91: all] Error 2",
        "Segmentation fault (core dumped)",
    ]
    for line in fatal:
        assert _classes(line)[0], line  # an error line: kept, each template's first and last
    for line in ("May 01 03:20:13 web-01 kernel: [UFW BLOCK] IN=eth0", "error_count=0 ok"):
        assert not _classes(line)[0], line


def test_requests_answered_with_an_error_status_are_errors_and_copies_are_not_kept_twice() -> None:
    lines = []
    for i in range(1500):
        stamp = f"[03/Dec/2026 03:{28 + i // 600:02d}:{(i // 10) % 60:02d}]"
        if i % 25 == 7:
            lines.append(f"127.0.0.1 - - {stamp} code 404, message File not found")
            lines.append(f'127.0.0.1 - - {stamp} "GET /missing/file-{i}.whl HTTP/1.1" 404 -')
        else:
            lines.append(f'127.0.0.1 - - {stamp} "GET /simple/package-{i}/ HTTP/1.1" 200 -')
    out = _kept_lines(lines, share=4)
    failed = [line for line in lines if '" 404 -' in line]
    # the failed requests by their status (past the markers' share, a few wait in gaps)
    assert sum(1 for line in failed if line in out) >= 0.9 * len(failed)
    shown = [line for line in out if "[headroom:" not in line]
    assert len(shown) == len(set(shown))  # no copy of a line shown twice


def test_an_exit_status_is_an_error_by_its_value_and_a_verdict_near_the_end_stays() -> None:
    lines = []
    for i in range(900):
        pid = 5000 + i // 30
        lines.append(
            f'[pid {pid}] 03:29:{i % 60:02d}.{i:06d} openat(AT_FDCWD, "/usr/lib/x{i}.so", O_RDONLY) = {3 + i % 5}'
        )
        if i % 30 == 29:
            status = 1 if pid == 5017 else 0
            lines.append(f"[pid {pid}] 03:29:{i % 60:02d}.{i:06d} +++ exited with {status} +++")
    lines += ["build succeeded, 258 warnings.", "", "The HTML pages are in _build."]
    out = _kept_lines(lines, share=8)
    failed = "+++ exited with 1 +++"
    assert any(line.endswith(failed) for line in out)  # the one non-zero exit
    assert sum(1 for line in out if line.endswith("+++ exited with 0 +++")) < 10  # no errors
    assert "build succeeded, 258 warnings." in out  # the verdict, before the closing lines


def test_a_log_of_a_few_errors_keeps_them_all_past_the_markers_share() -> None:
    lines = []
    for i in range(3000):
        if i % 60 == 30:  # many warnings of their own templates: their gaps fill the share
            lines.append(
                f"2026-12-03 03:{i % 60:02d}:00 WARNING {'abcdefghijklmnopqrstuvwxyz'[i // 60 % 26]}-cache miss on shard"
            )
        elif i % 400 == 217:
            lines.append(
                f"2026-12-03 03:{i % 60:02d}:00 ERROR billing.worker invoice {i} failed: tax lookup"
            )
        else:
            lines.append(f"2026-12-03 03:{i % 60:02d}:00 DEBUG fetched invoice {i} from the queue")
    out = _kept_lines(lines, share=10)
    errors = [line for line in lines if " ERROR " in line]
    assert len(errors) == 7 and all(line in out for line in errors)


def _kept_lines(lines: list[str], share: int) -> list[str]:
    """The output lines of `lines` compressed within a `share`th of their tokens."""
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // share))
    assert result is not None
    return result.text.split("\n")


def test_a_warning_storm_shows_where_it_began_and_where_it_ended() -> None:
    # The kernel's `EXT4-fs warning (device sda1):` is a warning; a storm of one template
    # keeps its first and its last occurrence, whatever the budget leaves for the rest.
    lines = [
        f"Mar 14 02:{i // 60 % 60:02d}:{i % 60:02d} web-01 systemd[1]: Started session {i} of user app."
        for i in range(4000)
    ]
    storm = list(range(1500, 3500, 50))
    for i in storm:
        lines[i] = (
            f"Mar 14 02:{i // 60 % 60:02d}:{i % 60:02d} web-01 kernel: EXT4-fs warning (device sda1): "
            f"ext4_dx_add_entry:2461: Directory (ino: {2000 + i}) index full, reach max htree level :2"
        )
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=1500))
    assert result is not None
    out = set(result.text.split("\n"))
    assert lines[storm[0]] in out and lines[storm[-1]] in out


def test_a_line_shown_from_a_record_keeps_the_records_first_line() -> None:
    """apt's history.log is records (blank-line separated, each opening with
    `Start-Date:`): a line shown from one keeps the date it ran at."""
    records = []
    for day in range(1, 29):
        records += [
            f"Start-Date: 2026-05-{day:02d}  1{day % 10}:0{day % 6}:{day + 10}",
            f"Commandline: apt-get install -y build-essential lib{day}-dev",
            f"Install: lib{day}-dev:amd64 (2.3.{day}-1+b1, automatic), "
            + ", ".join(f"libpart{k}:amd64 (1.{k}.{day}, automatic)" for k in range(40)),
            f"End-Date: 2026-05-{day:02d}  1{day % 10}:0{day % 6}:{day + 20}",
            "",
        ]
    text = "\n".join(records)
    result = LogCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 2))
    assert result is not None
    out = result.text.split("\n")
    shown = [
        i
        for i, line in enumerate(records)
        if line.startswith(("Install:", "Commandline:")) and line in out
    ]
    assert 4 <= len(shown) < 56
    for i in shown:
        start = records[i - 1 if records[i].startswith("Commandline") else i - 2]
        assert start in out, (records[i], start)


def test_an_error_storm_of_many_templates_drops_their_last_occurrences_before_the_budget() -> None:
    """Hundreds of error templates, each seen twice: when even one line of each, without
    the lines around it, fills the budget, their last occurrences go (where a storm ended
    says less than which errors there were)."""
    paths = [
        f"/api/v{i % 3}/{word}"
        for i, word in enumerate(
            f"resource{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(260)
        )
    ]
    lines = [
        f'10.0.0.{i % 250} - - [03/Dec/2026:10:{i % 60:02d}:00 +0000] "GET {path} HTTP/1.1" 502 {100 + i}'
        for i, path in enumerate(paths)
    ]
    lines += [
        f'10.0.1.{i % 250} - - [03/Dec/2026:11:{i % 60:02d}:00 +0000] "GET {path} HTTP/1.1" 504 {200 + i}'
        for i, path in enumerate(paths)
    ]
    text = "\n".join(lines)
    budget = COUNTER.count(text) * 3 // 5
    result = LogCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    assert COUNTER.count(result.text) <= budget * 1.1
    out = result.text.split("\n")
    assert sum(1 for line in lines[:260] if line in out) >= 200  # the templates' first lines


def test_a_log_whose_lines_hold_no_digits_is_compressed() -> None:
    """No line holds a value with a digit (no timestamps, no ids): ranking lines by rare
    values has nothing to shape, and the log is still compressed, its error kept."""
    lines = [f"INFO worker {w} picked up a job from the queue" for w in ["alpha", "beta"] * 100]
    lines.append("ERROR worker omega lost its connection")
    text = "\n".join(lines)
    result = LogCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 5))
    assert result is not None
    assert "ERROR worker omega lost its connection" in result.text.split("\n")
