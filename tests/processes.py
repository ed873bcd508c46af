"""Compression of one conversation in separate processes, each with a store of its own:
the bytes every process sends must be the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["compressed_in_processes"]

_SCRIPT = """
import json, sys
from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
messages = json.load(open(sys.argv[1]))
engine = Headroom(HeadroomConfig(), store=SqlStore(sys.argv[2]))
sys.stdout.write(json.dumps(engine.compress(messages).messages, sort_keys=True))
"""


def compressed_in_processes(messages: list[Any], folder: Path, count: int = 2) -> list[bytes]:
    """What `count` fresh processes send for `messages` (JSON, keys sorted)."""
    source = folder / "messages.json"
    source.write_text(json.dumps(messages))
    return [
        subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(source), f"sqlite:///{folder / f'{n}.db'}"],
            capture_output=True,
            check=True,
        ).stdout
        for n in range(count)
    ]
