import json
from pathlib import Path

from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.engine.aligner import CacheAligner, canonical_tools, common_prefix_length
from headroom.providers import ANTHROPIC, OPENAI_CHAT
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG, openai_conversation, tool_call, tool_output
from tests.replay import replay


def test_thirty_turn_replay_keeps_every_prefix_with_the_aligner() -> None:
    shares = replay(small_fixture_config(align_dynamic=True), turns=30)
    assert len(shares) == 29
    assert shares == [1.0] * 29


def test_twenty_turn_replay_with_default_settings_keeps_the_prefix() -> None:
    """A changing timestamp in the system prompt, default settings, 20 turns: each request
    starts with (at least 95% of) the previous one, so the provider's cache hits."""
    shares = replay(HeadroomConfig(), turns=20)
    assert len(shares) == 19 and min(shares) >= 0.95


def test_without_the_aligner_the_prefix_breaks() -> None:
    shares = replay(small_fixture_config(align_dynamic=False, stable_history=False), turns=8)
    assert max(shares) < 0.2  # the timestamp in the system prompt changes the first bytes


def test_dynamic_fragments_move_to_the_end(store: SqlStore) -> None:
    system = (
        "Today is 2026-11-25T10:00:00Z (Wednesday, November 25, 2026). Session "
        "3f2b1c4d-1111-2222-3333-444455556666, token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlX2hlcmU, "
        "this is turn 14. Build BUILD-991 is current."
    )
    engine = Headroom(
        small_fixture_config(align_dynamic=True, align_patterns=(r"BUILD-\d+",)), store=store
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": "What failed at 10:00?"},
        *tool_call(tool_output(3), call_id="c1"),
    ]
    result = engine.compress(messages)
    aligned_system = result.messages[0]["content"]
    for dynamic in (
        "2026-11-25T10:00:00Z",
        "3f2b1c4d-1111",
        "eyJhbGci",
        "turn 14",
        "BUILD-991",
        "November 25, 2026",
    ):
        assert dynamic not in aligned_system
        assert dynamic in result.messages[-1]["content"]
    assert "[headroom-dynamic-1]" in aligned_system
    assert result.messages[1] == messages[1]  # user text untouched by default
    assert result.aligned_fragments == 6
    assert result.tokens_after < result.tokens_before
    later = [
        {
            **messages[0],
            "content": system.replace("10:00:00Z", "10:05:00Z").replace("turn 14", "turn 15"),
        },
        *messages[1:],
    ]
    assert engine.compress(later).messages[0] == result.messages[0]  # byte-identical prefix


def test_placeholders_are_numbered_by_first_appearance() -> None:
    values: dict[str, str] = {}
    text = CacheAligner().align_text("at 2026-01-01 and again 2026-01-01, then 2026-02-02", values)
    assert (
        text == "at [headroom-dynamic-1] and again [headroom-dynamic-1], then [headroom-dynamic-2]"
    )


def test_canonical_tools_sorted_by_name_with_sorted_keys() -> None:
    tools = [
        {
            "type": "function",
            "function": {"parameters": {"type": "object", "b": 1, "a": 2}, "name": "zeta"},
        },
        {"name": "alpha", "input_schema": {"type": "object"}, "description": "d"},
    ]
    out = canonical_tools(tools)
    assert [t.get("name") or t["function"]["name"] for t in out] == ["alpha", "zeta"]
    assert list(out[1]["function"]["parameters"]) == ["a", "b", "type"]
    assert list(out[0]) == ["description", "input_schema", "name"]


def test_cache_breakpoints_on_request() -> None:
    body = {
        "system": "sys",
        "tools": [{"name": "t"}],
        "messages": [{"role": "user", "content": "hi"}],
    }
    out = ANTHROPIC.add_cache_breakpoints(body, "k1")
    assert out["system"] == [
        {"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}
    ]
    assert out["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert out["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in str(body)  # the input is not mutated
    assert OPENAI_CHAT.add_cache_breakpoints({"messages": []}, "k1")["prompt_cache_key"] == "k1"


def anthropic_turn(log: str, *, breakpoint_after_result: bool) -> list[dict]:
    tail = {"type": "text", "text": "go on"}
    if breakpoint_after_result:
        tail["cache_control"] = {"type": "ephemeral"}
    return [
        {"role": "user", "content": "watch the build"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "fetch_output", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": log}, tail],
        },
    ]


def test_content_before_the_last_breakpoint_is_not_compressed_anew(store: SqlStore) -> None:
    engine = Headroom(small_fixture_config(), store=store)
    log = tool_output(5)
    frozen = engine.compress(anthropic_turn(log, breakpoint_after_result=True))
    assert (
        frozen.messages[2]["content"][0]["content"] == log
    )  # inside the cached prefix, first seen: untouched
    again = engine.compress(anthropic_turn(log, breakpoint_after_result=False))
    assert again.messages[2]["content"][0]["content"] == log  # and it stays as it was first sent


def test_compressed_form_is_reused_inside_the_cached_prefix(store: SqlStore) -> None:
    engine = Headroom(small_fixture_config(), store=store)
    log = tool_output(6)
    first = engine.compress(anthropic_turn(log, breakpoint_after_result=False))
    compressed = first.messages[2]["content"][0]["content"]
    assert compressed != log
    later = engine.compress(anthropic_turn(log, breakpoint_after_result=True))
    assert later.messages[2]["content"][0]["content"] == compressed


def test_replicas_sharing_a_store_send_the_same_bytes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    log = tool_output(9)

    def ask(engine: Headroom, question: str, follow_up: str | None = None) -> str:
        messages: list[dict] = [{"role": "user", "content": question}, *tool_call(log, call_id="c")]
        if follow_up is not None:  # the next turn of the same conversation
            messages += [
                {"role": "assistant", "content": "job-9-17 finished."},
                {"role": "user", "content": follow_up},
            ]
        return engine.compress(messages).messages[2]["content"]

    first = ask(Headroom(small_fixture_config(), store=SqlStore(url)), "what about job-9-17?")
    second = ask(
        Headroom(small_fixture_config(), store=SqlStore(url)),
        "what about job-9-17?",
        follow_up="and job-9-301?",
    )
    assert first == second  # another replica, a later turn: the history's bytes are the same
    fresh = ask(
        Headroom(
            small_fixture_config(stable_history=False),
            store=SqlStore(f"sqlite:///{tmp_path / 'x.db'}"),
        ),
        "and job-9-301?",
    )
    assert fresh != first  # without the decision cache the query would change the bytes


def test_engine_reports_prefix_stability(store: SqlStore) -> None:
    engine = Headroom(small_fixture_config(), store=store)
    turn = anthropic_turn(tool_output(2), breakpoint_after_result=False)
    assert engine.compress(turn).prefix_stability is None  # first request of the conversation
    longer = [*turn, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"}]
    assert engine.compress(longer).prefix_stability == 1.0
    changed = [
        {"role": "user", "content": "watch the build"},
        {"role": "assistant", "content": "different"},
    ]
    stability = engine.compress(changed).prefix_stability
    assert stability is not None and stability < 0.5


def claude_code_turns(first: str, second: str) -> tuple[list[dict], list[dict]]:
    """Claude Code marks its newest tool result with cache_control, turn after turn."""
    cached = {"type": "ephemeral"}
    turn1 = [
        {"role": "user", "content": "fix the build"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": first,
                    "cache_control": cached,
                }
            ],
        },
    ]
    turn2 = [
        *turn1[:2],
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": first}],
        },
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t2", "name": "Bash", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t2",
                    "content": second,
                    "cache_control": cached,
                }
            ],
        },
    ]
    return turn1, turn2


def test_claude_code_style_breakpoints_with_respect_turned_off(store: SqlStore) -> None:
    first, second = tool_output(4), tool_output(7)
    turn1, turn2 = claude_code_turns(first, second)
    default = Headroom(small_fixture_config(), store=store).compress(turn1)
    assert default.messages == turn1  # by default a cache_control block is left alone
    engine = Headroom(small_fixture_config(respect_cache_breakpoints=False), store=store)
    one = engine.compress(turn1)
    block = one.messages[2]["content"][0]
    assert (
        block["cache_control"] == {"type": "ephemeral"} and len(block["content"]) < len(first) / 4
    )
    two = engine.compress(turn2)
    assert (
        two.messages[2]["content"][0]["content"] == block["content"]
    )  # same bytes on the next turn
    newest = two.messages[4]["content"][0]
    assert (
        newest["cache_control"] == {"type": "ephemeral"}
        and len(newest["content"]) < len(second) / 4
    )


def test_prefix_stability_is_measured_on_what_was_sent(store: SqlStore) -> None:
    def sent_text(messages: list[dict]) -> str:
        return "".join(json.dumps(m, sort_keys=True, ensure_ascii=False) for m in messages)

    engine = Headroom(HeadroomConfig(align_early_messages=1), store=store)
    question = "Session 2026-11-25T09:00:00Z. Which checksum was recorded?"
    # Turn 1: moving the date would grow the request, so it goes unaligned.
    first = engine.compress([{"role": "user", "content": question}])
    assert first.aligned_fragments == 0 and "2026-11-25T09:00:00Z" in json.dumps(first.messages)
    # Turn 2: a big tool result pays for the context block, so this one is aligned.
    turn = openai_conversation(SYNC_LOG, question, system=None, call_id="c1")
    second = engine.compress(turn)
    assert second.aligned_fragments > 0
    before, now = sent_text(first.messages), sent_text(second.messages)
    assert second.prefix_stability == common_prefix_length(before, now) / len(before)
    assert second.prefix_stability < 0.5  # the first message changed: a cache would miss
