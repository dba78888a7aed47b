"""The flags of `complete` and `chat`, exactly as given on the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from llmcli.request import ReasoningEffort


@dataclass
class Flags:
    """The request and output flags, exactly as given on the command line."""

    model: str | None = None
    system: str | None = None
    stream: bool = True
    thinking: bool = False
    thinking_budget: int | None = None
    reasoning_effort: ReasoningEffort | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    user: str | None = None
    suffix: str | None = None
    text_completion: bool = False
    options: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    api_key: str | None = None
    api_base: str | None = None
    retries: int = 2
    timeout: float = 600.0
    json: bool = False
    usage: bool = False
    hide_reasoning: bool = False
    debug: bool = False
    log: bool = True
    db: Path | None = None
    cid: str | None = None
    continue_latest: bool = False
    # Structured output, tools, attachments, caching, Anthropic extras.
    json_schema: str | None = None
    json_mode: bool = False
    tools: list[str] = field(default_factory=list)
    tool_choice: str | None = None
    parallel_tools: bool = True
    tool_exec: list[str] = field(default_factory=list)
    yes: bool = False
    max_steps: int = 10
    attach: list[str] = field(default_factory=list)
    attach_type: str | None = None
    cite: bool = False
    cache_system: bool = False
    cache_tools: bool = False
    cache_ttl: str | None = None
    prefill: str | None = None
    web_search: bool = False
    web_search_max_uses: int | None = None
    mcp: list[str] = field(default_factory=list)
    mcp_token: str | None = None
    beta: list[str] = field(default_factory=list)
    local_threads: int | None = None
    save_images: Path | None = None

    def __post_init__(self) -> None:
        # Typer hands over None for repeatable options not given, and enums for choices.
        for name in ("stop", "options", "headers", "tools", "tool_exec", "attach", "mcp", "beta"):
            setattr(self, name, list(getattr(self, name) or []))
        if isinstance(self.reasoning_effort, Enum):
            self.reasoning_effort = self.reasoning_effort.value


# pydantic field → the flag the user typed, for one-line validation errors.
FLAG_NAMES = {
    "thinking_budget": "--thinking-budget",
    "temperature": "--temperature",
    "top_p": "--top-p",
    "top_k": "--top-k",
    "max_tokens": "--max-tokens",
    "reasoning_effort": "--reasoning-effort",
    "web_search_max_uses": "--web-search-max-uses",
    # Where the flag is not `--` + the field with dashes (or messages use the short form).
    "model": "-m",
    "system": "-s",
    "response_format": "--json-schema/--json-mode",
    "parallel_tool_calls": "--no-parallel-tools",
    "text_completion": "--text",
    "mcp_servers": "--mcp",
    "betas": "--beta",
    "attachments": "--attach",
    "n": "-n",
    "extra": "--image-config",
}


def flag_for(field: str) -> str:
    """The flag that sets `Request` field `field`, as a user types it (for `Unsupported`
    notes and `Refused` errors, whose messages name fields)."""
    return FLAG_NAMES.get(field) or "--" + field.replace("_", "-")
