"""MCP tools as the `Tool`s a request offers: named `SERVER__TOOL` within the provider's
limits, with an input schema every provider's encoder takes.

The encoders (providers/*) turn these `Tool`s into each wire format (OpenAI
`function.parameters`, Anthropic `input_schema`, Ollama's function list): nothing
provider-specific is written here but the name limits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from llmcli.request import Tool

SEPARATOR = "__"
# Tool-name limits, all `[a-zA-Z0-9_-]`:
# - OpenAI Chat Completions `tools[].function.name`: "Must be a-z, A-Z, 0-9, or contain
#   underscores and dashes, with a maximum length of 64" (API reference, Create chat
#   completion); DeepSeek documents the same text for its OpenAI-format API; OpenRouter
#   forwards the name to the routed provider, so the strictest (OpenAI's) holds.
# - Anthropic `tools[].name`: `^[a-zA-Z0-9_-]{1,128}$` (the Messages API's own 400
#   message, "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"; it said 64 earlier).
# - Ollama documents no limit: the OpenAI one is used, which any model's template takes.
DEFAULT_LIMIT = 64
NAME_LIMITS = {"anthropic": 128, "azure": 128, "azure_ai": 128}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class McpTool:
    """One tool as its server listed it."""

    server: str
    name: str
    description: str | None
    schema: dict[str, Any]


def name_limit(provider: str) -> int:
    return NAME_LIMITS.get(provider, DEFAULT_LIMIT)


def offered_name(server: str, tool: str, limit: int) -> str:
    """`SERVER__TOOL`; characters a provider refuses become `_`, and a name over the
    limit is cut and ends in a hash of the whole, so two long names stay apart."""
    name = _UNSAFE.sub("_", f"{server}{SEPARATOR}{tool}")
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}_{digest}"


def input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The tool's schema as the `parameters` of a function tool.

    MCP requires `type: object` at the root (schema 2025-11-25); `properties` is filled in
    because OpenAI-compatible servers (llama.cpp, some vLLM builds) reject an object
    schema without it. The tool is not sent with `strict`: OpenAI's strict mode demands
    `additionalProperties: false` and every property required
    (https://platform.openai.com/docs/guides/function-calling, "Strict mode"), which MCP
    schemas rarely meet, and a non-strict function takes any JSON schema.
    """
    adapted = dict(schema)
    adapted.setdefault("type", "object")
    if adapted.get("type") == "object":
        adapted.setdefault("properties", {})
    return adapted


def as_tools(tools: list[McpTool], provider: str) -> tuple[list[Tool], dict[str, McpTool]]:
    """The request's tools for `provider` and, by offered name, the tool each stands for."""
    limit = name_limit(provider)
    offered: list[Tool] = []
    by_name: dict[str, McpTool] = {}
    for tool in tools:
        name = offered_name(tool.server, tool.name, limit)
        if name in by_name:  # `a.b` and `a_b` on one server: keep the first
            continue
        by_name[name] = tool
        offered.append(
            Tool(name=name, description=tool.description, parameters=input_schema(tool.schema))
        )
    return offered, by_name
