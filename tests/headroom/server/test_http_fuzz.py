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

PATHS = ["/v1/compress", "/v1/chat/completions", "/v1/messages", "/v1/retrieve"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
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
bodies = st.fixed_dictionaries(
    {"messages": st.lists(messages, max_size=4) | values},
    optional={
        "model": values,
        "stream": st.booleans() | values,
        "tools": values,
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
