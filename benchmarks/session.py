"""`make bench-session`: the bill of whole coding-agent sessions, replayed three ways.

Sessions are built at run time from installed packages and real commands
(benchmarks/session_agent.py), sent as the growing conversation a client sends on each
turn, and replayed raw, through headroom-ai 0.42 (its defaults, in .venv-compare) and
through Headroom (`Headroom.compress` on each request, default settings). For each
replay: input tokens per turn and session, the bill at published prices with prompt
caching (benchmarks/session_prices.py), the share of the previous request each request
starts with (the cached prefix), the round trips a deterministic extractive model needs
(it asks each turn about a rare line of an earlier output; hidden means a
`headroom_retrieve` call), and what the spans repeated from earlier outputs cost.

    python -m benchmarks.session [--seed 1] [--sessions 5] [--out bench-results]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.session_agent import Session, build_sessions
from benchmarks.session_measure import questions, repeated_span_tokens, turn_figures
from benchmarks.session_prices import PRICES, PRICES_DATE
from benchmarks.session_replay import (
    Replay,
    TheirWorker,
    ask,
    ours,
    requests_of,
    sent_outputs,
)
from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.tokens import counter_for

ANTHROPIC, OPENAI = "claude-sonnet-5", "gpt-5.4"  # the price rows the summary quotes
NAMES = ("raw", "headroom-ai", "Headroom")


def replay_session(
    session: Session, index: int, engine: Headroom, worker: TheirWorker, seed: int
) -> dict[str, Any]:
    """All figures of one session, for the three replays."""
    style = "anthropic" if index % 2 == 0 else "openai"
    model = "claude-sonnet-4-5" if style == "anthropic" else "gpt-4o"
    raw = requests_of(session, style)
    replays = {
        "raw": Replay("raw", raw),
        "headroom-ai": worker.replay(raw, model),
        "Headroom": ours(engine, raw, model),
    }
    counter = counter_for("gpt-4o")
    outputs = [step.output for step in session.steps]
    asked = questions(outputs, seed + index)
    result: dict[str, Any] = {
        "session": session.name,
        "style": style,
        "turns": len(raw),
        "questions": len(asked),
    }
    for name, replay in replays.items():
        figures = turn_figures(replay.requests, counter)
        retrieve = (lambda ref: engine.retrieve(ref)) if name == "Headroom" else None
        answers = [ask(replay.requests[q.turn], q, retrieve) for q in asked]
        spans = repeated_span_tokens(outputs, sent_outputs(replay.requests[-1]), counter.count)
        engine_spans = _engine_repeat_cost(raw[-1], replay.requests[-1])
        result[name] = {
            "error": replay.error,
            "tokens": [f.tokens for f in figures],
            "prefix_ratio": [f.prefix_ratio for f in figures if f.prefix_ratio is not None],
            "bills": {p: [f.bills[p] for f in figures] for p in PRICES},
            "round_trips": sum(not a.visible for a in answers),
            "recoverable": sum(a.visible or a.recoverable for a in answers),
            "repeated_raw": spans[0],
            "repeated_sent": spans[1],
            "engine_repeat_cost": engine_spans,
        }
    return result


def _engine_repeat_cost(raw: list[Any], sent: list[Any]) -> list[int] | None:
    """The engine's own measure of repeated spans (headroom.engine.repeat_cost, which comes with
    cross-turn de-duplication) as [raw tokens, sent tokens]; None where it is absent."""
    try:
        from headroom.engine.repeat_cost import repeat_cost  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    cost = repeat_cost(raw, sent)
    held = repeat_cost(raw, sent, in_context=True)  # repeats of what the context still shows
    return [int(cost.raw_tokens), int(cost.sent_tokens), held.raw_tokens, held.sent_tokens]


def _total(results: list[dict[str, Any]], name: str, price: str) -> float:
    return sum(sum(r[name]["bills"][price]) for r in results)


def summary(results: list[dict[str, Any]], version: str) -> list[str]:
    turns = sum(r["turns"] for r in results)
    asked = sum(r["questions"] for r in results)
    lines = [
        f"Sessions: {len(results)}, {turns} turns; prices of {PRICES_DATE} "
        "(benchmarks/session_prices.py), input only.",
        "",
        f"| session | wire | turns | tokens raw | tokens headroom-ai {version} | tokens Headroom "
        f"| bill raw ({ANTHROPIC}) | headroom-ai | Headroom | round trips Headroom |",
        "|" + "---|" * 10,
    ]
    for r in results:
        tok = [sum(r[n]["tokens"]) for n in NAMES]
        cost = [sum(r[n]["bills"][ANTHROPIC]) for n in NAMES]
        lines.append(
            f"| {r['session']} | {r['style']} | {r['turns']} | {tok[0]:,} | {tok[1]:,} | "
            f"{tok[2]:,} | ${cost[0]:.3f} | ${cost[1]:.3f} | ${cost[2]:.3f} | "
            f"{r['Headroom']['round_trips']} of {r['questions']} |"
        )
    lines.append("")
    for price in (ANTHROPIC, OPENAI):
        raw, theirs, mine = (_total(results, n, price) for n in NAMES)
        lines.append(
            f"Bill at {price} prices with caching: raw ${raw:.3f}, headroom-ai ${theirs:.3f}, "
            f"Headroom ${mine:.3f}. Headroom / raw = {100 * mine / raw:.1f}% (goal <= 35%); "
            f"Headroom / headroom-ai = {mine / theirs:.2f} (goal <= 0.67)."
        )
    for name in NAMES:
        ratios = [x for r in results for x in r[name]["prefix_ratio"]]
        trips = sum(r[name]["round_trips"] for r in results)
        raw_rep = sum(r[name]["repeated_raw"] for r in results)
        sent_rep = sum(r[name]["repeated_sent"] for r in results)
        unrecovered = asked - sum(r[name]["recoverable"] for r in results)
        errors = sorted({r[name]["error"] for r in results if r[name]["error"]})
        engine = [r[name]["engine_repeat_cost"] for r in results]
        by_engine = ""
        if all(e is not None for e in engine):
            raw_e, sent_e, raw_c, sent_c = (sum(e[i] for e in engine if e) for i in range(4))
            by_engine = (
                f" (headroom.engine.repeat_cost: {sent_e:,} of {raw_e:,} = "
                f"{100 * sent_e / max(raw_e, 1):.1f}%; repeats of lines the context still "
                f"showed: {sent_c:,} of {raw_c:,} = {100 * sent_c / max(raw_c, 1):.1f}%)"
            )
        lines.append(
            f"{name}: cached-prefix ratio turn to turn mean {100 * sum(ratios) / len(ratios):.2f}%, "
            f"min {100 * min(ratios):.2f}% (goal >= 99%); retrieval round trips {trips} for "
            f"{asked} questions = {10 * trips / turns:.2f} per 10 turns (goal <= 1), "
            + (f"{unrecovered} not recoverable" if name == "Headroom" else "recovery not checked")
            + f"; repeated spans cost {sent_rep:,} of {raw_rep:,} "
            f"raw tokens = {100 * sent_rep / max(raw_rep, 1):.1f}%{by_engine} (goal <= 5%)"
            + (f"; errors: {errors}" if errors else "")
        )
    return lines


def chart(results: list[dict[str, Any]], path: Path) -> None:
    """Cumulative cost per turn, the sessions one after another, at both price rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, price in zip(axes, (ANTHROPIC, OPENAI), strict=True):
        for name, colour in zip(NAMES, ("#9aa7bd", "#e07b39", "#2f6fed"), strict=True):
            running, points = 0.0, []
            for r in results:
                for cost in r[name]["bills"][price]:
                    running += cost
                    points.append(running)
            axis.plot(range(1, len(points) + 1), points, label=name, color=colour)
        edge = 0
        for r in results[:-1]:
            edge += r["turns"]
            axis.axvline(edge, color="#dddddd", linewidth=0.8)
        axis.set_title(f"{price} (prompt caching priced in)")
        axis.set_xlabel("turn (sessions one after another)")
        axis.set_ylabel("cumulative input cost, USD")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    start = time.monotonic()
    # A fixed folder, so paths in outputs are the same from run to run; removed after.
    workspace = Path(tempfile.gettempdir()) / f"headroom-bench-session-{args.seed}"
    try:
        sessions = build_sessions(args.seed, args.sessions, workspace)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    built = time.monotonic() - start
    worker = TheirWorker()
    results = []
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(HeadroomConfig.from_env(), store=SqlStore(f"sqlite:///{home}/session.db"))
        for index, session in enumerate(sessions):
            results.append(replay_session(session, index, engine, worker, args.seed))
        engine.store.close()
    worker.close()
    lines = summary(results, worker.version)
    lines.append(f"(built in {built:.0f} s, replayed in {time.monotonic() - start - built:.0f} s)")
    print("\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    chart(results, args.out / "session-cost.png")
    sessions_json = [asdict(s) for s in sessions]
    (args.out / "session.json").write_text(
        json.dumps({"seed": args.seed, "results": results, "summary": lines}, indent=1)
    )
    (args.out / "session-transcripts.json").write_text(json.dumps(sessions_json))
    (args.out / "session.md").write_text(f"seed {args.seed}\n\n" + "\n".join(lines) + "\n")
    print(f"Chart: {args.out / 'session-cost.png'}")


if __name__ == "__main__":
    main()
