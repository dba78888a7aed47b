"""Anthropic's token counting: `POST {base}/v1/messages/count_tokens`.

The body is the Messages request's model, messages, system, tools, tool_choice and
thinking (and the output and MCP settings the count also takes); no max_tokens, no
stream. The answer is `{"input_tokens": N}`. Counting is free, and the count is the
provider's own (an estimate "that may differ by a small amount", the docs say).
Source: https://platform.claude.com/docs/en/build-with-claude/token-counting and
https://platform.claude.com/docs/en/api/messages/count_tokens (no recording exists in
the shared corpus: tests build the answer from this documented shape).
"""

from __future__ import annotations

import json
from typing import Any

from llmcli.errors import LlmcliError
from llmcli.transport import HttpCall

# The Messages body fields the count endpoint takes (the reference lists these).
COUNTED = (
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "mcp_servers",
)


def count_tokens_call(messages_call: HttpCall) -> HttpCall:
    """The count request for an encoded Messages request: same headers (key, version,
    betas), the body cut to what the endpoint takes, JSON back."""
    body = {k: v for k, v in (messages_call.json or {}).items() if k in COUNTED}
    url = messages_call.url.rstrip("/") + "/count_tokens"
    return HttpCall("POST", url, dict(messages_call.headers), body, "json")


def decode_count(body: bytes) -> int:
    """`{"input_tokens": N}` → N."""
    try:
        data: Any = json.loads(body)
        tokens = data["input_tokens"]
    except (ValueError, KeyError, TypeError):
        raise LlmcliError("anthropic: the token count came back in an unknown shape") from None
    if not isinstance(tokens, int):
        raise LlmcliError("anthropic: the token count came back in an unknown shape")
    return tokens
