"""Gemini `contents` for tests: a question, the model's tool call, its SYNC_LOG result."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conversations import SYNC_LOG

# google-genai's async client subclasses aiohttp's ClientSession, which aiohttp warns about.
GENAI_AIOHTTP = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

QUESTION = "Which checksum did the sync record?"


def gemini_contents(output: str = SYNC_LOG) -> list[dict[str, Any]]:
    return [
        {"role": "user", "parts": [{"text": QUESTION}]},
        {"role": "model", "parts": [{"functionCall": {"name": "fetch_log", "args": {}}}]},
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "fetch_log", "response": {"output": output}}}],
        },
    ]


def quoted_line(answer: str) -> str:
    """The line the fake model quoted from the original."""
    prefix = "The original says: "
    assert prefix in answer, answer
    return answer.split(prefix, 1)[1].strip()
