"""The `headroom` command: compress, retrieve, stats, inspect, eval, servers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from headroom.config import DEFAULT_PORT, HeadroomConfig
from headroom.engine.pipeline import Headroom
from headroom.errors import HeadroomError
from headroom.surfaces.cli_eval import add_eval_command
from headroom.surfaces.cli_inspect import add_inspect_command
from headroom.surfaces.cli_server import add_mcp_commands, add_server_commands
from headroom.surfaces.cli_tools import compress_many, doctor, expand_paths, names_many
from headroom.tokens import DEFAULT_MODEL

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_NOT_FOUND = 0, 1, 3  # argparse exits 2 on a usage error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        engine = (
            Headroom(HeadroomConfig.from_env()) if getattr(args, "needs_engine", True) else None
        )
        code: int = args.handler(engine, args)
        return code
    except HeadroomError as exc:
        print(f"headroom: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="headroom", description="Context compression for LLM apps."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    comp = commands.add_parser("compress", help="compress a file (or - for stdin) and print it")
    comp.add_argument("path", help="file, directory or glob to compress, or - for standard input")
    comp.add_argument("--out", default=None, help="with many files: write compressed copies here")
    comp.add_argument(
        "--query", default="", help="what the reader will ask; matching parts are kept"
    )
    comp.add_argument("--model", default=DEFAULT_MODEL, help="model whose tokenizer counts tokens")
    comp.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    comp.set_defaults(handler=_compress)

    ret = commands.add_parser("retrieve", help="print the original behind a ref")
    ret.add_argument("ref")
    ret.add_argument("--query", default=None, help="only the lines matching this text")
    ret.add_argument("--json", action="store_true", help="print {ref, found, text}")
    ret.set_defaults(handler=_retrieve)

    doc = commands.add_parser(
        "doctor", help="check the store, tokenizer, grammars, model and proxy"
    )
    doc.add_argument("--port", type=int, default=DEFAULT_PORT, help="where the proxy should be")
    doc.add_argument("--json", action="store_true")
    doc.set_defaults(handler=_doctor)

    stats = commands.add_parser("stats", help="what the store holds and what compression saved")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=_stats)
    add_inspect_command(commands)
    add_eval_command(commands)
    add_server_commands(commands)
    add_mcp_commands(commands)
    return parser


def _read_input(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise HeadroomError(f"Cannot read {path!r}: {exc.strerror or exc}.") from exc
    return data.decode("utf-8", "surrogateescape")


def _compress(engine: Headroom, args: argparse.Namespace) -> int:
    if args.path != "-":
        paths = expand_paths(args.path)
        if not paths:
            raise HeadroomError(f"No files match {args.path!r}.")
        if names_many(args.path):
            out = Path(args.out) if args.out else None
            return compress_many(
                engine, paths, query=args.query, model=args.model, out_dir=out, as_json=args.json
            )
    text = _read_input(args.path)
    filename = None if args.path == "-" else args.path
    result = engine.compress_text(text, model=args.model, query=args.query, filename=filename)
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.buffer.write(result.text.encode("utf-8", "surrogateescape"))
        if not result.text.endswith("\n"):
            sys.stdout.write("\n")
        saved = result.tokens_before - result.tokens_after
        share = 100 * saved / result.tokens_before if result.tokens_before else 0.0
        print(
            f"{result.kind}: {result.tokens_before} -> {result.tokens_after} tokens "
            f"({share:.1f}% saved) refs={','.join(result.refs) or '-'}",
            file=sys.stderr,
        )
    return EXIT_OK


def _retrieve(engine: Headroom, args: argparse.Namespace) -> int:
    text = engine.retrieve(args.ref, args.query)
    if args.json:
        print(
            json.dumps(
                {"ref": args.ref, "found": text is not None, "text": text}, ensure_ascii=False
            )
        )
        return EXIT_OK if text is not None else EXIT_NOT_FOUND
    if text is None:
        print(f"headroom: no original for ref {args.ref!r} (unknown or expired).", file=sys.stderr)
        return EXIT_NOT_FOUND
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))  # the exact original bytes
    return EXIT_OK


def _doctor(engine: Headroom, args: argparse.Namespace) -> int:
    return doctor(engine, port=args.port, as_json=args.json)


def _stats(engine: Headroom, args: argparse.Namespace) -> int:
    rows: dict[str, object] = {"namespace": engine.config.namespace, **engine.stats().as_dict()}
    if args.json:
        print(json.dumps(rows))
    else:
        width = max(len(k) for k in rows)
        for key, value in rows.items():
            print(f"{key:<{width}}  {value}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
