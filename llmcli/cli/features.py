"""Structured output, tools, attachments, caching and Anthropic extras: flags → request
fields and prompt parts (files are read here, once)."""

from __future__ import annotations

from typing import Any

from llmcli.cli.spec import Flags
from llmcli.errors import UsageError
from llmcli.policy import Policy
from llmcli.request import (
    AttachmentPart,
    McpServer,
    Message,
    Part,
    Request,
    ResponseFormat,
    TextPart,
    Tool,
)


def download_attachments(req: Request, policy: Policy) -> None:
    """Fetch URL attachments for providers that take only inline data (Ollama)."""
    from llmcli.inputs import download_attachment

    for message in req.messages:
        message.parts = [
            download_attachment(p, policy.timeout)
            if isinstance(p, AttachmentPart) and p.data is None
            else p
            for p in message.parts
        ]


def feature_fields(flags: Flags) -> dict[str, Any]:
    """The `Request` fields that flags do not give unchanged: structured output, tools
    and MCP servers, loaded from their files (the rest pass by name: `Flags.request_fields`)."""

    if flags.json_schema and flags.json_mode:
        raise UsageError("--json-schema and --json-mode exclude each other: pick one")
    response_format = None
    if flags.json_schema:
        from llmcli.inputs import load_schema

        response_format = load_schema(flags.json_schema)
    elif flags.json_mode:
        response_format = ResponseFormat(type="json_object")
    tools: list[Tool] = []
    if flags.tools:
        from llmcli.inputs import load_tools

        tools = load_tools(flags.tools)
    if flags.tool_choice not in (None, "auto", "none", "required") and flags.tool_choice not in {
        t.name for t in tools
    }:
        raise UsageError(f"--tool-choice {flags.tool_choice}: no such tool in --tools")
    if flags.cache_ttl not in (None, "5m", "1h"):
        raise UsageError(f"invalid --cache-ttl {flags.cache_ttl}: use 5m or 1h")
    servers = [
        McpServer(
            url=url, name=f"mcp{i + 1}" if len(flags.mcp) > 1 else "mcp", token=flags.mcp_token
        )
        for i, url in enumerate(flags.mcp)
    ]
    return {
        "response_format": response_format,
        "tools": tools,
        "parallel_tool_calls": flags.parallel_tools,
        "mcp_servers": servers,
        "betas": flags.beta,
    }


def use_schema(flags: Flags, schema: str | None) -> None:
    """The REPL's /schema: answers must match SCHEMA from now on (None: no schema)."""
    if schema is not None:
        from llmcli.inputs import load_schema

        load_schema(schema)  # check it now rather than at the next prompt
        flags.json_mode = False
    flags.json_schema = schema


def prompt_message(text: str, flags: Flags) -> Message:
    """The user's prompt with its attachments (files first, then the text)."""
    parts: list[Part] = []
    if flags.attach:
        # Imported only for attachments: most prompts are text alone.
        from llmcli.inputs import load_attachment

        parts = [load_attachment(spec, flags.attach_type) for spec in flags.attach]
    parts.append(TextPart(text=text))
    return Message(role="user", parts=parts)
