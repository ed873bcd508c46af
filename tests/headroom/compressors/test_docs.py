"""Man pages: the outline (headers, option lines) and the sections the question points to."""

import re

from headroom.ccr.markers import make_ref, split_lines
from headroom.compressors.base import CompressContext
from headroom.compressors.docs import DocsCompressor, headings_of
from headroom.engine.query import focus_of
from headroom.engine.router import detect
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")
SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "EXIT STATUS", "SEE ALSO"]


def man_page(bold: bool = False) -> str:
    out = ["TOOL(1)                  General Commands Manual                 TOOL(1)", ""]
    for s, section in enumerate(SECTIONS):
        out.append("".join(f"{c}\b{c}" for c in section) if bold else section)
        for i in range(30):
            if section == "OPTIONS" and i % 5 == 0:
                out.append(f"       -{chr(97 + i // 5)}, --option-{i}")
            out.append(f"              Paragraph {s}.{i} explains how the tool treats input {i}.")
        out.append("")
    out.append("GNU tools                         2024-01-01                        TOOL(1)")
    return "\n".join(out) + "\n"


def ctx_for(text: str, budget: int, query: str = "") -> CompressContext:
    return CompressContext(
        ref=make_ref(text), query=query, budget_tokens=budget, counter=COUNTER,
        focus=focus_of(query, text),
    )  # fmt: skip


def test_man_pages_are_docs_and_markdown_stays_prose() -> None:
    assert detect(man_page()).kind == "docs"
    markdown = "\n".join(
        f"# Part {i}\n\nThe guide says this about part {i} here.\n" for i in range(60)
    )
    assert detect(markdown).kind == "text"
    assert len(headings_of(man_page(bold=True).split("\n"))) >= len(SECTIONS)


def test_a_man_page_is_known_by_its_name_section_overstruck_or_not() -> None:
    # No title line: its `NAME` section alone says it is a man page, bold (`N\bNA\bA...`,
    # as `man` writes to a pipe) as much as plain.
    for bold in (False, True):
        untitled = man_page(bold=bold).split("\n", 2)[2]
        assert detect(untitled).kind == "docs"
    nameless = man_page().replace("NAME\n", "TITLE\n", 1).split("\n", 2)[2]
    assert detect(nameless).kind != "docs"


def test_outline_and_pointed_section_kept_verbatim() -> None:
    text = man_page()
    result = DocsCompressor().compress(text, ctx_for(text, 500, "what does the ENVIRONMENT say"))
    assert result is not None
    out = result.text.split("\n")
    for section in SECTIONS:
        assert section in out
    assert all(f"--option-{i}" in result.text for i in range(0, 30, 5))
    assert "Paragraph 4.17 explains how the tool treats input 17." in result.text
    originals = set(split_lines(text))
    assert all(line in originals or line.startswith("[headroom: ") for line in out)


def test_within_budget_none_and_deterministic() -> None:
    text = man_page(bold=True)
    assert DocsCompressor().compress(text, ctx_for(text, 100_000)) is None
    first = DocsCompressor().compress(text, ctx_for(text, 300, '"input 12"'))
    assert first is not None and "input 12." in first.text
    assert first == DocsCompressor().compress(text, ctx_for(text, 300, '"input 12"'))


def test_the_budget_left_widens_kept_runs_over_paragraph_breaks() -> None:
    out = ["TOOL(1)                  General Commands Manual                 TOOL(1)", ""]
    for s, section in enumerate(SECTIONS):
        out.append(section)
        for p in range(6):  # short paragraphs, a blank line after each
            out += [
                f"       Paragraph {s}.{p} says how input {p} is read, line {i}." for i in range(3)
            ]
            out.append("")
    out.append("GNU tools                         2024-01-01                        TOOL(1)")
    page = "\n".join(out) + "\n"
    whole = COUNTER.count(page)
    budget = whole // 2
    result = DocsCompressor().compress(page, ctx_for(page, budget=budget))
    assert result is not None
    # Kept runs stopped at every blank line and left most of the budget unspent.
    assert COUNTER.count(result.text) > budget * 0.8


def settings_page(terms: int = 14, paragraphs: int = 1) -> str:
    """A man page whose definition list names settings, not dashed options
    (`systemd.exec(5)`): a term at the body's indentation, its description deeper."""
    out = ["SYSTEMD.EXEC(5)              systemd.exec              SYSTEMD.EXEC(5)", ""]
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "PATHS", "SANDBOXING", "SEE ALSO"):
        out.append(section)
        for i in range(terms):
            out += [
                f"       {section.title().replace(' ', '')}Setting{i}=",
                f"           Takes a boolean argument. When set, setting {i} of {section.lower()}",
                "           changes how the unit's processes see the file system and the",
                *[
                    "           devices, as the paragraphs below explain at some length."
                    for _ in range(paragraphs)
                ],
                "",
            ]
    out.append("systemd 252                                              SYSTEMD.EXEC(5)")
    return "\n".join(out) + "\n"


def test_a_definition_lists_terms_stay_with_their_first_line() -> None:
    # Long descriptions: the terms and the gaps they open fit in a quarter of the budget.
    text = settings_page(terms=3, paragraphs=12)
    assert detect(text).kind == "docs"
    result = DocsCompressor().compress(text, ctx_for(text, budget=COUNTER.count(text) // 3))
    assert result is not None
    for section in ("Paths", "Sandboxing"):
        for i in range(3):
            assert f"       {section}Setting{i}=\n           Takes a boolean" in result.text


def test_terms_past_a_quarter_of_the_budget_do_not_spend_it_on_markers() -> None:
    # `man bash`: hundreds of terms, each alone between two gaps, would cost more than the
    # budget in term lines and markers; the page keeps to its budget, in runs.
    text = settings_page(terms=80)
    budget = COUNTER.count(text) // 5
    result = DocsCompressor().compress(text, ctx_for(text, budget=budget))
    assert result is not None
    tokens = COUNTER.count(result.text)
    markers = sum(COUNTER.count(m) for m in re.findall(r"\[headroom:[^\]]*\]", result.text))
    assert tokens <= budget * 1.05
    assert markers <= 0.05 * tokens
    runs = re.findall(
        r"Setting(\d+)=\n           Takes a boolean argument. When set, setting", result.text
    )
    assert len(runs) >= 20  # terms with their description, not terms alone
