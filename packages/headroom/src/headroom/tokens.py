"""Token counting that works offline.

Exact counts come from tiktoken encodings (o200k_base for current OpenAI models and as the
stand-in for Claude, cl100k_base for GPT-4 / GPT-3.5). The encoding files are looked up
without a download: `TIKTOKEN_CACHE_DIR` if it holds them, else the copy that ships inside
the litellm wheel (`pip install "headroom-compress[tokenizers]"`). When neither is available the
counter falls back to a documented estimate (`estimate_tokens`): one token per run of up to
four word characters, plus one per other non-space character.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DEFAULT_MODEL",
    "TokenCounter",
    "count_tokens",
    "encoding_for_model",
    "estimate_tokens",
]

DEFAULT_MODEL = "gpt-4o"
"""The model whose tokenizer counts tokens when the caller names none (every surface)."""

_CHUNK_CHARS = 8192
_TWO_CORE_CHARS = 32_768  # a longer text is counted on two cores (tiktoken frees the GIL)
_SMALL_TEXT = 4096
_LARGE_ENTRIES = 1024
_ESTIMATE_RE = re.compile(r"\w{1,4}|[^\w\s]", re.UNICODE)
# Files tiktoken caches under sha1(url): o200k_base, cl100k_base.
_ENCODING_FILES = {
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
}


def estimate_tokens(text: str) -> int:
    """Model-free estimate used when no tiktoken encoding can be loaded offline."""
    return len(_ESTIMATE_RE.findall(text))


def encoding_for_model(model: str) -> str:
    """The tiktoken encoding that counts tokens for `model`."""
    name = model.lower().rsplit("/", 1)[-1]
    if name.startswith(("gpt-4-", "gpt-3.5", "text-embedding")) or name == "gpt-4":
        return "cl100k_base"
    return "o200k_base"


def _bundled_cache_dir() -> str | None:
    """Where litellm keeps tiktoken files, found without importing litellm (it is slow)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
    return str(folder) if folder.is_dir() else None


def _cache_dir_with(encoding: str) -> str | None:
    wanted = _ENCODING_FILES[encoding]
    for folder in (os.environ.get("TIKTOKEN_CACHE_DIR"), _bundled_cache_dir()):
        if folder and (Path(folder) / wanted).is_file():
            return folder
    return None


@lru_cache(maxsize=4)
def _load_encoder(encoding: str) -> Callable[[str], list[int]] | None:
    folder = _cache_dir_with(encoding)
    if folder is None:
        return None
    try:
        import tiktoken
    except ImportError:
        return None
    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = folder
    try:
        enc = tiktoken.get_encoding(encoding)
    except Exception:
        return None
    finally:
        if previous is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous
    encode: Callable[[str], list[int]] = enc.encode_ordinary
    return encode


def _chunks(text: str) -> list[str]:
    """Split at line ends into pieces of bounded size, so huge unbroken runs stay linear."""
    if len(text) <= _CHUNK_CHARS:
        return [text]
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + _CHUNK_CHARS, len(text))
        if end < len(text):
            newline = text.rfind("\n", start, end)
            if newline > start:
                end = newline + 1
        pieces.append(text[start:end])
        start = end
    return pieces


def _encodable(text: str) -> str:
    """`text` with lone surrogates as U+FFFD, which the tokenizer can take."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _tokens_in(encode: Callable[[str], list[int]], pieces: list[str]) -> int:
    return sum(len(encode(piece)) for piece in pieces)


@lru_cache(maxsize=1)
def _second_core() -> ThreadPoolExecutor | None:
    """One helper thread, on a machine with a core to spare for it."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2:
        return None
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="headroom-tokens")


class TokenCounter:
    """Counts tokens for one model, exactly when an encoding is available offline."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        self.encoding = encoding_for_model(model)
        self._encode = _load_encoder(self.encoding)
        self.exact = self._encode is not None
        self._small = lru_cache(maxsize=8192)(self._count)
        self._large: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, text: str) -> int:
        """Tokens of `text`; cached so that history re-sent every turn costs nothing twice.

        Small texts are cached by value; large ones by their length and string hash (which
        Python keeps on the string once computed, so the same payload asked about again
        costs nothing), never pinning megabytes of old payloads in memory."""
        if len(text) <= _SMALL_TEXT:
            small: int = self._small(text)
            return small
        digest = (len(text), hash(text))
        with self._lock:
            if digest in self._large:
                self._large.move_to_end(digest)
                return self._large[digest]
        tokens = self._count(text)
        with self._lock:
            self._large[digest] = tokens
            while len(self._large) > _LARGE_ENTRIES:
                self._large.popitem(last=False)
        return tokens

    def encode_once(self, text: str) -> int:
        """Tokens of `text` from one uncached tokenizer pass on one core (the yardstick of
        benchmarks)."""
        return self._count_on_one_core(text)

    def _count(self, text: str) -> int:
        helper = _second_core() if len(text) > _TWO_CORE_CHARS else None
        if helper is None or self._encode is None:
            return self._count_on_one_core(text)
        # The same pieces either way, so the same count: half of them on the other core.
        pieces = _chunks(_encodable(text))
        half = len(pieces) // 2
        try:
            other = helper.submit(_tokens_in, self._encode, pieces[half:])
        except RuntimeError:  # the interpreter is shutting down
            return _tokens_in(self._encode, pieces)
        return _tokens_in(self._encode, pieces[:half]) + other.result()

    def _count_on_one_core(self, text: str) -> int:
        if not text:
            return 0
        safe = _encodable(text)
        if self._encode is None:
            return estimate_tokens(safe)
        return _tokens_in(self._encode, _chunks(safe))

    def __repr__(self) -> str:
        return f"TokenCounter(model={self.model!r}, encoding={self.encoding!r}, exact={self.exact})"


@lru_cache(maxsize=16)
def counter_for(model: str) -> TokenCounter:
    """The shared counter of `model`; every part of Headroom counts through it."""
    return TokenCounter(model)


def count_tokens(text: str, model: str = DEFAULT_MODEL) -> int:
    """Number of tokens `text` costs when sent to `model`."""
    return counter_for(model).count(text)
