import re

from headroom.ccr.markers import find_markers, make_ref
from headroom.compressors.base import CompressContext
from headroom.compressors.diff import DiffCompressor
from headroom.compressors.search import SearchCompressor
from headroom.engine.query import focus_of
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")


def ctx_for(text: str, query: str = "", budget: int = 300) -> CompressContext:
    return CompressContext(ref=make_ref(text), query=query, budget_tokens=budget, counter=COUNTER)


def test_search_groups_by_file_and_counts_omitted() -> None:
    lines = [
        f"src/mod_{f}.py:{n}:    value = compute_{n}(x)" for f in range(10) for n in range(1, 40)
    ]
    lines.append("src/special.py:7:    token = rotate_secret(vault)")
    text = "\n".join(lines)
    result = SearchCompressor().compress(text, ctx_for(text, query="where is rotate_secret called"))
    assert result is not None
    assert "src/special.py:7:    token = rotate_secret(vault)" in result.text
    for f in range(10):
        assert f"src/mod_{f}.py" in result.text  # no file silently dropped
    # Each file's gap marker follows its kept lines and counts its omitted matches.
    out = result.text.split("\n")
    after_mod_3 = [
        out[i + 1] for i, line in enumerate(out[:-1]) if line.startswith("src/mod_3.py:")
    ][-1]
    assert re.fullmatch(r"\[headroom: \d+ of 39 matches\]", after_mod_3)


DIFF = """commit abc123
Author: Dev <dev@example.com>

    Fix retry loop

diff --git a/app/retry.py b/app/retry.py
index 111..222 100644
--- a/app/retry.py
+++ b/app/retry.py
@@ -1,12 +1,12 @@
 import time
 
 
 def retry(fn):
-    for attempt in range(3):
+    for attempt in range(5):
         try:
             return fn()
         except IOError:
             time.sleep(1)
 
 
 # end
diff --git a/yarn.lock b/yarn.lock
index 333..444 100644
--- a/yarn.lock
+++ b/yarn.lock
@@ -1,3 +1,3 @@
-left-pad@1.0.0:
+left-pad@1.1.0:
   resolved "https://registry/left-pad"
""" + "".join(
    f"""diff --git a/pkg/file_{i}.go b/pkg/file_{i}.go
--- a/pkg/file_{i}.go
+++ b/pkg/file_{i}.go
@@ -10,7 +10,7 @@ func F{i}() {{
     a := {i}
     b := a * 2
     c := b + 1
-    return c
+    return c + {i}
     // trailing
     // context
     // lines
"""
    for i in range(40)
)


def test_diff_keeps_every_file_header_and_summarises_lockfiles() -> None:
    result = DiffCompressor().compress(DIFF, ctx_for(DIFF, query="retry attempts", budget=400))
    assert result is not None
    out = result.text
    assert "commit abc123" in out and "    Fix retry loop" in out
    for i in range(40):
        assert f"diff --git a/pkg/file_{i}.go b/pkg/file_{i}.go" in out
    assert "+    for attempt in range(5):" in out  # the hunk the query names
    assert "left-pad@1.1.0" not in out and "[headroom: generated or lock file" in out
    assert "// lines" not in out.split("diff --git a/yarn.lock")[0]  # context trimmed
    assert result.kept < result.total
    assert COUNTER.count(out) < COUNTER.count(DIFF)


def test_diff_weighs_a_question_word_against_what_a_hunk_costs() -> None:
    # A rewritten table of timings names `log` (asked of `git log -p`) on every row; the ten
    # small edits name nothing asked. The word raises the table, it does not buy all of it.
    table = "\n".join(
        f"@@ -{i * 200},90 +{i * 200},90 @@\n"
        + "\n".join(f"-| run_{r}.log | log | {r * 31} | {r * 7} |" for r in range(90))
        + "\n"
        + "\n".join(f"+| run_{r}.log | log | {r * 31} | {r * 9} |" for r in range(90))
        for i in range(1)
    )
    edits = [
        f"diff --git a/src/mod_{i}.py b/src/mod_{i}.py\n--- a/src/mod_{i}.py\n"
        f"+++ b/src/mod_{i}.py\n@@ -{i + 3},2 +{i + 3},2 @@\n def step_{i}():\n"
        f"-    return {i}\n+    return {i} + offset_{i}"
        for i in range(10)
    ]
    text = "\n".join(
        [
            "diff --git a/docs/timings.md b/docs/timings.md",
            "--- a/docs/timings.md",
            "+++ b/docs/timings.md",
            table,
            *edits,
        ]
    )
    ctx = ctx_for(text, query="git log", budget=COUNTER.count(text) // 2)
    result = DiffCompressor().compress(text, ctx)
    assert result is not None
    for i in range(10):
        assert f"+    return {i} + offset_{i}" in result.text
    assert "+| run_89.log" not in result.text


def test_diff_removed_line_that_looks_like_a_header_stays_in_its_hunk() -> None:
    text = (
        "diff --git a/x.sql b/x.sql\n--- a/x.sql\n+++ b/x.sql\n@@ -1,3 +1,2 @@\n select 1;\n--- old comment\n+++ new comment\n"
        + "".join(
            f"diff --git a/f{i} b/f{i}\n--- a/f{i}\n+++ b/f{i}\n@@ -1 +1 @@\n-a\n+b\n"
            for i in range(30)
        )
    )
    result = DiffCompressor().compress(text, ctx_for(text, budget=300))
    assert result is not None
    assert "--- old comment\n+++ new comment" in result.text


def test_grep_over_two_hundred_files_names_every_file() -> None:
    lines = [
        f"pkg/module_{f:03d}/handler.py:{n}:    return handle(request, {n})"
        for f in range(200)
        for n in (10, 20, 30)
    ]
    text = "\n".join(lines)
    result = SearchCompressor().compress(text, ctx_for(text, budget=500))
    assert result is not None
    for f in range(200):
        assert f"pkg/module_{f:03d}/handler.py" in result.text
    assert COUNTER.count(result.text) < COUNTER.count(text) / 2
    closing = [m for m in find_markers(result.text) if "more files" in m.detail]
    assert closing and "pkg/module_199/handler.py 3" in closing[0].detail


def test_a_match_the_question_quotes_is_kept_whole() -> None:
    lines = [f"pkg/module{i % 40}.py:{i}:    def __init__(self, value{i}):" for i in range(600)]
    text = "\n".join(lines)
    wanted = lines[437]
    query = f"What does the grep say about `{wanted.split('    ')[0]}`?"
    # A budget too small for any line: the quoted match is kept all the same.
    ctx = CompressContext(make_ref(text), query, 5, COUNTER, focus=focus_of(query, text))
    result = SearchCompressor().compress(text, ctx)
    assert result is not None and wanted in result.text.split("\n")


def test_grep_context_lines_are_not_counted_as_matches_and_go_first() -> None:
    blocks = []
    for i in range(60):
        path = f"pkg/mod{i // 10}.py"
        blocks.append(
            "\n".join(
                [
                    f"{path}-{10 * i + 1}-    setup_{i}()",
                    f"{path}:{10 * i + 2}:    # TODO: handle case {i}",
                    f"{path}-{10 * i + 3}-    cleanup_{i}()",
                ]
            )
        )
    text = "\n--\n".join(blocks)
    result = SearchCompressor().compress(text, ctx_for(text, budget=400))
    assert result is not None and result.total == 60  # matches only, not context lines
    out = result.text.split("\n")
    kept_matches = [line for line in out if ":    # TODO" in line]
    assert result.kept == len(kept_matches)
    path = ""
    for line in out[:-1]:
        gap = re.fullmatch(r"\[headroom: (\d+) of (\d+) matches.*\]", line)
        if gap is None:
            path = line.split(":", 1)[0].rsplit("-", 2)[0] if not line.startswith("[") else path
            continue
        shown = sum(1 for kept_line in kept_matches if kept_line.startswith(path + ":"))
        assert int(gap.group(2)) == int(gap.group(1)) + shown == 10
    # With a budget for every match, context lines are what goes.
    roomy = SearchCompressor().compress(text, ctx_for(text, budget=1500))
    assert roomy is not None and roomy.kept == 60
    assert re.search(r"\[headroom: \d+ context lines\]", roomy.text)


def one_file_diff(header: str = "@@ -1,40 +1,40 @@", quoted_line: int | None = None) -> str:
    """A file's one hunk of 40 context lines around a change at line 30, then the same in
    eight more files (their names, and `RetryPolicy` in a header, changed)."""
    lines = ["diff --git a/app.py b/app.py", "--- a/app.py", "+++ b/app.py", header]
    body = [f" context line number {i}" for i in range(40)]
    if quoted_line is not None:
        body[quoted_line] = " from app.errors import InputError"
    body[30] = "-    old = 1"
    body.insert(31, "+    new = 2")
    text = "\n".join(lines + body)
    others = (
        text.replace("app.py", f"mod{i}.py").replace("RetryPolicy", f"Other{i}") for i in range(8)
    )
    return "\n".join([text, *others])


def quoting(text: str, quoted: str) -> CompressContext:
    return CompressContext(
        ref=make_ref(text),
        query=quoted,
        focus=focus_of(quoted, text),
        budget_tokens=200,
        counter=COUNTER,
    )


def test_diff_keeps_a_context_line_the_question_quotes() -> None:
    text = one_file_diff(quoted_line=5)
    quoted = "What does the diff say about `from app.errors import InputError`?"
    result = DiffCompressor().compress(text, quoting(text, quoted))
    assert result is not None
    assert " from app.errors import InputError" in result.text.split("\n")
    assert " context line number 12" not in result.text  # other context still trimmed


def test_diff_keeps_a_hunk_header_the_question_quotes_as_it_is() -> None:
    header = "@@ -1,40 +1,40 @@ class RetryPolicy:"
    text = one_file_diff(header)
    quoted = "What does the diff say about `class RetryPolicy:`?"
    result = DiffCompressor().compress(text, quoting(text, quoted))
    assert result is not None
    out = result.text.split("\n")
    assert header in out  # not a recomputed header over trimmed context
    assert out.count(" context line number 12") == 1  # the other hunks' context trimmed


def test_the_budget_is_shared_over_the_files_not_spent_on_the_first() -> None:
    files = ["src/ser.rs", "src/de.rs", "src/read.rs", "src/map.rs", "src/value/mod.rs"]
    lines = [
        f"{path}:{10 + 7 * n}:    fn {path.split('/')[-1][:-3]}_step_{n}(&mut self) -> Result<()> {{"
        for path in files
        for n in range(60)
    ]
    text = "\n".join(lines)
    result = SearchCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 3))
    assert result is not None
    for path in files:
        assert result.text.count(f"\n{path}:") + result.text.startswith(f"{path}:") >= 12, path


def test_grep_over_many_files_pays_its_markers_and_spreads_over_the_files() -> None:
    # 400 files of two matches each: each file shown costs its marker, each file left out
    # is named in the closing note, and what is shown comes from the whole listing.
    lines = [
        f"pkg/module_{f:03d}/models.py:{n}:    def close(self, reason_{f}_{n}: str = 'done') -> None:"
        for f in range(400)
        for n in (40 + f % 7, 90 + f % 11)
    ]
    text = "\n".join(lines)
    budget = COUNTER.count(text) // 3
    result = SearchCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    assert COUNTER.count(result.text) <= budget * 1.1
    shown = {f for f in range(400) if f"pkg/module_{f:03d}/models.py:" in result.text}
    assert min(shown) < 10 and max(shown) > 380 and any(150 <= f <= 250 for f in shown)


def test_a_big_hunk_that_changes_a_signature_keeps_its_changed_definitions() -> None:
    """One-line edits are cheaper to keep whole, but which function changed its signature
    says more: the big hunk shows its changed definition lines under their own `@@`
    headers, and the file's note counts the lines it left out."""
    big_body = [
        "-def load(path: str) -> dict:",
        "+def load(path: str, *, strict: bool = False) -> dict:",
        *[
            f"+    step_{i} = read_section(path, {i})  # parse section {i} of the file"
            for i in range(120)
        ],
        "     return merged",
        "-class Loader:",
        "+class Loader(BaseLoader):",
        *[f"+    field_{i}: int = {i}" for i in range(60)],
    ]
    big = ["diff --git a/loader.py b/loader.py", "--- a/loader.py", "+++ b/loader.py"]
    big += ["@@ -10,3 +10,183 @@ import os", *big_body]
    small = []
    for n in range(12):
        small += [f"diff --git a/mod{n}.py b/mod{n}.py", f"--- a/mod{n}.py", f"+++ b/mod{n}.py"]
        small += [f"@@ -{n + 3},1 +{n + 3},1 @@", f"-VALUE_{n} = {n}", f"+VALUE_{n} = {n + 1}"]
    text = "\n".join(big + small)
    result = DiffCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 3))
    assert result is not None
    out = result.text.split("\n")
    for line in big_body[:2] + big_body[123:125]:
        assert line in out, line
    assert "+    step_60 = read_section(path, 60)  # parse section 60 of the file" not in out
    assert "@@ -10,1 +10,1 @@ import os" in out  # its own header, the function named
    assert "@@ -12,1 +132,1 @@" in out
    assert "[headroom: 1 hunks shown in part (181 lines left out)]" in out


def commits_diff() -> str:
    """Twelve files changed: six small hunks, six larger ones; half of both kinds mention
    logging, and one larger hunk alone mentions a retry."""
    parts = []
    for n in range(12):
        size = 4 if n % 2 else 24
        word = "log.debug" if n % 4 < 2 else "value"
        extra = ["+    retry_after(5)"] if n == 4 else []
        body = [f"-    old_{n}_{k} = {word}({k})" for k in range(size // 2)]
        body += [f"+    new_{n}_{k} = {word}({k}, strict=True)" for k in range(size // 2)]
        parts += [
            f"diff --git a/src/mod{n}.py b/src/mod{n}.py",
            f"--- a/src/mod{n}.py",
            f"+++ b/src/mod{n}.py",
            f"@@ -1,{size // 2} +1,{size // 2 + len(extra)} @@",
            *body,
            *extra,
        ]
    return "\n".join(parts)


def test_a_word_half_the_hunks_hold_does_not_order_them_a_rare_one_still_does() -> None:
    text = commits_diff()
    budget = COUNTER.count(text) * 3 // 5  # the small hunks and one larger one

    def hunks_kept(query: str) -> set[str]:
        result = DiffCompressor().compress(text, ctx_for(text, query, budget))
        assert result is not None
        return set(re.findall(r"^[+-]    (?:old|new)_(\d+)_", result.text, re.M))

    plain = hunks_kept("")
    # `log` (from `git log -p`) is in half the hunks: it names none of them, so it changes
    # nothing of which hunks are kept (it had put the ones holding it first).
    assert hunks_kept("Look at git log -p and tell me what matters") == plain
    # A word one hunk holds brings it in before the others of its size.
    assert "4" in hunks_kept("where is the retry_after call?") and "4" not in plain
