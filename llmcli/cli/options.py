"""Request flags shared by `complete` and `chat`, declared once, and their parsing.

Only typer is imported here: `--help` must stay fast.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from llmcli.errors import UsageError

REQUEST = "Request"
OUTPUT = "Output"
CONNECTION = "Connection"


class Effort(str, Enum):
    none = "none"
    low = "low"
    medium = "medium"
    high = "high"


Model = Annotated[
    str | None,
    typer.Option(
        "-m",
        "--model",
        envvar="LLMCLI_MODEL",
        help="PROVIDER/MODEL, e.g. anthropic/claude-sonnet-4-5, openai/gpt-4o-mini, "
        "ollama_chat/llama3.2, openrouter/meta-llama/llama-3.3-70b-instruct.",
        rich_help_panel=REQUEST,
        show_envvar=True,
    ),
]
System = Annotated[
    str | None, typer.Option("-s", "--system", help="System prompt.", rich_help_panel=REQUEST)
]
Stream = Annotated[
    bool,
    typer.Option(
        "--stream/--no-stream",
        help="Stream the answer as it is generated.",
        rich_help_panel=REQUEST,
    ),
]
Thinking = Annotated[
    bool,
    typer.Option(
        "--thinking", help="Turn on extended thinking / reasoning.", rich_help_panel=REQUEST
    ),
]
ThinkingBudget = Annotated[
    int | None,
    typer.Option(
        "--thinking-budget",
        help="Thinking token budget (implies --thinking).",
        rich_help_panel=REQUEST,
    ),
]
ReasoningEffort = Annotated[
    Effort | None,
    typer.Option("--reasoning-effort", help="Reasoning effort.", rich_help_panel=REQUEST),
]
Temperature = Annotated[
    float | None,
    typer.Option("--temperature", help="Sampling temperature (0-2).", rich_help_panel=REQUEST),
]
TopP = Annotated[
    float | None, typer.Option("--top-p", help="Nucleus sampling (0-1).", rich_help_panel=REQUEST)
]
TopK = Annotated[
    int | None, typer.Option("--top-k", help="Top-k sampling.", rich_help_panel=REQUEST)
]
MaxTokens = Annotated[
    int | None,
    typer.Option(
        "--max-tokens",
        help="Most tokens to generate (Anthropic default: 4096).",
        rich_help_panel=REQUEST,
    ),
]
Stop = Annotated[
    list[str] | None,
    typer.Option("--stop", help="Stop sequence (repeatable).", rich_help_panel=REQUEST),
]
User = Annotated[
    str | None,
    typer.Option(
        "--user", help="End-user id (Anthropic metadata.user_id).", rich_help_panel=REQUEST
    ),
]
Option = Annotated[
    list[str] | None,
    typer.Option(
        "-o",
        "--option",
        help="KEY=VALUE merged into the provider's request body (VALUE parsed as JSON when it "
        "parses; dotted keys nest: -o provider.order='[\"openai\"]'). Repeatable.",
        rich_help_panel=REQUEST,
    ),
]
Header = Annotated[
    list[str] | None,
    typer.Option(
        "-H",
        "--header",
        help="Extra HTTP header 'Name: value' (repeatable).",
        rich_help_panel=CONNECTION,
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key", help="API key (overrides the environment).", rich_help_panel=CONNECTION
    ),
]
ApiBase = Annotated[
    str | None,
    typer.Option(
        "--api-base",
        help="Base URL: includes /v1 for OpenAI-compatible servers; the host root for "
        "Anthropic and Ollama.",
        rich_help_panel=CONNECTION,
    ),
]
Retries = Annotated[
    int,
    typer.Option(
        "--retries",
        min=0,
        help="Retries before the answer starts (connection errors, 408/409/429/5xx/529).",
        rich_help_panel=CONNECTION,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0.1,
        help="Seconds to wait to connect and between bytes of the answer.",
        rich_help_panel=CONNECTION,
    ),
]
STRUCTURE = "Structured output and tools"
FILES = "Attachments, caching and Anthropic extras"


def _opt(*names: str, help: str, panel: str = STRUCTURE, **kw: Any) -> Any:
    return typer.Option(*names, help=help, rich_help_panel=panel, **kw)


JsonSchema = Annotated[
    str | None,
    _opt(
        "--json-schema",
        help="Answer as JSON valid for SCHEMA: inline JSON, @path or a .json "
        "file (a bare schema, or {name, schema, strict}). The answer is validated.",
    ),
]
JsonMode = Annotated[bool, _opt("--json-mode", help="Answer with a JSON object (no schema).")]
Tools = Annotated[
    list[str] | None,
    _opt(
        "--tools",
        help="JSON file with a list of OpenAI-format function tools, or "
        '{"tools": [...]} (repeatable).',
        metavar="FILE",
    ),
]
ToolChoice = Annotated[
    str | None, _opt("--tool-choice", help="auto, none, required, or a tool NAME.")
]
ParallelTools = Annotated[
    bool,
    _opt("--parallel-tools/--no-parallel-tools", help="Allow several tool calls in one answer."),
]
ToolExec = Annotated[
    list[str] | None,
    _opt(
        "--tool-exec",
        help="NAME=COMMAND: run tool NAME with COMMAND (arguments JSON on stdin, "
        "stdout is the result). Repeatable.",
        metavar="NAME=COMMAND",
    ),
]
Yes = Annotated[bool, _opt("-y", "--yes", help="Run bound tools without asking.")]
MaxSteps = Annotated[
    int, _opt("--max-steps", min=1, help="Most model answers in one tool-calling run.")
]
Attach = Annotated[
    list[str] | None,
    _opt(
        "-a",
        "--attach",
        panel=FILES,
        metavar="PATH|URL|-",
        help="Attach an image (PNG, JPEG, GIF, WebP), a PDF or a text file (repeatable).",
    ),
]
AttachType = Annotated[
    str | None,
    _opt("--attach-type", panel=FILES, metavar="MIME", help="Force the attachment type."),
]
Cite = Annotated[
    bool, _opt("--cite", panel=FILES, help="Ask for citations from attached documents (Anthropic).")
]
CacheSystem = Annotated[
    bool, _opt("--cache-system", panel=FILES, help="Cache the system prompt (cache_control).")
]
CacheTools = Annotated[bool, _opt("--cache-tools", panel=FILES, help="Cache the tool definitions.")]
CacheTtl = Annotated[str | None, _opt("--cache-ttl", panel=FILES, help="Cache lifetime: 5m or 1h.")]
Prefill = Annotated[
    str | None,
    _opt(
        "--prefill", panel=FILES, help="Start the answer with TEXT (Anthropic assistant prefill)."
    ),
]
WebSearch = Annotated[
    bool, _opt("--web-search", panel=FILES, help="Let the model search the web (Anthropic).")
]
WebSearchMaxUses = Annotated[
    int | None, _opt("--web-search-max-uses", panel=FILES, help="Most web searches per answer.")
]
Mcp = Annotated[
    list[str] | None,
    _opt("--mcp", panel=FILES, metavar="URL", help="Remote MCP server (Anthropic; repeatable)."),
]
McpToken = Annotated[
    str | None, _opt("--mcp-token", panel=FILES, help="Bearer token for the MCP servers.")
]
Beta = Annotated[
    list[str] | None, _opt("--beta", panel=FILES, help="Extra anthropic-beta value (repeatable).")
]

HISTORY = "History"
Continue = Annotated[
    bool,
    typer.Option(
        "-c", "--continue", help="Continue the latest conversation.", rich_help_panel=HISTORY
    ),
]
Cid = Annotated[
    str | None,
    typer.Option("--cid", help="Continue the conversation with this id.", rich_help_panel=HISTORY),
]
Log = Annotated[
    bool,
    typer.Option(
        "--log/--no-log",
        help="Store the exchange in the history database.",
        rich_help_panel=HISTORY,
    ),
]
Db = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="History database (default: in the user data dir, or $LLMCLI_HOME/logs.db).",
        rich_help_panel=HISTORY,
    ),
]
SaveImages = Annotated[
    Path | None,
    typer.Option(
        "--save-images",
        metavar="DIR",
        help="Save images in the answer (image models) to DIR: PROMPT-SLUG-TIME.png.",
        rich_help_panel=OUTPUT,
        file_okay=False,
    ),
]
Json = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON object with the whole answer.", rich_help_panel=OUTPUT
    ),
]
ShowUsage = Annotated[
    bool,
    typer.Option(
        "-u", "--usage", help="Print token usage (and cost) to stderr.", rich_help_panel=OUTPUT
    ),
]
HideReasoning = Annotated[
    bool,
    typer.Option(
        "--hide-reasoning", help="Do not show reasoning on stderr.", rich_help_panel=OUTPUT
    ),
]
Debug = Annotated[
    bool,
    typer.Option(
        "--debug",
        help="Show the request sent (keys redacted) and tracebacks.",
        rich_help_panel=OUTPUT,
    ),
]
LocalThreads = Annotated[
    int | None,
    typer.Option(
        "--local-threads",
        min=1,
        envvar="LLMCLI_LOCAL_THREADS",
        help="CPU threads of the llama.cpp server run for local/ models (default 1).",
        rich_help_panel=CONNECTION,
        show_envvar=True,
    ),
]


def parse_options(items: list[str] | None) -> dict[str, Any]:
    """`-o key=value` pairs → a nested dict (values parsed as JSON when they parse)."""
    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"invalid -o '{item}': use KEY=VALUE, e.g. -o seed=42")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        target = result
        *parents, leaf = key.split(".")
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
