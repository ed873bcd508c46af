"""Property test over raw HTTP request bodies against a real server: no 5xx, no dropped
connection. `make fuzz` runs it with many more examples (HYPOTHESIS_PROFILE=fuzz)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.servers import RunningServer

PATHS = [
    "/v1/compress",
    "/v1/chat/completions",
    "/v1/messages",
    "/v1/responses",
    "/v1/retrieve",
]
PROVIDER_PATHS = PATHS[1:4]
MARKER = "[headroom: kept 12 of 300 items; headroom_retrieve ref=3f9a0c1d2e4b5a69]"

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.just(MARKER)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)
roles = st.sampled_from(["user", "assistant", "system", "tool", "developer", "", 5, None])
parts = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "tool_result", "tool_use", "image", "image_url", 3])},
    optional={"text": values, "content": values, "tool_use_id": values, "input": values},
)
messages = st.fixed_dictionaries(
    {"role": roles},
    optional={
        "content": st.text(max_size=300) | st.lists(parts, max_size=3) | values,
        "tool_calls": values | st.lists(st.dictionaries(st.text(max_size=8), values), max_size=2),
        "tool_call_id": values,
        "name": values,
    },
)


def nested(depth: int, inner: Any = MARKER) -> Any:
    """`inner` inside `depth` alternating lists and objects."""
    for level in range(depth):
        inner = [inner] if level % 2 else {"a": inner}
    return inner


deep_content = st.integers(1, 1100).map(
    lambda depth: [{"role": "user", "content": MARKER}, {"role": "user", "content": nested(depth)}]
)
bodies = st.fixed_dictionaries(
    {"messages": st.lists(messages, max_size=4) | values | deep_content},
    optional={
        "input": st.lists(messages, max_size=2) | values | deep_content,
        "model": values,
        "stream": st.booleans() | values,
        "tools": values | st.lists(values, max_size=3),
        "system": values,
        "query": values,
        "ref": values,
    },
)
raw = (
    bodies.map(lambda b: json.dumps(b).encode())
    | values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.integers(1, 1200).map(lambda depth: ("[" * depth + "]" * depth).encode())
    | st.sampled_from([b'{"messages": [], "x": NaN}', b"[Infinity]", b'{"model": -Infinity}'])
    | st.sampled_from([b'{"messages": [{"role": "user", "content": 1e999}]}'])
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "x-headroom-bypass": st.sampled_from(["1", "0", "true", ""]),
        "x-headroom-exclude-tools": st.text(alphabet="abc, ", max_size=10),
        "content-type": st.sampled_from(["application/json", "text/plain", ""]),
    },
)


class KeptAlive:
    """One HTTP/1.1 connection, reused for every request unless the server closes it."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: bytes, extra: dict[str, str]) -> tuple[int, Any, bytes]:
        self.connection.request("POST", path, body=body, headers=extra)
        response = self.connection.getresponse()
        return response.status, response.getheader("connection"), response.read()


@pytest.fixture(autouse=True, scope="module")
def close_connections() -> Iterator[None]:
    yield
    for client in _clients.values():
        client.connection.close()
    _clients.clear()


@given(path=st.sampled_from(PATHS), body=raw, extra=headers)
def test_any_body_gets_an_answer_below_500_on_a_kept_connection(
    headroom_server: RunningServer, path: str, body: bytes, extra: dict[str, str]
) -> None:
    port = int(headroom_server.url.rsplit(":", 1)[1])
    client = _clients.setdefault(port, KeptAlive(port))
    status, connection, payload = client.post(path, body, extra)
    assert status < 500, (status, payload[:300])
    assert connection != "close", "the server dropped the connection"
    if status >= 400:
        assert "error" in json.loads(payload)


_clients: dict[int, KeptAlive] = {}


def ask(port: int, path: str, body: bytes) -> tuple[int, Any, bytes, int]:
    """POST on a fresh connection; also the status of /health asked on it afterwards."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers={"content-type": "application/json"})
        response = connection.getresponse()
        answer = response.status, response.getheader("content-type"), response.read()
        connection.request("GET", "/health")
        health = connection.getresponse()
        health.read()
        return (*answer, health.status)
    finally:
        connection.close()


def conversation_of(path: str, messages: list[Any], **extra: Any) -> bytes:
    key = "input" if path == "/v1/responses" else "messages"
    return json.dumps({"model": "gpt-4o", key: messages, **extra}).encode()


ODD_PROVIDER_BODIES = {
    "marker and a message 600 deep": lambda path: conversation_of(
        path, [{"role": "user", "content": MARKER}, {"role": "user", "content": nested(600)}]
    ),
    "marker and tools: 5": lambda path: conversation_of(
        path, [{"role": "user", "content": MARKER}], tools=5
    ),
    "marker and tools of strings": lambda path: conversation_of(
        path, [{"role": "user", "content": MARKER}], tools=["a"]
    ),
    "stream: 'yes'": lambda path: conversation_of(
        path, [{"role": "user", "content": "hi"}], stream="yes"
    ),
    "NaN": lambda path: conversation_of(
        path, [{"role": "user", "content": "hi"}], top_p=float("nan")
    ),
}


@pytest.mark.parametrize("path", PROVIDER_PATHS)
@pytest.mark.parametrize("case", sorted(ODD_PROVIDER_BODIES))
def test_odd_provider_bodies_get_a_json_400_on_a_kept_connection(
    headroom_server: RunningServer, path: str, case: str
) -> None:
    port = int(headroom_server.url.rsplit(":", 1)[1])
    status, content_type, payload, health = ask(port, path, ODD_PROVIDER_BODIES[case](path))
    assert status == 400, payload[:300]
    assert content_type == "application/json" and "error" in json.loads(payload)
    assert health == 200  # the connection stays usable


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": [{"role": "user", "content": "x"}], "query": NaN}',
        b'{"messages": [{"role": "user", "content": Infinity}]}',
        b'{"messages": [{"role": "user", "content": [-Infinity]}]}',
        b'{"messages": [{"role": "user", "content": 1e999}]}',
    ],
)
def test_non_finite_numbers_are_refused_with_json(
    headroom_server: RunningServer, body: bytes
) -> None:
    port = int(headroom_server.url.rsplit(":", 1)[1])
    status, content_type, payload, health = ask(port, "/v1/compress", body)
    assert (status, content_type, health) == (400, "application/json", 200), payload
    assert "non-finite" in json.loads(payload)["error"]["message"]
