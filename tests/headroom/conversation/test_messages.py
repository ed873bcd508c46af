import copy
import json

from headroom.conversation.messages import Conversation

OPENAI = [
    {"role": "system", "content": "You are terse.", "name": "sys"},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Look at this", "cache_control": {"type": "ephemeral"}},
            {
                "type": "image_url",
                "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"},
            },
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "read_file", "arguments": '{"path": "a.py"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "grep", "arguments": '{"q": "x"}'},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "print('a')\n"},
    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "a.py:1:x"}]},
    {"role": "user", "content": "What does a.py print?", "x-custom": {"keep": [1, 2]}},
]

ANTHROPIC = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Check the logs"},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
            },
        ],
    },
    {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "fetch_output",
                "input": {"url": "http://x"},
            },
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "line 1\nline 2"},
            {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True, "content": "boom"},
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "cache_control": {"type": "ephemeral"},
                "content": [{"type": "text", "text": "cached"}],
            },
            {"type": "text", "text": "and why?"},
        ],
    },
]


def test_openai_round_trip_keeps_every_field() -> None:
    original = copy.deepcopy(OPENAI)
    conversation = Conversation(OPENAI)
    assert conversation.provider.name == "openai"
    assert conversation.to_messages() == original
    assert conversation.replaced({}) == original
    assert OPENAI == original  # the input is never mutated


def test_anthropic_round_trip_keeps_every_field() -> None:
    original = copy.deepcopy(ANTHROPIC)
    conversation = Conversation(ANTHROPIC)
    assert conversation.provider.name == "anthropic"
    assert conversation.to_messages() == original


def test_openai_segments_are_tool_results_with_their_tool_names() -> None:
    segments = Conversation(OPENAI).segments(include_user=False, include_assistant=False)
    assert [(s.path, s.tool_name) for s in segments] == [
        ((3, "content"), "read_file"),
        ((4, "content", 0, "text"), "grep"),
    ]
    assert segments[0].tool_arguments == '{"path": "a.py"}'


def test_anthropic_segments_skip_errors_and_cache_control() -> None:
    segments = Conversation(ANTHROPIC).segments(include_user=False, include_assistant=False)
    assert [(s.path, s.tool_name, s.text) for s in segments] == [
        ((2, "content", 0, "content"), "fetch_output", "line 1\nline 2"),
    ]


def test_user_text_only_by_setting_and_never_cache_control_parts() -> None:
    segments = Conversation(OPENAI).segments(include_user=True, include_assistant=False)
    user = [s for s in segments if s.source == "user"]
    assert [s.text for s in user] == ["What does a.py print?"]


def test_replaced_changes_only_the_given_paths() -> None:
    conversation = Conversation(ANTHROPIC)
    out = conversation.replaced({(2, "content", 0, "content"): "short"})
    assert out[2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "short",
    }
    assert out[2]["content"][1:] == ANTHROPIC[2]["content"][1:]
    assert out[:2] == ANTHROPIC[:2]
    assert ANTHROPIC[2]["content"][0]["content"] == "line 1\nline 2"


def test_query_is_latest_user_text() -> None:
    assert Conversation(OPENAI).query() == "What does a.py print?"
    assert Conversation(ANTHROPIC).query() == "and why?"


def test_unknown_shapes_pass_through() -> None:
    weird = [42, "text", {"role": "user"}, {"content": {"nested": True}}, None]
    conversation = Conversation(weird)
    assert conversation.segments(include_user=True, include_assistant=True) == []
    assert conversation.to_messages() == weird


def test_each_tool_result_carries_the_question_that_led_to_it() -> None:
    def call(call_id: str, path: str) -> dict:
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "read", "arguments": json.dumps({"path": path})},
                }
            ],
        }

    messages = [
        {"role": "user", "content": "Why did `job-17` fail?"},
        call("a", "logs/ci.log"),
        {"role": "tool", "tool_call_id": "a", "content": "first output"},
        {"role": "user", "content": "And the deploy?"},
        call("b", "logs/deploy.log"),
        {"role": "tool", "tool_call_id": "b", "content": "second output"},
    ]
    first, second = Conversation(messages).segments(include_user=False, include_assistant=False)
    assert first.query == "Why did `job-17` fail?\nlogs/ci.log"  # not the later question
    assert second.query == "And the deploy?\nlogs/deploy.log"  # argument values, no JSON quotes
