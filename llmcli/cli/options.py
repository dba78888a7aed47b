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
    """`-H 'Name: value'` → headers, one per name in any case (the last given wins).

    The value is never echoed, even when refused: it may be a credential."""
    from llmcli.headers import is_header_name, merged, value_problem

    headers: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition(":")
        name = name.strip()
        if not sep or not is_header_name(name):
            raise UsageError("invalid -H/--header: use -H 'Name: value'")
        problem = value_problem(value.strip())
        if problem:
            raise UsageError(
                f"-H {name}: the value contains {problem}: give one line of plain ASCII"
            )
        headers = merged(headers, {name: value.strip()})
    return headers
