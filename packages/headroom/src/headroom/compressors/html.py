"""Web pages: HTML reduced to the text a reader sees, then compressed as prose.

Scripts, styles, `<head>` (but its title), navigation, forms and comments go; headings
become `#` lines, list items `- ` lines, table rows `cell | cell` lines (a layout table,
whose cells hold headings, lists and paragraphs, gives a line to each of those), preformatted
blocks keep their lines, and a link keeps its text with its URL in parentheses
(`text (https://...)`; in-page anchors and relative links keep only their text). The
visible text is then compressed by Kompress's line selection if it is still over budget;
a phrase the question quotes with its markup (`<p>Excluded are <b>modules</b> ...`) is
looked for as the text it shows, so its line is kept. A marker says the page was reduced
to its text, so the markup is one retrieve away. Lines before the page (`curl -v`'s
request and response headers) are no markup: they go out as they are.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from headroom.ccr.markers import format_note
from headroom.compressors.base import CompressContext, Compressed
from headroom.compressors.text import compress_prose
from headroom.engine.detect import ContentKind, Detection, Sample, html_evidence
from headroom.engine.query import focus_of

__all__ = ["HtmlCompressor", "visible_text"]

_HIDDEN = frozenset(
    {"script", "style", "head", "nav", "noscript", "svg", "template", "iframe", "form", "button"}
)
_BLOCK = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
        "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "br", "hr",
        "figure", "figcaption", "details", "summary", "li", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
_ROW_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr"})
_SPACES = re.compile(r"[ \t\r\f\v]+")
_PAGE_START = re.compile(r"^[ \t]*<[!A-Za-z]", re.M)  # the first line opening with markup


class _Visible(HTMLParser):
    """Collects the visible text of a page as lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.hidden = 0
        self.role_hidden: tuple[str, int] | None = None  # an element with role=navigation
        self.pre = 0
        self.title: str | None = None
        self.in_title = False
        self.cells: list[str] | None = None
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        attributes = dict(attrs)
        if self._hides(tag, attributes):
            return
        if tag in _BLOCK:
            self.flush(block=tag)
        self._open(tag, attributes)

    def _hides(self, tag: str, attrs: dict[str, str | None]) -> bool:
        """Track hidden elements; True while inside one (or on entering one)."""
        if self.role_hidden is not None:
            if tag == self.role_hidden[0]:
                self.role_hidden = (tag, self.role_hidden[1] + 1)
            return True
        if attrs.get("role") == "navigation" and tag not in _VOID:
            self.role_hidden = (tag, 0)
            return True
        if tag in _HIDDEN:
            self.hidden += 0 if tag in _VOID else 1
            return True
        return bool(self.hidden)

    def _open(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "pre":
            self.pre += 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.current.append("#" * int(tag[1]) + " ")
        elif tag == "li":
            self.current.append("- ")
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self.flush_cell()
        elif tag == "a":
            self.href.append(attrs.get("href"))
        elif tag == "img" and attrs.get("alt"):
            self.current.append(f"[image: {attrs['alt']}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if self._unhides(tag):
            return
        if tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://")):
                self.current.append(f" ({href})")
        elif tag in ("td", "th") and self.cells is not None:
            self.flush_cell()
        elif tag == "tr" and self.cells is not None:
            self.flush_row()
        elif tag == "pre":
            if "".join(self.current).strip():
                self.flush(keep_spaces=True)
            self.current = []
            self.pre = max(0, self.pre - 1)
        elif tag in _BLOCK:
            self.flush(block=tag)

    def _unhides(self, tag: str) -> bool:
        """Track the end of hidden elements; True while (or on leaving) hidden."""
        if self.role_hidden is not None:
            name, depth = self.role_hidden
            if tag == name:
                self.role_hidden = None if depth == 0 else (name, depth - 1)
            return True
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return True
        return bool(self.hidden)

    def flush_row(self) -> None:
        self.flush_cell()
        row = " | ".join(cell for cell in self.cells or [] if cell)
        self.cells = None
        if row:
            self.lines.append(row)

    def handle_data(self, data: str) -> None:
        if self.in_title and self.title is None:
            self.title = " ".join(data.split())
        if self.hidden or self.role_hidden is not None:
            return
        if self.pre:
            parts = data.split("\n")
            for part in parts[:-1]:
                self.current.append(part)
                self.flush(keep_spaces=True)
            self.current.append(parts[-1])
        else:
            self.current.append(_SPACES.sub(" ", data.replace("\n", " ")))

    def flush_cell(self) -> None:
        if self.cells is not None:
            self.cells.append(" ".join("".join(self.current).split()))
            self.current = []

    def flush(self, keep_spaces: bool = False, block: str = "") -> None:
        if self.cells is not None and not keep_spaces:
            if block in _ROW_PARTS or not block:
                return  # inside a table row: one line per row
            # A heading, list or paragraph in a cell: a layout table, whose cells hold
            # blocks of the page, each of them a line of its own.
            text = " ".join("".join(self.current).split())
            self.current = []
            if text.strip(" -#"):
                self.lines.append(text)
            return
        text = "".join(self.current)
        self.current = []
        line = text.rstrip() if keep_spaces else " ".join(text.split())
        if line.strip() and line.strip() not in ("-", "#"):
            self.lines.append(line)
        elif keep_spaces:
            self.lines.append("")


def _shown_text(phrase: str) -> str:
    """What a quoted piece of markup shows: its visible text, on one line."""
    if "<" not in phrase and "&" not in phrase:
        return phrase
    try:
        return " ".join(visible_text(phrase).split())
    except (AssertionError, ValueError, RecursionError):
        return phrase


def visible_text(html: str) -> str:
    """The text a reader of the page sees, one block per line."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    parser.flush()
    lines = parser.lines
    if parser.title and (not lines or parser.title not in lines[0]):
        lines = [f"# {parser.title}", *lines]
    out: list[str] = []
    for line in lines:  # no runs of blank lines
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


class HtmlCompressor:
    """Web pages: visible text (headings, lists, tables, links with URLs), then Kompress."""

    kind: ContentKind = "html"
    name = "html"
    max_confidence = 0.8  # its most confident answer (the router skips it past that)

    def detect(self, sample: Sample) -> Detection | None:
        """Tags on more than every line and an HTML start or closing tags of common elements."""
        return Detection("html", confidence=0.8) if html_evidence(sample) else None

    def compress(self, text: str, ctx: CompressContext) -> Compressed | None:
        # What comes before the page (`curl -v`'s request and headers) is no markup: it
        # goes out as it is, only the page is reduced.
        found = _PAGE_START.search(text)
        if found is None:
            return None
        preamble, page = text[: found.start()], text[found.start() :]
        try:
            visible = visible_text(page)
        except (AssertionError, ValueError, RecursionError):
            return None
        if not visible.strip():
            return None
        lines = visible.count("\n") + 1
        note = format_note(ctx.ref, "HTML reduced to its visible text")
        # A phrase the question quotes with its markup is looked for as the text it shows.
        ctx = replace(ctx, focus=focus_of(ctx.query, visible, phrase_form=_shown_text))
        result = compress_prose(visible, ctx)
        if result is None:
            return Compressed(
                text=f"{preamble}{visible}\n{note}",
                ref=ctx.ref,
                kept=lines,
                total=lines,
                unit="lines",
            )
        return Compressed(
            text=f"{preamble}{result.text}\n{note}",
            ref=ctx.ref,
            kept=result.kept,
            total=result.total,
            unit="lines",
        )
