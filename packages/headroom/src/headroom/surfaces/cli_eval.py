"""`headroom eval`: the command line and the reports of headroom.surfaces.evaluate."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from headroom.engine.pipeline import Headroom
from headroom.errors import HeadroomError
from headroom.surfaces.evaluate import (
    Endpoint,
    EvalCase,
    evaluate,
    read_requests,
    requests_from_store,
    wilson,
)

__all__ = ["add_eval_command", "summarise"]

_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
_BASES = {
    "openai": ("OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "anthropic": ("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
}
_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


def add_eval_command(commands: Any) -> None:
    cmd = commands.add_parser(
        "eval", help="replay recorded requests against your provider, original and compressed"
    )
    source = cmd.add_mutually_exclusive_group()
    source.add_argument("--requests", type=Path, help="a JSONL file of request bodies")
    source.add_argument(
        "--from-store",
        type=int,
        default=20,
        metavar="N",
        help="the N latest payloads recorded in the store, each asked about (default)",
    )
    cmd.add_argument("--provider", choices=sorted(_KEYS), default=None)
    cmd.add_argument("--model", default=None, help="model for requests built from the store")
    cmd.add_argument("--judge-model", default=None, help="also ask this model if answers agree")
    cmd.add_argument("--input-price", type=float, default=2.50, help="USD per million input tokens")
    cmd.add_argument("--out", type=Path, default=Path("headroom-eval"), help="report folder")
    cmd.set_defaults(handler=_eval)


def _provider(args: argparse.Namespace) -> str:
    if args.provider:
        return str(args.provider)
    if os.environ.get("ANTHROPIC_API_KEY") and not os.environ.get("OPENAI_API_KEY"):
        return "anthropic"
    return "openai"


def _endpoint(provider: str) -> Endpoint:
    key = os.environ.get("HEADROOM_EVAL_API_KEY") or os.environ.get(_KEYS[provider])
    if not key:
        raise HeadroomError(
            f"headroom eval sends requests to your provider: set {_KEYS[provider]} "
            f"(or HEADROOM_EVAL_API_KEY), and {_BASES[provider][0]} for another base URL."
        )
    name, default = _BASES[provider]
    return Endpoint(provider, os.environ.get(name) or default, key)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        bar = "#" * (30 * done // total)
        sys.stderr.write(f"\r[{bar:<30}] {done}/{total}" + ("\n" if done == total else ""))
    else:
        sys.stderr.write(f"eval: {done}/{total}\n")
    sys.stderr.flush()


def _eval(engine: Headroom, args: argparse.Namespace) -> int:
    provider = _provider(args)
    endpoint = _endpoint(provider)  # no key, no request: checked before anything is read
    if args.requests is not None:
        bodies = list(read_requests(args.requests))
    else:
        model = args.model or _MODELS[provider]
        bodies = requests_from_store(engine, provider, model, args.from_store)
    if not bodies:
        raise HeadroomError("No requests to replay (the store has no recorded payloads yet).")
    cases = evaluate(engine, endpoint, bodies, judge=args.judge_model, progress=_progress)
    summary = summarise(cases, args.input_price)
    markdown = _markdown(summary, cases, provider, endpoint.base_url)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(markdown)
    report = {"provider": provider, "summary": summary, "cases": [asdict(c) for c in cases]}
    (args.out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(markdown)
    print(f"Reports: {args.out / 'report.md'}, {args.out / 'report.json'}", file=sys.stderr)
    return 1 if summary["errors"] == len(cases) else 0


def _share(successes: int, total: int) -> dict[str, Any]:
    low, high = wilson(successes, total)
    return {"agree": successes, "of": total, "share": successes / total if total else None,
            "ci95": [round(low, 6), round(high, 6)]}  # fmt: skip


def summarise(cases: list[EvalCase], input_price: float) -> dict[str, Any]:
    """Agreement with 95% Wilson intervals, tokens, cost and retrieval calls."""
    done = [c for c in cases if c.error is None]
    judged = [c for c in done if c.judged is not None]
    before = sum(c.tokens_original for c in done)
    after = sum(c.tokens_compressed for c in done)
    return {
        "requests": len(cases),
        "errors": len(cases) - len(done),
        "exact": _share(sum(c.exact for c in done), len(done)),
        "normalised": _share(sum(c.normalised for c in done), len(done)),
        "judge": _share(sum(bool(c.judged) for c in judged), len(judged)) if judged else None,
        "tokens_original": before,
        "tokens_compressed": after,
        "tokens_saved": before - after,
        "input_price_per_mtok": input_price,
        "cost_saved_usd": round((before - after) * input_price / 1_000_000, 6),
        "retrieval_calls": sum(c.retrieval_calls for c in done),
        "requests_with_retrieval": _share(sum(c.retrieval_calls > 0 for c in done), len(done)),
    }


def _line(name: str, share: dict[str, Any] | None) -> str:
    if share is None:
        return f"| {name} | not asked (--judge-model) | |"
    if not share["of"]:
        return f"| {name} | no answers | |"
    low, high = share["ci95"]
    return (
        f"| {name} | {share['agree']} of {share['of']} ({100 * share['share']:.1f}%) "
        f"| {100 * low:.1f}% - {100 * high:.1f}% |"
    )


def _markdown(summary: dict[str, Any], cases: list[EvalCase], provider: str, base: str) -> str:
    s = summary
    saved = 100 * s["tokens_saved"] / s["tokens_original"] if s["tokens_original"] else 0.0
    lines = [
        f"# headroom eval: {s['requests']} requests, {provider} at {base}",
        "",
        "| agreement (original vs compressed) | share | 95% Wilson interval |",
        "|---|---|---|",
        _line("exact", s["exact"]),
        _line("normalised (case, punctuation, spacing)", s["normalised"]),
        _line("judge model", s["judge"]),
        _line("requests needing a retrieval", s["requests_with_retrieval"]),
        "",
        f"Input tokens: {s['tokens_original']:,} original, {s['tokens_compressed']:,} compressed "
        f"(retrieval rounds included): {s['tokens_saved']:,} saved ({saved:.1f}%), "
        f"${s['cost_saved_usd']:.4f} at ${s['input_price_per_mtok']:.2f} per million.",
        f"Retrieval calls: {s['retrieval_calls']}. Errors: {s['errors']}.",
    ]
    for case in cases:
        if case.error:
            lines.append(f"- request {case.index}: {case.error}")
    return "\n".join(lines) + "\n"
