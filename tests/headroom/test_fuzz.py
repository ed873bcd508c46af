"""Property tests over random conversations of both providers' shapes.

`make fuzz` runs them with many more examples (HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import json
import tempfile

from hypothesis import given
from hypothesis import strategies as st

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.markers import ANY_MARKER_RE, find_markers, parse_pointer
from headroom.engine.wellformed import parses_as_json

_STORE_DIR = tempfile.mkdtemp(prefix="headroom-fuzz-")
STORE = SqlStore(f"sqlite:///{_STORE_DIR}/fuzz.db")
CONFIG = HeadroomConfig(min_tokens_to_compress=40, min_savings_tokens=5, min_budget_tokens=60)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=10) | st.dictionaries(st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=60,
)
log_lines = st.lists(
    st.tuples(
        st.integers(0, 86399),
        st.sampled_from(["INFO", "WARN", "ERROR", "DEBUG"]),
        st.text(max_size=40),
    ),
    min_size=5,
    max_size=150,
).map(
    lambda rows: "\n".join(
        f"2026-01-01 {t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d} {lvl} {msg}"
        for t, lvl, msg in rows
    )
)
code = st.lists(
    st.tuples(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.integers(1, 30)),
    min_size=1,
    max_size=20,
).map(
    lambda fns: "\n\n".join(
        f"def {n}(x):\n" + "\n".join(f"    x += {i}" for i in range(k)) + "\n    return x"
        for n, k in fns
    )
)
invalid_utf8 = st.binary(min_size=1, max_size=3000).map(
    lambda b: b.decode("utf-8", "surrogateescape")
)
nested = st.integers(1, 3000).map(lambda depth: "[" * depth + "1" + "]" * depth)
tool_output = st.one_of(
    st.text(max_size=3000),
    json_values.map(json.dumps),
    json_values.map(lambda v: json.dumps(v, indent=2)),
    st.lists(json_values, min_size=3, max_size=40).map(
        lambda rows: "\n".join(json.dumps(r) for r in rows)
    ),
    log_lines,
    code,
    invalid_utf8,
    nested,
    st.tuples(st.text(min_size=1, max_size=40), st.integers(10, 800)).map(
        lambda t: (t[0] + "\n") * t[1]
    ),
)


@st.composite
def openai_conversation(draw: st.DrawFn) -> list[dict]:
    outputs = draw(st.lists(tool_output, min_size=1, max_size=4))
    messages: list[dict] = [
        {"role": "system", "content": draw(st.text(max_size=200))},
        {"role": "user", "content": draw(st.text(max_size=200))},
    ]
    for index, output in enumerate(outputs):
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{index}",
                        "type": "function",
                        "function": {
                            "name": draw(st.sampled_from(["read_file", "grep", "fetch"])),
                            "arguments": "{}",
                        },
                    }
                ],
            }
        )
        content = output if draw(st.booleans()) else [{"type": "text", "text": output}]
        messages.append({"role": "tool", "tool_call_id": f"call_{index}", "content": content})
    messages.append({"role": "user", "content": draw(st.text(max_size=100))})
    return messages


@st.composite
def anthropic_conversation(draw: st.DrawFn) -> list[dict]:
    outputs = draw(st.lists(tool_output, min_size=1, max_size=4))
    messages: list[dict] = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": draw(st.text(max_size=100))},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
            ],
        }
    ]
    for index, output in enumerate(outputs):
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": f"toolu_{index}", "name": "fetch", "input": {}}
                ],
            }
        )
        block: dict = {"type": "tool_result", "tool_use_id": f"toolu_{index}", "content": output}
        if draw(st.booleans()) and index == 0:
            block["cache_control"] = {"type": "ephemeral"}
        messages.append({"role": "user", "content": [block]})
    return messages


def pairing(messages: list) -> list[str]:
    ids: list[str] = []
    for message in messages:
        ids.extend(call["id"] for call in message.get("tool_calls") or [])
        if message.get("tool_call_id"):
            ids.append(message["tool_call_id"])
        for block in message["content"] if isinstance(message.get("content"), list) else []:
            ids.extend(str(block[k]) for k in ("id", "tool_use_id") if k in block)
    return ids


def tool_texts(messages: list) -> list[str]:
    texts = []
    for message in messages:
        content = message.get("content")
        if message.get("role") == "tool":
            texts.append(content if isinstance(content, str) else content[0]["text"])
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result":
                texts.append(block["content"])
    return texts


@given(messages=st.one_of(openai_conversation(), anthropic_conversation()))
def test_compress_properties(messages: list[dict]) -> None:
    engine = Headroom(CONFIG, store=STORE)
    result = engine.compress(messages)
    assert not result.failed_open
    assert result.tokens_after <= result.tokens_before
    assert len(result.messages) == len(messages)
    assert pairing(result.messages) == pairing(messages)
    again = Headroom(CONFIG.with_overrides(stable_history=False), store=STORE).compress(messages)
    assert again.messages == result.messages  # deterministic, with or without the decision cache
    for before, after in zip(tool_texts(messages), tool_texts(result.messages), strict=True):
        if before == after:
            continue
        markers = find_markers(after)
        if not markers and any(parse_pointer(m["detail"]) for m in ANY_MARKER_RE.finditer(after)):
            continue  # repeats of an earlier output, which shows them (test_dedup checks it)
        if not markers:  # nothing dropped: only a lossless JSON re-encoding may change the text
            json.loads(after)
            rows = (
                [before]
                if before.strip()[:1] in "[{" and parses_as_json(before)
                else before.splitlines()
            )
            assert all(
                parses_as_json(row) for row in rows if row.strip()
            )  # JSON, or JSON Lines made an array
            continue
        for marker in markers:
            assert engine.retrieve(marker.ref) == before
    for original, compressed in zip(messages, result.messages, strict=True):
        if original.get("role") in ("system", "assistant"):
            assert compressed == original
