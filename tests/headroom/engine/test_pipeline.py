import copy
import json
from pathlib import Path

import pytest

import headroom
from headroom import Headroom, HeadroomConfig, InputError
from headroom.ccr import SqlStore
from headroom.ccr.markers import find_markers
from headroom.engine.pipeline import count_message_tokens
from headroom.errors import StoreError
from headroom.tokens import counter_for
from tests.conftest import corpus_files, small_fixture_config
from tests.conversations import WORKER_LOG as LOG
from tests.conversations import openai_conversation
from tests.processes import compressed_in_processes


def anthropic_conversation(tool_output: str) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What failed?", "cache_control": {"type": "ephemeral"}},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_9", "name": "fetch_output", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": tool_output}],
        },
    ]


def resolve_markers(engine: Headroom, text: str, original: str) -> None:
    markers = find_markers(text)
    assert markers, "compressed output must say what it left out"
    for marker in markers:
        assert engine.retrieve(marker.ref) == original


def test_log_tool_result_is_compressed_and_error_kept(engine: Headroom) -> None:
    messages = openai_conversation(LOG)
    result = engine.compress(messages)
    assert result.tokens_after < result.tokens_before / 2
    assert 0 < result.ratio < 0.5
    compressed = result.messages[3]["content"]
    assert "ERROR worker-3 failed: disk quota exceeded on /var/data" in compressed
    resolve_markers(engine, compressed, LOG)
    assert result.refs == [find_markers(compressed)[0].ref]
    assert sum(s.payloads for s in result.compressors.values()) == 1


def test_everything_but_tool_results_is_untouched(engine: Headroom) -> None:
    messages = anthropic_conversation(LOG)
    before = copy.deepcopy(messages)
    result = engine.compress(messages)
    assert messages == before
    assert result.messages[0] == before[0]  # user text, cache_control and image untouched
    assert result.messages[1] == before[1]  # tool_use untouched
    block = result.messages[2]["content"][0]
    assert block["type"] == "tool_result" and block["tool_use_id"] == "toolu_9"
    assert block["content"] != LOG


def test_tool_call_pairing_is_kept(engine: Headroom) -> None:
    result = engine.compress(openai_conversation(LOG))
    assert len(result.messages) == 4
    assert (
        result.messages[2]["tool_calls"][0]["id"] == result.messages[3]["tool_call_id"] == "call_1"
    )


def test_long_user_text_is_compressed_only_by_setting(store: SqlStore) -> None:
    prose = (Path(corpus_files("prose")[0].path)).read_text()
    messages = [{"role": "user", "content": prose}]
    assert Headroom(small_fixture_config(), store=store).compress(messages).messages == messages
    opted_in = Headroom(small_fixture_config(compress_user_messages=True), store=store).compress(
        messages
    )
    assert opted_in.tokens_after < opted_in.tokens_before


def test_excluded_tools_and_retrieval_results_pass_through(store: SqlStore) -> None:
    messages = openai_conversation(LOG)
    engine = Headroom(small_fixture_config(excluded_tools=("fetch_output",)), store=store)
    assert engine.compress(messages).messages == messages
    messages[2]["tool_calls"][0]["function"]["name"] = "headroom_retrieve"
    assert Headroom(small_fixture_config(), store=store).compress(messages).messages == messages


def test_already_compressed_output_is_not_compressed_again(engine: Headroom) -> None:
    first = engine.compress(openai_conversation(LOG))
    second = engine.compress(first.messages)
    assert second.messages == first.messages


@pytest.mark.parametrize(
    "payload",
    [
        "{not json at all: [1, 2,, }" * 400,
        "".join(chr(i % 256) for i in range(20_000)),
        b"\xff\xfe\x00garbage\xc3\x28 ".decode("utf-8", "surrogateescape") * 3000,
        "short",
    ],
    ids=["malformed-json", "binary", "invalid-utf8", "tiny"],
)
def test_bad_input_never_raises_never_grows_never_loses(engine: Headroom, payload: str) -> None:
    result = engine.compress(openai_conversation(payload))
    assert result.tokens_after <= result.tokens_before
    out = result.messages[3]["content"]
    if out != payload:
        resolve_markers(engine, out, payload)


@pytest.mark.slow  # 50 MB through the engine
def test_fifty_megabyte_payload(engine: Headroom) -> None:
    big = (LOG + "\n") * 560  # ~ 50 MB
    assert len(big) > 50_000_000
    result = engine.compress(openai_conversation(big))
    assert result.tokens_after <= result.tokens_before
    out = result.messages[3]["content"]
    assert out == big or engine.retrieve(find_markers(out)[0].ref) == big


def test_non_list_input_is_a_clear_error(engine: Headroom) -> None:
    with pytest.raises(InputError, match="list of message dicts"):
        engine.compress("hello")  # type: ignore[arg-type]


class BrokenStore(SqlStore):
    def put(self, namespace: str, ref: str, original: str, *, kind: str) -> None:
        raise StoreError("disk on fire")


def test_fails_open_when_the_store_raises(tmp_path: Path) -> None:
    engine = Headroom(small_fixture_config(), store=BrokenStore(f"sqlite:///{tmp_path / 'b.db'}"))
    messages = openai_conversation(LOG)
    result = engine.compress(messages)
    assert result.messages == messages
    assert result.tokens_after == result.tokens_before and result.refs == []


def test_fails_open_when_a_compressor_raises(
    engine: Headroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(engine.router, "route", explode)
    messages = openai_conversation(LOG)
    assert engine.compress(messages).messages == messages


def test_ratio_and_counting_are_consistent(engine: Headroom) -> None:
    messages = openai_conversation(LOG)
    result = engine.compress(messages)
    counter = counter_for("gpt-4o")
    assert result.tokens_before == count_message_tokens(messages, counter)
    assert result.tokens_after == count_message_tokens(result.messages, counter)
    assert result.ratio == pytest.approx(result.tokens_after / result.tokens_before)


@pytest.mark.slow  # several processes
def test_deterministic_across_processes(tmp_path: Path) -> None:
    files = corpus_files()
    messages = []
    for index, corpus_file in enumerate(files[::4]):
        messages.extend(openai_conversation(corpus_file.text()))
        messages[-2]["tool_calls"][0]["id"] = messages[-1]["tool_call_id"] = f"call_{index}"
    outputs = compressed_in_processes(messages, tmp_path)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0]) != messages


def test_module_level_api_uses_the_default_store() -> None:
    result = headroom.compress(openai_conversation(LOG))
    ref = result.refs[0]
    assert headroom.retrieve(ref) == LOG
    assert "disk quota exceeded" in (headroom.retrieve(ref, query="disk quota") or "")
    assert headroom.retrieve("0000000000000000") is None
    assert headroom.count_tokens("hello world") == 2


def test_quoted_markers_in_an_input_are_neutralised_and_real_output_is_not_recompressed(
    store: SqlStore,
) -> None:
    quoted = "[headroom: kept 3 of 9 lines; headroom_retrieve ref=0123456789abcdef]"
    diff_like = LOG.replace("disk quota exceeded", f"disk quota exceeded, see {quoted}")
    engine = Headroom(small_fixture_config(), store=store)
    result = engine.compress(openai_conversation(diff_like))
    sent = result.messages[3]["content"]
    assert sent != diff_like, "a payload quoting a marker is still compressed"
    assert "[quoted headroom: kept 3 of 9 lines; headroom_retrieve ref=0123456789abcdef]" in sent
    markers = find_markers(sent)
    assert markers and all(engine.retrieve(m.ref) == diff_like for m in markers)
    # Headroom's own output sent back (an app that kept result.messages) is left alone.
    again = engine.compress(result.messages)
    assert again.messages[3]["content"] == sent


def test_odd_message_shapes_and_a_missing_model_fail_open(store: SqlStore) -> None:
    engine = Headroom(small_fixture_config(), store=store)
    odd = [{"role": "assistant", "tool_calls": 5}, {"role": "user", "content": "hi"}]
    result = engine.compress(odd)
    assert result.failed_open and result.messages == odd
    plain = engine.compress(openai_conversation(LOG), model=None)  # type: ignore[arg-type]
    assert not plain.failed_open and plain.tokens_after < plain.tokens_before
    deep = openai_conversation(LOG)
    deep[2]["tool_calls"][0]["function"]["arguments"] = {"a": [[[[[]]]]] * 3, "b": "[" * 950}
    nested: list = []
    for _ in range(950):
        nested = [nested]
    deep[2]["tool_calls"][0]["extra"] = nested
    assert engine.compress(deep).messages[:3] == deep[:3]  # the odd call itself is untouched
    with pytest.raises(InputError):
        engine.compress("not a list")  # type: ignore[arg-type]


def test_a_replayed_decision_reports_the_language_it_was_made_with(store: SqlStore) -> None:
    source = "\n\n".join(
        f"def handler_{n}(event):\n" + "\n".join(f"    event.step({i})" for i in range(30))
        for n in range(40)
    )
    engine = Headroom(small_fixture_config(), store=store)
    first = engine.compress_text(source, filename="handlers.py")
    second = engine.compress_text(source, filename="handlers.py")
    assert first.kind == second.kind == "code"
    assert first.language == second.language == "python"
    assert second.text == first.text


def test_a_payload_within_its_budget_stays_whole_when_it_quotes_a_marker(store: SqlStore) -> None:
    # Neutralising a quoted marker adds tokens the payload does not have; the budget of a
    # payload that fits (here every payload fits) must not shrink under them.
    hunks = [
        f"@@ -{10 * i},3 +{10 * i},3 @@\n context {i}\n-old value {i} = {i * 7}\n"
        f"+new value {i} = {i * 11}\n context after {i}"
        for i in range(1, 60)
    ]
    quoted = "+see [headroom: kept 3 of 9 lines; headroom_retrieve ref=0123456789abcdef]"
    diff = "\n".join(
        ["diff --git a/app.cfg b/app.cfg", "--- a/app.cfg", "+++ b/app.cfg", *hunks]
    ).replace("+new value 30 = 330", quoted)
    engine = Headroom(HeadroomConfig(budget_scale=1.0, budget_exponent=1.0), store=store)
    result = engine.compress(openai_conversation(diff))
    assert result.messages[3]["content"] == diff
