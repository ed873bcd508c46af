"""litellm.completion with compressed messages (mock_response: offline)."""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import headroom_litellm

log = (
    "\n".join(f"12:00:{i % 60:02d} INFO request {i} ok" for i in range(3000))
    + "\n12:59:59 ERROR disk full"
)
messages = [
    {"role": "user", "content": "Why did the job stop?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "read_log", "arguments": "{}"}}
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": log},
]
response = headroom_litellm.completion(
    model="gpt-4o", messages=messages, mock_response="The disk is full."
)
print(response.choices[0].message.content)
