"""`make profile`: where compression time goes, per content kind, on the corpus.

Each payload is compressed once to warm up, then again under cProfile with the decision
cache off (every payload compressed anew); the functions with the most time of their own
are printed per kind.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
from collections import defaultdict
from pathlib import Path

from benchmarks.common import tool_conversation
from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--kind", default=None, help="only this kind (log, json, code, ...)")
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    by_kind: dict[str, list[list[dict[str, object]]]] = defaultdict(list)
    for entry in manifest["files"]:
        if args.kind in (None, entry["kind"]):
            text = (args.corpus / entry["path"]).read_bytes().decode("utf-8")
            by_kind[entry["kind"]].append(tool_conversation(text, follow_up="What failed?"))
    with tempfile.TemporaryDirectory() as home:
        engine = Headroom(
            HeadroomConfig(stable_history=False), store=SqlStore(f"sqlite:///{home}/p.db")
        )
        for kind, conversations in sorted(by_kind.items()):
            for messages in conversations:
                engine.compress(messages)
            profile = cProfile.Profile()
            profile.enable()
            for messages in conversations:
                engine.compress(messages)
            profile.disable()
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).sort_stats("tottime")
            stats.print_stats(args.top)
            report = out.getvalue()
            body = report[report.index("ncalls") :] if "ncalls" in report else report
            print(f"## {kind} ({len(conversations)} payloads, {stats.total_tt * 1000:.0f} ms)")  # type: ignore[attr-defined]
            print(body.replace(str(Path.cwd()) + "/", ""))
        engine.store.close()  # background writes done before the directory goes


if __name__ == "__main__":
    main()
