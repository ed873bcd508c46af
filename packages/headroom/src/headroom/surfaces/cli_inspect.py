"""`headroom inspect [REF]`: what the model saw next to the original, in the terminal.

Without a ref it lists the latest compressed payloads of this namespace (from any
surface: every one records through the engine's store). With a ref it prints the
original and the compressed form side by side, lines aligned, markers highlighted, the
lines a marker stands for dimmed on the left.
"""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import sys
from collections.abc import Iterator
from typing import Any

from headroom.ccr.markers import ANY_MARKER_RE
from headroom.engine.pipeline import Headroom
from headroom.errors import ActivityUnsupported, HeadroomError
from headroom.surfaces.cli_tools import Style

__all__ = ["add_inspect_command", "side_by_side"]

_MARK, _DIM, _BOLD = "7;33", "2", "1"


def add_inspect_command(commands: Any) -> None:
    cmd = commands.add_parser(
        "inspect", help="show a payload's original and what the model saw, side by side"
    )
    cmd.add_argument("ref", nargs="?", help="the payload's ref (omit to list recent payloads)")
    cmd.add_argument("--width", type=int, default=None, help="total width (default: terminal)")
    cmd.add_argument("--json", action="store_true", help="print the preview as JSON")
    cmd.set_defaults(handler=_inspect)


def _fit(text: str, width: int) -> Iterator[str]:
    """`text` cut into pieces of `width` characters (one empty piece for an empty line)."""
    text = text.expandtabs(4)
    if not text:
        yield ""
    for start in range(0, len(text), width):
        yield text[start : start + width]


def _highlight(piece: str, style: Style) -> str:
    return ANY_MARKER_RE.sub(lambda m: style(m.group(0), _MARK), piece)


def _pairs(original: list[str], compressed: list[str]) -> Iterator[tuple[str | None, str | None]]:
    """Lines aligned: kept lines opposite their original, a marker opposite what it elides."""
    matcher = difflib.SequenceMatcher(None, original, compressed, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            yield from zip(original[a0:a1], compressed[b0:b1], strict=True)
            continue
        left, right = original[a0:a1], compressed[b0:b1]
        for index in range(max(len(left), len(right))):
            yield (
                left[index] if index < len(left) else None,
                right[index] if index < len(right) else None,
            )


def side_by_side(original: str, compressed: str, *, width: int, style: Style) -> list[str]:
    """Two columns of `width` in total: the original (lines not sent dimmed) and the
    compressed text (markers highlighted)."""
    column = max(10, (width - 3) // 2)
    sent = set(compressed.splitlines())
    rows = [
        style(f"{'original':<{column}}", _BOLD) + " | " + style("what the model saw", _BOLD),
        "-" * column + "-+-" + "-" * column,
    ]
    for left, right in _pairs(original.splitlines(), compressed.splitlines()):
        lefts = list(_fit(left, column)) if left is not None else []
        rights = list(_fit(right, column)) if right is not None else []
        dim = left is not None and left not in sent
        for index in range(max(len(lefts), len(rights))):
            a = lefts[index] if index < len(lefts) else ""
            b = rights[index] if index < len(rights) else ""
            a_text = style(f"{a:<{column}}", _DIM) if dim else f"{a:<{column}}"
            rows.append(f"{a_text} | {_highlight(b, style)}")
    return rows


def _inspect(engine: Headroom, args: argparse.Namespace) -> int:
    namespace = engine.config.namespace
    if not args.ref:
        return _recent(engine, namespace, as_json=args.json)
    try:
        preview = engine.store.payload_preview(namespace, args.ref.strip().lower(), full=True)
    except ActivityUnsupported as exc:
        raise HeadroomError(str(exc)) from None
    if preview is None:
        print(
            f"headroom: no payload {args.ref!r} in this store (unknown or expired).",
            file=sys.stderr,
        )
        return 3
    if args.json:
        print(json.dumps(preview, ensure_ascii=False))
        return 0
    compressed = preview.get("compressed")
    if compressed is None:
        compressed = "(the compressed form of this payload was not kept)"
    width = args.width or shutil.get_terminal_size((160, 40)).columns
    style = Style(sys.stdout)
    for row in side_by_side(preview["original"], compressed, width=width, style=style):
        print(row)
    if preview.get("original_chars", 0) > len(preview["original"]):
        print(f"(first {len(preview['original']):,} of {preview['original_chars']:,} characters)")
    return 0


def _recent(engine: Headroom, namespace: str, *, as_json: bool) -> int:
    try:
        rows = engine.store.dashboard(namespace).get("recent", [])
    except ActivityUnsupported as exc:
        raise HeadroomError(str(exc)) from None
    if as_json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("No compressed payloads recorded in this namespace yet.")
        return 0
    print(f"{'ref':<16}  {'kind':<10} {'compressor':<14} {'before':>8} {'after':>8}")
    for r in rows:
        print(
            f"{r['ref']:<16}  {r['kind']:<10} {r['compressor']:<14} "
            f"{r['tokens_before']:>8} {r['tokens_after']:>8}"
        )
    print("\nheadroom inspect REF shows one side by side.")
    return 0
