import hashlib

from headroom.ccr.markers import find_markers, format_marker, format_note, make_ref


def test_ref_contract_is_pinned() -> None:
    # Changing the hash scheme changes every stored ref: this golden value must not move.
    assert make_ref("hello") == "2cf24dba5fb0a30e"
    assert make_ref("hello") == hashlib.sha256(b"hello").hexdigest()[:16]


def test_ref_of_invalid_utf8() -> None:
    text = b"\xff\xfe".decode("utf-8", "surrogateescape")
    assert len(make_ref(text)) == 16


def test_marker_round_trip() -> None:
    ref = make_ref("x")
    marker = format_marker(ref, 12, 300, "items")
    assert marker == f"[headroom: kept 12 of 300 items; headroom_retrieve ref={ref}]"
    found = find_markers(f"before {marker} after {format_note(ref, 'a; b [c]')}")
    assert [(m.ref, m.detail) for m in found] == [(ref, "kept 12 of 300 items"), (ref, "a b c")]


def test_a_ref_is_the_start_of_the_one_content_digest() -> None:
    from headroom.ccr.markers import content_digest, ref_of_digest

    digest = content_digest("hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert ref_of_digest(digest) == make_ref("hello")
