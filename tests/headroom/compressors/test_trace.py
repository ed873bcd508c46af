from headroom.compressors.base import default_registry
from headroom.compressors.trace import TraceCompressor
from headroom.engine.router import detect
from tests.headroom.compressors._runs_helpers import COUNTER, assert_verbatim, ctx_for

LIB = "/usr/lib/python3.11/site-packages/lib{0}/mod.py"


def python_chain() -> str:
    def frames(tag: str) -> list[str]:
        out = []
        for i in range(12):
            out += [f'  File "{LIB.format(i)}", line {10 + i}, in call{i}', f"    step_{tag}_{i}()"]
        return out

    return "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/home/me/app/main.py", line 3, in <module>',
            "    run()",
            *frames("a"),
            "KeyError: 'user_id'",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "Traceback (most recent call last):",
            *frames("b"),
            '  File "/home/me/app/service.py", line 40, in load',
            "    raise LookupFailed('no user') from err",
            "app.errors.LookupFailed: no user",
            "",
            "During handling of the above exception, another exception occurred:",
            "",
            "Traceback (most recent call last):",
            *frames("c"),
            "RuntimeError: giving up",
        ]
    )


def java_chain() -> str:
    lines = ['Exception in thread "main" java.lang.RuntimeException: outer failure']
    lines += [f"\tat java.base/java.util.Thing{i}.run(Thing{i}.java:{i + 1})" for i in range(15)]
    lines += ["\tat com.acme.Main.main(Main.java:12)"]
    lines += ["Caused by: java.lang.IllegalStateException: middle failure"]
    lines += ["\tat com.acme.Store.open(Store.java:40)"] + [
        "\tat com.acme.Store.retry(Store.java:41)"
    ] * 20
    lines += ["\t... 16 more", "Caused by: java.io.IOException: disk gone"]
    lines += ["\tat com.acme.Disk.read(Disk.java:7)", "\t... 37 more"]
    return "\n".join(lines)


def test_detects_python_and_java_traces() -> None:
    assert detect(python_chain()).kind == "trace"
    assert detect(java_chain()).kind == "trace"


def test_log_with_a_trace_is_a_log() -> None:
    log = [f"2024-01-01 10:00:{i % 60:02d} INFO worker handled job {i}" for i in range(60)]
    log[30:30] = [
        "Traceback (most recent call last):",
        '  File "/a/b.py", line 1, in f',
        "ValueError: x",
    ]
    assert detect("\n".join(log)).kind == "log"


def test_every_exception_and_chain_line_kept_and_user_frames_kept() -> None:
    text = python_chain()
    result = TraceCompressor().compress(text, ctx_for(text, budget=60))
    assert result is not None
    for line in text.split("\n"):
        if line.endswith(("'user_id'", "no user", "giving up")) or "above exception" in line:
            assert line in result.text.split("\n")
    assert '  File "/home/me/app/main.py", line 3, in <module>' in result.text
    assert '  File "/home/me/app/service.py", line 40, in load' in result.text
    assert "step_a_5()" not in result.text  # a library frame in the middle: collapsed
    assert_verbatim(text, result.text)


def test_every_caused_by_kept_and_library_frames_counted_exactly() -> None:
    text = java_chain()
    result = TraceCompressor().compress(text, ctx_for(text, budget=60))
    assert result is not None
    out = result.text.split("\n")
    for line in text.split("\n"):
        if line.startswith(("Caused by", "Exception in thread", "\t...")):
            assert line in out
    assert "\tat com.acme.Main.main(Main.java:12)" in out
    assert "[headroom: 14 lines]" in out  # 15 JDK frames, the first (where it was raised) kept
    assert "[headroom: 19 lines]" in out  # the recursion: one frame shown, its 19 repeats counted
    assert_verbatim(text, result.text)


def test_a_recursion_through_library_frames_shows_its_cycle_once() -> None:
    cycle = [
        '  File "/usr/lib/python3.11/copy.py", line 146, in deepcopy',
        "    y = copier(x, memo)",
        '  File "/usr/lib/python3.11/copy.py", line 206, in _deepcopy_list',
        "    append(deepcopy(a, memo))",
    ]
    text = "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/home/me/app/snap.py", line 21, in snapshot',
            "    return copy.deepcopy(state)",
            *cycle * 200,
            "RecursionError: maximum recursion depth exceeded",
        ]
    )
    result = TraceCompressor().compress(text, ctx_for(text, budget=5_000))
    assert result is not None
    out = result.text.split("\n")
    assert out[3:7] == cycle  # the cycle once, right after the user's frame
    assert "[headroom: 796 lines]" in out  # its 199 repeats counted
    assert_verbatim(text, result.text)


def test_quoted_phrase_kept_even_in_a_library_frame() -> None:
    text = java_chain()
    result = TraceCompressor().compress(text, ctx_for(text, query="what is `Thing7.run`?"))
    assert result is not None
    assert "\tat java.base/java.util.Thing7.run(Thing7.java:8)" in result.text


def test_nothing_to_collapse_within_budget_is_none() -> None:
    text = "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/home/me/a.py", line 1, in f',
            "    f()",
            "ValueError: bad",
        ]
    )
    assert TraceCompressor().compress(text, ctx_for(text, budget=10_000)) is None


def test_deterministic_and_never_raises() -> None:
    text = python_chain()
    compressor = default_registry()["trace"]
    assert compressor.compress(text, ctx_for(text)) == compressor.compress(text, ctx_for(text))
    for junk in [
        "",
        "\n\n\n",
        "at at at\n" * 10,
        "\x00" * 5,
        "Traceback (most recent call last):\n" * 9,
    ]:
        compressor.compress(junk, ctx_for(junk))


def exception_group(count: int) -> str:
    out = [
        "  + Exception Group Traceback (most recent call last):",
        '  |   File "/home/me/app/load.py", line 16, in <module>',
        "  |     run()",
        f"  | ExceptionGroup: loading failed ({count} sub-exceptions)",
    ]
    for i in range(count):
        out.append(f"  {'+-' if i == 0 else '  '}+---------------- {i + 1} ----------------")
        out += [
            "    | Traceback (most recent call last):",
            '    |   File "/home/me/app/load.py", line 12, in run',
            "    |     load(i)",
            f'    |   File "{LIB.format(i % 3)}", line 346, in loads',
            "    |     return _default_decoder.decode(s)",
            f"    | ValueError: bad value in record {i}",
        ]
    out.append("    +------------------------------------")
    return "\n".join(out)


def test_an_exception_group_is_a_trace_and_keeps_every_sub_exception() -> None:
    text = exception_group(30)
    assert detect(text).kind == "trace"
    result = TraceCompressor().compress(text, ctx_for(text, budget=400))
    assert result is not None
    out = result.text.split("\n")
    for i in range(30):  # every sub-exception's separator and exception line
        assert f"    | ValueError: bad value in record {i}" in out
        assert any(line.endswith(f" {i + 1} ----------------") for line in out)
    assert "  | ExceptionGroup: loading failed (30 sub-exceptions)" in out
    assert_verbatim(text, result.text)


def test_a_full_rust_backtrace_is_a_trace_and_its_std_frames_collapse() -> None:
    lines = [
        "thread 'main' (8783) panicked at src/main.rs:2:50:",
        "invalid port in config",
        "stack backtrace:",
    ]
    for n in range(30):
        where = (
            "std[e28293b1aa0f68bd]::rt::lang_start_internal"
            if n % 3
            else "core[c1f1a4ba060b9bfa]::ops::function::FnOnce::call_once"
        )
        lines += [
            f"  {n:>2}:     0x55b8539da{n:03x} - {where}::h{n}",
            f"                               at /rustc/5980761/library/std/src/rt.rs:{100 + n}:9",
        ]
    lines[3 + 2 * 14] = "  14:     0x55b8539da0aa - myapp::config::load_port"
    lines[4 + 2 * 14] = "                               at ./src/config.rs:12:5"
    text = "\n".join(lines)
    assert detect(text).kind == "trace"
    result = TraceCompressor().compress(text, ctx_for(text, budget=10_000))
    assert result is not None
    assert_verbatim(text, result.text)
    out = result.text.split("\n")
    assert "  14:     0x55b8539da0aa - myapp::config::load_port" in out  # the user's own frame
    assert sum(1 for line in out if " - std[" in line) < 5  # the runtime's frames collapse


def test_a_jvm_thread_dump_is_a_trace() -> None:
    lines = ["Full thread dump OpenJDK 64-Bit Server VM (17.0.15 mixed mode, sharing):", ""]
    for t in range(12):
        lines += [
            f'"worker-{t}" #{t + 10} daemon prio=5 os_prio=0 cpu=0.10ms elapsed=2.22s tid=0x00007f29{t:04x} nid=0x20e{t} waiting on condition',
            "   java.lang.Thread.State: WAITING (parking)",
            "\tat jdk.internal.misc.Unsafe.park(java.base@17.0.15/Native Method)",
            "\tat java.util.concurrent.locks.LockSupport.park(java.base@17.0.15/LockSupport.java:341)",
            "\tat java.util.concurrent.ThreadPoolExecutor.getTask(java.base@17.0.15/ThreadPoolExecutor.java:1062)",
            f"\tat com.example.app.Worker.run(Worker.java:{40 + t})",
            "",
        ]
    text = "\n".join(lines)
    assert detect(text).kind == "trace"


def test_a_node_errors_bracketed_cause_is_a_chain_line() -> None:
    # Node prints an error's cause as `[cause]: Error: ...` inside the error's properties,
    # and `... 3 lines matching cause stack trace ...` for frames the two share.
    lines: list[str] = []
    for n in range(20):
        lines += [
            f"Error: config /etc/ledger/tenant-{n}.json unreadable",
            "    at readCfg (file:///srv/app/svc.mjs:2:96)",
            "    ... 3 lines matching cause stack trace ...",
            "    at async asyncRunEntryPointWithESMLoader (node:internal/modules/run_main:117:5) {",
            f"  [cause]: Error: ENOENT: no such file or directory, open '/etc/ledger/tenant-{n}.json'",
            "      at Object.readFileSync (node:fs:448:20)",
            "      at readCfg (file:///srv/app/svc.mjs:2:50)",
            *[
                f"      at ModuleJob.run (node:internal/modules/esm/module_job:{k}:25)"
                for k in range(8)
            ],
            "  }",
            "}",
        ]
    text = "\n".join(lines)
    result = TraceCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 4))
    assert result is not None
    for n in range(20):
        assert f"open '/etc/ledger/tenant-{n}.json'" in result.text
    assert_verbatim(text, result.text)
