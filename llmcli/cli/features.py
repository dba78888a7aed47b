"""Structured output, tools, attachments, caching and Anthropic extras: flags → request
fields and prompt parts (files are read here, once)."""

from __future__ import annotations

from typing import Any

from llmcli.cli.spec import Flags
from llmcli.errors import UsageError
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


def check_attachments(req: Request, override: str | None) -> None:
    """Each inline attachment against the provider's size cap (cli/inputs.py)."""
    parts = [p for m in req.messages for p in m.parts if isinstance(p, AttachmentPart)]
    if parts:
        from llmcli.inputs import check_sizes  # only with attachments: most prompts have none

        check_sizes(parts, req.provider, override)


# Characters per token, for an estimate made before sending (no tokenizer is loaded):
# about 4 for English text with the tokenizers of OpenAI and Anthropic.
CHARS_PER_TOKEN = 4
# The context window assumed for a model the catalog does not know.
DEFAULT_WINDOW = 128_000


def check_prompt_size(req: Request, force: bool) -> None:
    """Refuse, before anything is sent, a request whose text cannot fit the model's
    context window (a paid request that can only fail); --force sends it anyway."""
    if force:
        return
    # Every text the request sends besides the model's name, and every text part.
    chars = sum(
        len(value)
        for name, value in vars(req).items()
        if isinstance(value, str) and name not in ("provider", "model")
    )
    for message in req.messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                chars += len(part.text)
            elif isinstance(part, AttachmentPart) and part.mime == "text/plain" and part.data:
                chars += len(part.data) * 3 // 4
    tokens = chars // CHARS_PER_TOKEN
    if tokens <= DEFAULT_WINDOW // 2:  # fits any window we know of: no catalog needed
        return
    from llmcli import catalog

    entry = catalog.lookup(req.provider, req.model)
    window = entry.context_window if entry and entry.context_window else None
    if tokens > (window or DEFAULT_WINDOW):
        whose = (
            f"{req.provider}/{req.model}'s context window of {window:,} tokens"
            if window
            else f"the {DEFAULT_WINDOW:,} tokens assumed for a model the catalog does not know"
        )
        raise UsageError(
            f"the prompt is about {tokens:,} tokens ({chars:,} characters / {CHARS_PER_TOKEN}),"
            f" over {whose}: shorten it, or send it anyway with --force"
        )


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
    named = flags.tool_choice not in (None, "auto", "none", "required")
    # An MCP tool (SERVER__TOOL) is known only once its server has started.
    if named and not flags.mcp_server and flags.tool_choice not in {t.name for t in tools}:
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


def read_cap(flags: Flags) -> int:
    """The most bytes an attachment is read up to: --max-attachment-size, else the largest
    provider cap (the provider's own is checked once it is known: `check_attachments`)."""
    from llmcli.inputs import READ_CAP, parse_size

    return parse_size(flags.max_attachment_size) if flags.max_attachment_size else READ_CAP


def prompt_message(text: str, flags: Flags) -> Message:
    """The user's prompt with its attachments (files first, then the text)."""
    parts: list[Part] = []
    if flags.attach:
        # Imported only for attachments: most prompts are text alone.
        from llmcli.inputs import load_attachment

        parts = [load_attachment(spec, flags.attach_type, read_cap(flags)) for spec in flags.attach]
    parts.append(TextPart(text=text))
    return Message(role="user", parts=parts)
