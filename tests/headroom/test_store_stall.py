"""A store that accepts connections and never answers costs one bounded wait, not a hang."""

import socket
import threading
from collections.abc import Iterator

import pytest

from headroom import Headroom, HeadroomConfig
from tests.headroom.test_pipeline import LOG, openai_conversation


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """A TCP server on loopback that accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], accepted
    listener.close()
    for connection in accepted:
        connection.close()


def test_a_silent_database_fails_open_after_one_bounded_wait(silent_server) -> None:
    port, accepted = silent_server
    url = f"postgresql+psycopg://user@127.0.0.1:{port}/db?connect_timeout=2"
    engine = Headroom(HeadroomConfig(store_url=url, budget_scale=0.25, budget_exponent=1.0))
    conversation = openai_conversation(LOG) + openai_conversation(LOG.replace("quota", "space"))[2:]
    for index, message in enumerate(conversation):
        if message.get("tool_call_id"):
            message["tool_call_id"] = f"call_{index}"
        for call in message.get("tool_calls") or []:
            call["id"] = f"call_{index + 1}"
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(engine.compress(conversation)))
    worker.start()
    worker.join(timeout=120)
    assert done, "compress() returned"
    result = done[0]
    assert result.messages == conversation  # nothing stored, so nothing compressed
    assert len(accepted) <= 2  # the store was tried once, not once per payload
