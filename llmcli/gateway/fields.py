"""`Request` fields spelled as each client format names them, for the notes encoders
write with `{field}` placeholders (llmcli.notes): the CLI spells them as flags, the
gateway as the body field the client sent."""

from __future__ import annotations

from collections.abc import Iterable

from llmcli.notes import Unsupported

_OPENAI = {
    "max_tokens": "max_completion_tokens",
    "system": "messages",
    "prefill": "messages",
    "cache_system": "messages",
    "cite": "messages",
    "thinking": "reasoning_effort",
    "thinking_budget": "reasoning_effort",
    "cache_tools": "tools",
    "response_format": "response_format",
}
_ANTHROPIC = {
    "stop": "stop_sequences",
    "user": "metadata.user_id",
    "prefill": "messages",
    "cite": "messages",
    "cache_system": "system",
    "cache_ttl": "cache_control.ttl",
    "cache_tools": "tools",
    "thinking_budget": "thinking.budget_tokens",
    "reasoning_effort": "output_config.effort",
    "response_format": "output_config.format",
    "parallel_tool_calls": "tool_choice.disable_parallel_tool_use",
    "web_search": "tools",
    "web_search_max_uses": "tools",
    "betas": "anthropic-beta",
}


def openai_field(name: str) -> str:
    return _OPENAI.get(name, name)


def anthropic_field(name: str) -> str:
    return _ANTHROPIC.get(name, name)


def notes(warnings: Iterable[Unsupported], *, anthropic: bool = False) -> list[str]:
    """An encoder's `HttpCall.warnings` as lines naming the client's own fields."""
    spell = anthropic_field if anthropic else openai_field
    return [w.render(spell) for w in warnings]
