import re
from dataclasses import replace

from headroom.ccr.markers import ANY_MARKER_RE, find_markers, make_ref
from headroom.compressed import Compressed
from headroom.compressors._grammars import parser_for
from headroom.compressors.base import CompressContext, load_registry
from headroom.compressors.text import TextCompressor
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")


def ctx_for(text: str, query: str = "", budget: int = 300) -> CompressContext:
    return CompressContext(ref=make_ref(text), query=query, budget_tokens=budget, counter=COUNTER)


PARAGRAPH = (
    "The scheduler assigns work to idle nodes in round-robin order. It keeps a queue per node "
    "and moves tasks when a node falls behind. Operators rarely need to tune it. "
)


def test_drops_whole_sentences_of_long_lines_and_marks_them() -> None:
    text = "\n\n".join(PARAGRAPH * 2 for _ in range(30))  # lines over 400 characters
    result = TextCompressor().compress(text, ctx_for(text))
    assert result is not None and result.unit == "lines"
    sentences = set(re.split(r"(?<=\.)\s+", PARAGRAPH.strip()))
    body = re.sub(r"\[headroom: [^\]]*\]", "", result.text)
    for piece in re.split(r"(?<=\.)\s+", body.strip()):
        assert not piece.strip() or piece.strip() in sentences  # no sentence is cut inside
    assert find_markers(result.text)
    assert COUNTER.count(result.text) < COUNTER.count(text) / 2


def test_rare_query_term_sentence_is_kept() -> None:
    text = "\n\n".join(PARAGRAPH for _ in range(40)).replace(
        "Operators rarely need to tune it.", "Set QUEUE_DEPTH_LIMIT=64 to cap it.", 1
    )
    result = TextCompressor().compress(text, ctx_for(text, query="what is QUEUE_DEPTH_LIMIT?"))
    assert result is not None and "Set QUEUE_DEPTH_LIMIT=64 to cap it." in result.text


def test_long_code_fence_is_compressed_as_code_and_still_parses() -> None:
    body = "\n".join(f"    total += item_{i}" for i in range(40))
    functions = "\n\n".join(
        f"def step_{n}(items):\n    total = 0\n{body}\n    return total" for n in range(5)
    )
    text = (PARAGRAPH * 3) + "\n\n```python\n" + functions + "\n```\n\n" + (PARAGRAPH * 3)
    ctx = replace(ctx_for(text, budget=2000), registry=load_registry())
    result = TextCompressor().compress(text, ctx)
    assert result is not None
    fence = result.text.split("```python\n", 1)[1].split("\n```", 1)[0]
    assert "def step_3(items):" in fence and "[headroom: " in fence
    assert not parser_for("python").parse(fence.encode()).root_node.has_error


class _ShoutingCode:
    """A plugin that replaces the built-in code compressor."""

    kind = "code"
    name = "shouting"

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        return Compressed(text=text.upper(), ref=ctx.ref, kept=1, total=1, unit="blocks")


def test_a_fenced_block_goes_to_the_routers_code_compressor_a_plugin_included() -> None:
    code = "\n".join(f"value_{i} = compute({i})" for i in range(40))
    text = (PARAGRAPH * 3) + "\n\n```python\n" + code + "\n```\n\n" + (PARAGRAPH * 3)
    plain = TextCompressor().compress(text, ctx_for(text, budget=5000))
    assert plain is None  # no code compressor in the context: the block stays as written
    ctx = replace(ctx_for(text, budget=5000), registry={"code": _ShoutingCode()})
    result = TextCompressor().compress(text, ctx)
    assert result is not None and "VALUE_7 = COMPUTE(7)" in result.text


def test_line_breaks_between_kept_sentences_survive() -> None:
    lines = [f"Step {i} loads the table.\nStep {i} then checks it." for i in range(60)]
    text = "\n\n".join(lines)
    result = TextCompressor().compress(text, ctx_for(text, budget=700))
    assert result is not None and find_markers(result.text)
    assert "Step 0 loads the table.\nStep 0 then checks it." in result.text
    assert "table. Step" not in result.text  # never glued onto one line


def test_keeps_whole_lines_verbatim_and_in_order() -> None:
    lines = [f"Line {i}: the node pool reported {i * 7} tasks in queue {i % 5}." for i in range(80)]
    text = "\n".join(lines)
    result = TextCompressor().compress(text, ctx_for(text, query="queue 3 `reported 343 tasks`"))
    assert result is not None and result.unit == "lines"
    kept = [line for line in result.text.split("\n") if not ANY_MARKER_RE.search(line)]
    assert kept == [line for line in lines if line in kept]  # verbatim, in order
    assert "Line 49: the node pool reported 343 tasks in queue 4." in kept  # the quoted phrase
    assert len(kept) < len(lines)


def test_a_long_line_shows_a_verbatim_start_one_marker_and_a_verbatim_end() -> None:
    line = ("The scheduler assigns work to idle nodes.  " + PARAGRAPH * 3).strip() + (
        " Details are in the design notes (see https://example.org/notes#queues)."
    )
    text = "\n\n".join(line.replace("idle", f"idle-{i}") for i in range(30))
    result = TextCompressor().compress(text, ctx_for(text))
    assert result is not None
    originals = text.split("\n")
    inline = [
        out
        for out in result.text.split("\n")
        if out.strip() and out not in originals and not ANY_MARKER_RE.fullmatch(out.strip())
    ]
    assert inline  # some lines lost sentences
    for out in inline:
        markers = list(ANY_MARKER_RE.finditer(out))
        assert len(markers) == 1, out  # never a kept sentence between two gaps
        start, end = out[: markers[0].start()].strip(), out[markers[0].end() :].strip()
        assert any(o.startswith(start) for o in originals), out  # double blanks kept too
        assert not end or any(o.endswith(end) for o in originals), out
        assert "//" not in end  # an end holding a URL: the line is kept whole instead


def test_the_budget_left_is_shared_over_the_document_not_spent_on_its_start() -> None:
    # A changelog: dated entries, each with a few lines of changes, newest first.
    lines = []
    for n in range(150):
        lines += [
            f"2020-{1 + n % 12:02d}-{1 + n % 28:02d}  Maintainer {n % 7}  <dev{n % 7}@example.org>",
            "",
            f"\tfix the parser for input {n}: it read one byte too many",
            f"\t* src/parse.c (read_block): check the length of chunk {n}.",
            "",
        ]
    text = "\n".join(lines)
    result = TextCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 3))
    assert result is not None
    shown = ANY_MARKER_RE.sub("", result.text)
    last_third = [n for n in range(100, 150) if f"check the length of chunk {n}." in shown]
    assert len(last_third) >= 8  # not only the first entries


def test_a_hash_on_every_other_line_is_a_comment_not_a_heading_to_keep() -> None:
    # `make -p`: each variable under a `# default` / `# environment` line. Kept as headings,
    # they overflow the budget and cut it into one-line gaps.
    lines = []
    for n in range(300):
        lines += [f"# {('default', 'environment', 'automatic')[n % 3]}", f"VAR_{n} = value {n}"]
    text = "\n".join(lines)
    budget = COUNTER.count(text) // 3
    result = TextCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    assert COUNTER.count(result.text) <= budget * 1.25
    assert len(find_markers(result.text)) <= 0.03 * budget  # markers within their share


def test_blank_lines_between_kept_lines_stay_blank_lines_not_a_marker() -> None:
    sections = [
        f"Section {i}\n" + "\n".join(f"Node {i}.{j} keeps {j * 3} tasks queued." for j in range(6))
        for i in range(30)
    ]
    text = "\n\n\n".join(sections)  # two blank lines between sections
    result = TextCompressor().compress(text, ctx_for(text, budget=500))
    assert result is not None
    original, position = text.split("\n"), 0
    for line in result.text.split("\n")[:-1]:  # the closing line counts the whole
        gap = ANY_MARKER_RE.fullmatch(line)
        if gap:
            skipped = original[position : position + int(gap["detail"].split()[0])]
            assert any(s.strip() for s in skipped), "a marker standing for blank lines only"
            position += len(skipped)
        else:
            assert original[position] == line
            position += 1
    assert "\n\n\nSection" in result.text


def test_a_line_no_sentence_break_splits_keeps_its_head_rather_than_going_whole() -> None:
    from headroom.compressors.text import compress_prose

    css = "".join(f".col-{i}{{flex:0 0 auto;width:{i % 12 * 8.3:.4f}%}}" for i in range(6000))
    text = "\n".join(
        [
            "/*!",
            " * Bootstrap v5.3 (https://getbootstrap.com/)",
            " * Licensed under MIT",
            " */",
            css,
            "/*# sourceMappingURL=b.css.map */",
        ]
    )
    result = compress_prose(text, ctx_for(text, budget=COUNTER.count(text) // 4))
    assert result is not None
    out = result.text.split("\n")
    head = next(line for line in out if line.startswith(".col-0{"))  # the stylesheet's start
    assert "more characters of this line cut]" in head and css.startswith(
        head.split(" [headroom:")[0]
    )


def test_a_changelogs_releases_stay_when_its_subheadings_are_too_many() -> None:
    # `## release` over `### Fixed` / `### Changed` on every few lines: more headings than
    # an outline's share, so the deeper level goes and the releases stay.
    parts = ["# Changelog", ""]
    for v in range(60):
        parts += [f"## 3.{v}.0 (2024-01-{1 + v % 28:02d})", "", "### Fixed", ""]
        parts += [f"- Fixed the parser on input {v}.{k} when it ends in a quote." for k in range(3)]
        parts += ["", "### Changed", ""]
        parts += [f"- The reader now keeps field {v}.{k} as it is." for k in range(3)]
        parts += [""]
    text = "\n".join(parts)
    result = TextCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 6))
    assert result is not None
    assert all(f"## 3.{v}.0 (" in result.text for v in range(60))


def test_a_setext_headings_text_stays_with_its_underline() -> None:
    parts = ["Changelog", "=========", ""]
    for v in range(40):
        parts += [f"v1.{v}.0", "======", ""]
        parts += [
            f"Fixed a defect in the resolver number {v}.{k} that dropped a header."
            for k in range(4)
        ]
        parts += [""]
    text = "\n".join(parts)
    result = TextCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 3))
    assert result is not None
    assert all(f"v1.{v}.0\n======" in result.text for v in range(40))


def test_deeper_headings_stay_only_within_half_the_budget() -> None:
    # Ten parts of twenty sections each: the parts' headings stay whatever they cost; the
    # sections' would take the whole budget, so they compete like any line.
    parts: list[str] = []
    for p in range(10):
        parts += [
            f"# Part {p}: the {['reader', 'writer', 'parser', 'server', 'client'][p % 5]}",
            "",
        ]
        for s in range(20):
            parts += [f"## Section {p}.{s} on handling input number {s} of the part", ""]
            parts += [
                f"The code of section {p}.{s} reads the stream and keeps its offsets. " * 2
            ] * 6
            parts += [""]
    text = "\n".join(parts)
    budget = 1_000
    result = TextCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    assert all(f"# Part {p}: the " in result.text for p in range(10))
    assert COUNTER.count(result.text) <= budget * 1.25


def test_a_line_warning_of_a_failure_is_kept_before_lines_as_dense() -> None:
    # Release notes: one line in a hundred warns of a failure; it has no more numbers or
    # names than the others, and the question does not name it.
    notes = [
        f"* parser: faster reading of chunk headers in release {n} (by dev{n % 7})"
        for n in range(600)
    ]
    warnings = {
        170: "* upgrading from release 169 fails when the cache directory is read-only",
        290: "* cannot start when the config names an unknown scheduler (warning in the log)",
        410: "* a timeout on release 409 is reported as an error, not retried",
    }
    for index, line in warnings.items():
        notes[index] = line
    text = "\n".join(notes)
    result = TextCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 4))
    assert result is not None
    shown = set(result.text.splitlines())
    assert all(line in shown for line in warnings.values())
