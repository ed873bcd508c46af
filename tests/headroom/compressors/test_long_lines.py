"""Long lines: a line the question quotes is cut only to the part that shows the phrase."""

from headroom.ccr.markers import ANY_MARKER_RE
from headroom.compressors._long_lines import clip_to_phrase

LINE = "".join(f"fn{i}(a,b){{return a+b*{i}}};" for i in range(400))


def test_a_phrase_near_the_start_keeps_the_start_through_it() -> None:
    clipped = clip_to_phrase(LINE, ["fn12(a,b)"])
    assert clipped is not None
    kept, marker = clipped.split(" [headroom: ")
    assert LINE.startswith(kept) and kept.endswith("fn12(a,b)")
    assert f"{len(LINE) - len(kept)} more characters" in marker


def test_a_phrase_near_the_end_keeps_it_through_the_end() -> None:
    clipped = clip_to_phrase(LINE, ["fn390(a,b)"])
    assert clipped is not None
    marker = ANY_MARKER_RE.match(clipped)
    assert marker is not None
    end = clipped[marker.end() :].lstrip()
    assert LINE.endswith(end) and end.startswith("fn390(a,b)")


def test_an_end_that_reads_as_a_comment_is_not_kept_after_a_marker() -> None:
    line = LINE + "//# sourceMappingURL=app.js.map"
    clipped = clip_to_phrase(line, ["fn390(a,b)"])
    assert clipped is None or clipped.startswith(line[:100])  # the start, or whole


def test_a_phrase_in_the_middle_keeps_about_half_and_no_phrase_keeps_it_whole() -> None:
    clipped = clip_to_phrase(LINE, ["fn200(a,b)"])
    assert clipped is not None and "fn200(a,b)" in clipped
    assert len(clipped) < 0.6 * len(LINE)
    assert clip_to_phrase(LINE, ["not in it"]) is None
    assert clip_to_phrase(LINE[:3000], [LINE[5:2900]]) is None  # the phrase is most of it
