"""HTML becomes the text a reader sees: headings, lists, tables, links with URLs."""

from headroom.ccr.markers import find_markers, make_ref
from headroom.compressors.base import CompressContext
from headroom.compressors.html import HtmlCompressor, visible_text
from headroom.engine.query import focus_of
from headroom.engine.router import detect
from headroom.tokens import counter_for

COUNTER = counter_for("gpt-4o")
PAGE = """<!doctype html><html><head><title>Release notes</title>
<script>var tracking = "never shown";</script><style>.x{color:red}</style></head>
<body><nav><a href="/">Home</a> | <a href="/docs">Docs</a></nav>
<div role="navigation"><ul><li>Sidebar entry</li></ul></div>
<h1>Version 2.0</h1><p>The <b>scheduler</b> now retries
failed jobs.</p><ul><li>Faster startup</li><li>See <a href="https://example.org/upgrade">the upgrade guide</a></li></ul>
<table><tr><th>target</th><th>tier</th></tr><tr><td>x86_64-linux</td><td>1</td></tr></table>
<pre>line one
  line two</pre>
</body></html>"""


def test_visible_text_keeps_what_a_reader_sees() -> None:
    text = visible_text(PAGE)
    lines = text.split("\n")
    assert lines[0] == "# Release notes" and "# Version 2.0" in lines
    assert "The scheduler now retries failed jobs." in lines
    assert "- See the upgrade guide (https://example.org/upgrade)" in lines
    assert "target | tier" in lines and "x86_64-linux | 1" in lines
    assert "line one" in lines and "  line two" in lines
    for hidden in ("never shown", "color:red", "Home", "Sidebar entry"):
        assert hidden not in text


def test_page_is_routed_to_html_and_marked_retrievable() -> None:
    page = PAGE * 20
    assert detect(page).kind == "html"
    ctx = CompressContext(ref=make_ref(page), query="", budget_tokens=10_000, counter=COUNTER)
    result = HtmlCompressor().compress(page, ctx)
    assert result is not None and result.ref == make_ref(page)
    assert COUNTER.count(result.text) < COUNTER.count(page) / 2
    assert [m.detail for m in find_markers(result.text)][-1] == "HTML reduced to its visible text"


def test_unbalanced_markup_never_hides_the_rest_of_the_page() -> None:
    page = '<div role="navigation"><div>menu</div></div><p>kept text</p><form><p>gone'
    assert visible_text(page) == "kept text"


def test_a_minified_script_holding_markup_in_strings_is_not_html() -> None:
    code = "for(var n=0;n<9;n++){t+=e[n]*2;if(t>99)break}o.push(t);" * 12
    chunk = f'function r(e,t,o){{{code}return o.length<3?"<div>"+t+"</div>":null}}'
    script = "!function(){" + chunk * 200 + "}();\n"
    assert detect(script).kind != "html"
    page = (
        "<html><body>"
        + "<div><p>a <a href='x'>link</a> and text</p></div>" * 200
        + "</body></html>"
    )
    assert detect(page).kind == "html"  # one line of markup is still a page


def test_a_paragraph_the_question_quotes_with_its_markup_is_kept() -> None:
    # Every word of the quote is on many paragraphs; only the whole phrase names one.
    paragraphs = [
        f"<p>Section {n % 20} explains how the <b>scheduler</b> handles queue {n // 20},"
        " with the limits that apply to its node pool and the retries it allows.</p>"
        for n in range(300)
    ]
    page = "<!doctype html><html><body><h1>Guide</h1>\n" + "\n".join(paragraphs) + "</body></html>"
    quoted = "<p>Section 11 explains how the <b>scheduler</b> handles queue 10,"
    query = f"What does the page say about `{quoted}`?"
    ctx = CompressContext(
        ref=make_ref(page),
        query=query,
        focus=focus_of(query, page),
        budget_tokens=600,
        counter=COUNTER,
    )
    result = HtmlCompressor().compress(page, ctx)
    assert result is not None
    assert "Section 11 explains how the scheduler handles queue 10," in result.text


def test_lines_before_the_page_go_out_as_they_are() -> None:
    preamble = [
        "*   Trying 127.0.0.1:8765...",
        "> GET /docs/ HTTP/1.1",
        "> Host: 127.0.0.1:8765",
        "< HTTP/1.0 200 OK",
        "< Content-type: text/html; charset=utf-8",
        "* Closing connection 0",
    ]
    text = "\n".join(preamble) + "\n" + PAGE
    ctx = CompressContext(
        ref=make_ref(text),
        query="",
        budget_tokens=10_000,
        counter=COUNTER,
        focus=focus_of("", text),
    )
    result = HtmlCompressor().compress(text, ctx)
    assert result is not None
    out = result.text.split("\n")
    assert out[: len(preamble)] == preamble  # each on its own line, in order, verbatim
    assert "# Version 2.0" in out


def test_a_layout_tables_headings_and_list_items_are_lines_of_their_own() -> None:
    page = (
        "<html><body><table><tr><td><h1>The XSLT C library</h1><h2>API index</h2>"
        "<ul><li>Home</li><li>Introduction</li></ul></td><td><p>Main text of the page.</p></td></tr>"
        "<tr><td>x86_64-linux</td><td>1</td></tr></table></body></html>"
    )
    lines = visible_text(page).split("\n")
    assert "# The XSLT C library" in lines and "## API index" in lines
    assert "- Home" in lines and "- Introduction" in lines
    assert "x86_64-linux | 1" in lines  # a row of data cells stays one line


def changelog_with_a_table() -> str:
    """A Markdown changelog that opens with an HTML table of links (the sample is markup),
    then goes on in Markdown headings and entries."""
    rows = "\n".join(
        f'<a href="doc/CHANGELOG_V{v // 10}.md#{v}">{v // 10}.{v % 10}.0</a><br/>'
        for v in range(600, 200, -1)
    )
    table = f"<table>\n<tr>\n  <th>Current</th>\n</tr>\n<tr>\n<td>\n{rows}\n</td>\n</tr>\n</table>"
    entries = "\n\n".join(
        f"## 2016-05-{1 + v % 28:02d}, Version 0.{v}.0\n\n"
        f'<a href="doc/CHANGELOG_ARCHIVE.md#0.{v}.0">Moved to the archive</a>.'
        for v in range(300)
    )
    return f"# Changelog\n\nSelect a version below.\n\n{table}\n\n{entries}\n"


def test_markdown_that_opens_with_an_html_block_is_no_page() -> None:
    text = changelog_with_a_table()
    assert len(text) > 40_000  # longer than the detection sample, which is all markup
    assert detect(text).kind != "html"
    page = "<!DOCTYPE html>\n<html><body>\n" + text + "\n</body></html>\n"
    assert detect(page).kind == "html"  # a page quoting Markdown is still a page
