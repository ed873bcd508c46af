"""withHeadroom around the OpenAI client. Needs OPENAI_API_KEY (or a compatible base URL)."""

import openai

from headroom import withHeadroom

client = withHeadroom(openai.OpenAI())
log = (
    "\n".join(f"12:00:{i % 60:02d} INFO request {i} ok" for i in range(3000))
    + "\n12:59:59 ERROR disk full"
)
response = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[
        {"role": "user", "content": "Why did the job stop?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "read_log", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": log},
    ],
)
print(response.choices[0].message.content)
