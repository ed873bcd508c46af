"""The environment headroom-ai 0.42 runs in (inside .venv-compare), for the workers that
import it: offline model hubs, and tiktoken pointed at the encodings inside its own litellm
dependency (no download), as ours does. Imported by the workers, run as scripts, before
`headroom` (which is the other package there). Kept free of this project's imports."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["prepare"]


def prepare() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # its text model cannot be downloaded here
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    spec = importlib.util.find_spec("litellm")
    if spec and spec.origin:
        folder = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
        if folder.is_dir():
            os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(folder))
