"""Behaviour at the edges of the engine: settings from the environment, an original evicted
under a replayed decision, the aligner stepping back, the engine pool's limit, the largest
payload compressed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.engine import payloads
from headroom.engine.engines import EnginePool
from headroom.errors import ConfigError
from headroom.server.settings import ServerSettings
from tests.conftest import small_fixture_config
from tests.conversations import WORKER_LOG, openai_conversation


def test_config_from_env_reads_every_type_and_names_a_bad_variable() -> None:
    config = HeadroomConfig.from_env(
        {
            "HEADROOM_MIN_TOKENS_TO_COMPRESS": "123",
            "HEADROOM_BUDGET_SCALE": "99.5",
            "HEADROOM_STABLE_HISTORY": "false",
            "HEADROOM_EXCLUDED_TOOLS": "read_file, grep,",
            "HEADROOM_KOMPRESS_MODEL_PATH": "/models/kompress",
            "HEADROOM_SOMETHING_ELSE": "ignored",
        }
    )
    assert config.min_tokens_to_compress == 123 and config.budget_scale == 99.5
    assert config.stable_history is False and config.excluded_tools == ("read_file", "grep")
    assert config.kompress_model_path == "/models/kompress"
    assert HeadroomConfig.from_env({}) == HeadroomConfig()
    with pytest.raises(ConfigError, match="HEADROOM_TTL_SECONDS .*ttl_seconds.* 'soon'"):
        HeadroomConfig.from_env({"HEADROOM_TTL_SECONDS": "soon"})


def test_server_settings_from_env_carry_the_engine_settings() -> None:
    settings = ServerSettings.from_env(
        {"HEADROOM_PORT": "9999", "HEADROOM_NAMESPACE": "team-a", "HEADROOM_API_TOKEN": " "},
        host="127.0.0.2",
    )
    assert (settings.host, settings.port, settings.api_token) == ("127.0.0.2", 9999, None)
    with pytest.raises(ConfigError, match="HEADROOM_MAX_CONNECTIONS"):
        ServerSettings.from_env({"HEADROOM_MAX_CONNECTIONS": "0"})


def test_server_settings_read_the_engine_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADROOM_NAMESPACE", "team-b")
    assert ServerSettings().engine.namespace == "team-b"


def test_a_replayed_decision_stores_its_evicted_original_again(store: SqlStore) -> None:
    messages = openai_conversation(WORKER_LOG)
    first = Headroom(small_fixture_config(), store=store).compress(messages)
    (ref,) = first.refs
    cap = store.max_bytes
    store.max_bytes = 1  # the size cap drops every original ...
    assert store.evict() == 1 and store.get("default", ref) is None
    store.max_bytes = cap  # ... and the decision that points at it stays
    replica = Headroom(small_fixture_config(), store=store)
    again = replica.compress(messages)
    assert again.messages == first.messages  # the same bytes as the first time
    assert replica.retrieve(ref) == WORKER_LOG  # and the marker is redeemable again


def test_a_decision_is_written_in_the_background_and_lands(store: SqlStore) -> None:
    engine = Headroom(small_fixture_config(), store=store)
    messages = openai_conversation(WORKER_LOG)
    first = engine.compress(messages)
    engine.store.flush()
    with store._engine.connect() as conn:
        (decisions,) = conn.execute(text("SELECT count(*) FROM headroom_decisions")).one()
    assert decisions == 1
    replica = Headroom(small_fixture_config(), store=store)
    assert replica.compress(messages).messages == first.messages


class _CountingStore(SqlStore):
    """The real SQLite store, counting the touches it is asked for."""

    touches = 0

    def touch(self, namespace: str, ref: str) -> bool:
        self.touches += 1
        return super().touch(namespace, ref)


@pytest.mark.parametrize("known_for_s", [5.0, 0.0])
def test_a_replay_asks_the_store_for_its_original_unless_stored_moments_ago(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, known_for_s: float
) -> None:
    monkeypatch.setattr(payloads, "_KNOWN_STORED_S", known_for_s)
    store = _CountingStore(f"sqlite:///{tmp_path / 'store.db'}")
    engine = Headroom(small_fixture_config(), store=store)
    messages = openai_conversation(WORKER_LOG)
    (ref,) = engine.compress(messages).refs
    again = engine.compress(messages)  # the decision replays
    assert again.refs == [ref] and engine.retrieve(ref) == WORKER_LOG
    assert store.touches == (0 if known_for_s else 1)
    store.close()


def test_the_aligner_steps_back_when_aligning_would_grow_the_request(store: SqlStore) -> None:
    messages = [
        {"role": "system", "content": "Be brief. Now: 2026-11-25T10:00:00Z."},
        {"role": "user", "content": "Hello"},
    ]
    engine = Headroom(HeadroomConfig(align_dynamic=True), store=store)
    fragments = engine.aligner.align_messages(messages).fragments
    assert fragments  # there is something to align ...
    result = engine.compress(messages)
    assert result.messages == messages and result.aligned_fragments == 0  # ... not worth it
    assert result.tokens_after == result.tokens_before


def test_the_engine_pool_drops_its_least_recent_engine_and_loses_nothing(
    store: SqlStore,
) -> None:
    pool = EnginePool(small_fixture_config(), store, max_engines=2)
    first_a = pool.get("a")
    (ref,) = first_a.compress(openai_conversation(WORKER_LOG)).refs
    b = pool.get("b")
    assert pool.get("a") is first_a  # recently used: kept
    pool.get("c")  # "b" is now the least recent and goes
    assert pool.get("a") is first_a and pool.get("b") is not b
    pool.get("d")
    pool.get("e")  # "a" goes too
    again_a = pool.get("a")
    assert again_a is not first_a and again_a.retrieve(ref) == WORKER_LOG
    assert again_a.config.namespace == "a"


def test_a_payload_over_max_payload_bytes_goes_out_unchanged(store: SqlStore) -> None:
    config = small_fixture_config(max_payload_bytes=len(WORKER_LOG.encode()) - 1)
    engine = Headroom(config, store=store)
    result = engine.compress(openai_conversation(WORKER_LOG))
    assert result.messages[-1]["content"] == WORKER_LOG and result.refs == []
    single = engine.compress_text(WORKER_LOG)
    assert single.text == WORKER_LOG and not single.changed
    roomy = Headroom(small_fixture_config(max_payload_bytes=len(WORKER_LOG)), store=store)
    assert roomy.compress_text(WORKER_LOG).changed  # one byte more and it is compressed


def test_request_walks_are_iterative_at_any_depth() -> None:
    from headroom.engine.pipeline import count_message_tokens
    from headroom.engine.retrieval_loop import has_markers
    from headroom.tokens import counter_for

    marker = "[headroom: kept 1 of 9 lines; headroom_retrieve ref=3f9a0c1d2e4b5a69]"
    deep: object = marker
    for level in range(20_000):  # far past the recursion limit
        deep = [deep] if level % 2 else {"a": deep}
    assert has_markers(deep) and not has_markers([[[["no marker"]]]])
    assert count_message_tokens([{"role": "user", "content": deep}], counter_for("gpt-4o")) > 4
