"""Parsing of the repeatable `-o KEY=VALUE` and `-H 'Name: value'` flags."""

from __future__ import annotations

import json
from typing import Any

from llmcli.errors import UsageError

# Body keys llmcli writes itself from a flag or the prompt: set by -o, they would make
# the body and llmcli disagree (`--no-stream -o stream=true` sends a stream that is then
# read as one JSON answer). Common to the chat shapes llmcli speaks (OpenAI chat,
# Anthropic messages, Ollama chat); `embed` has `input` instead of `messages`.
CONTROLLED = {
    "model": "-m/--model",
    "messages": "PROMPT (and -c/--cid for a conversation)",
    "stream": "--stream/--no-stream",
}
EMBED_CONTROLLED = {"model": "-m/--model", "input": "TEXT, --file or stdin"}


def parse_options(
    items: list[str] | None, controlled: dict[str, str] | None = None
) -> dict[str, Any]:
    """`-o key=value` pairs → a nested dict (values parsed as JSON when they parse)."""
    owned = CONTROLLED if controlled is None else controlled
    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"invalid -o '{item}': use KEY=VALUE, e.g. -o seed=42")
        *parents, leaf = key.split(".")
        if not all(p.strip() for p in [*parents, leaf]):
            raise UsageError(f"invalid -o '{item}': empty part in the key '{key}'")
        if key.split(".")[0] in owned:
            head = key.split(".")[0]
            raise UsageError(f"invalid -o '{item}': llmcli sets '{head}' itself: use {owned[head]}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        target = result
        for parent in parents:
            node = target.setdefault(parent, {})
            if not isinstance(node, dict):
                raise UsageError(f"invalid -o '{item}': '{parent}' is already set to a value")
            target = node
        target[leaf] = value
    return result


def parse_headers(items: list[str] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            # The value is not echoed: it may be a credential.
            raise UsageError("invalid -H/--header: use -H 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers
