"""Small sample data shared by the CLI tests (imported at module level: importing one
test module from inside another test is fragile)."""

from __future__ import annotations

import base64
import json
import re

from tests.servers import Reply

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
TOOLS = {
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_temperature",
                "description": "",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    ]
}
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def openai_reply(text: str = "Hello there.", stream: bool = True) -> Reply:
    """A chat answer in the documented OpenAI shape: SSE chunks, or one JSON body."""
    usage = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
    if not stream:
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        }
        return Reply(body=json.dumps(body).encode())
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        *(
            {"choices": [{"index": 0, "delta": {"content": w}}]}
            for w in re.findall(r"\S*\s*", text)
            if w
        ),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": usage},
    ]
    for chunk in chunks:
        chunk.update(id="chatcmpl-1", object="chat.completion.chunk", model="gpt-4o-mini")
    sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return Reply(body=sse.encode(), content_type="text/event-stream")
