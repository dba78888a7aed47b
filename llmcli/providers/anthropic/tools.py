"""Anthropic request features: beta headers, structured output per model, tools and tool
choice (function, hosted and the forced JSON tool), and cache_control."""

from __future__ import annotations

import json
from typing import Any

from llmcli.notes import Refused, Unsupported
from llmcli.providers import profiles
from llmcli.providers._common import put
from llmcli.providers.profiles import StructuredOutput
from llmcli.request import JSON_TOOL, Request, ResponseFormat, Tool

# ---- anthropic-beta values -------------------------------------------------------------
# Beta names as Anthropic's SDKs list them (AnthropicBeta enum, e.g.
# https://www.rubydoc.info/gems/anthropic/Anthropic/AnthropicBeta) and as
# vercel/ai packages/anthropic/src/anthropic-prepare-tools.ts and
# anthropic-messages-language-model.ts add them.
STRUCTURED_OUTPUTS_BETA = "structured-outputs-2025-11-13"  # beta `output_format`
EXTENDED_CACHE_TTL_BETA = "extended-cache-ttl-2025-04-11"  # cache_control ttl "1h"
MCP_CLIENT_BETA = (
    "mcp-client-2025-04-04"  # https://docs.claude.com/en/docs/agents-and-tools/mcp-connector
)
CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27"  # context editing, memory tool
CODE_EXECUTION_BETA = "code-execution-2025-08-25"
# `container` with skills: vercel/ai adds these two besides the code execution beta.
SKILLS_BETAS = ("skills-2025-10-02", "files-api-2025-04-14")
# Hosted tool `type` → the beta it needs (vercel/ai anthropic-prepare-tools.ts). Types not
# listed (text_editor_20250728, web_search_20250305, code_execution_20260120,
# tool_search_*) are generally available: no header.
HOSTED_TOOL_BETAS = {
    "computer_20241022": "computer-use-2024-10-22",
    "text_editor_20241022": "computer-use-2024-10-22",
    "bash_20241022": "computer-use-2024-10-22",
    "computer_20250124": "computer-use-2025-01-24",
    "text_editor_20250124": "computer-use-2025-01-24",
    "text_editor_20250429": "computer-use-2025-01-24",
    "bash_20250124": "computer-use-2025-01-24",
    "computer_20251124": "computer-use-2025-11-24",
    "memory_20250818": CONTEXT_MANAGEMENT_BETA,
    "code_execution_20250522": "code-execution-2025-05-22",
    "code_execution_20250825": CODE_EXECUTION_BETA,
    "web_fetch_20250910": "web-fetch-2025-09-10",
}
WEB_SEARCH_TYPE = "web_search_20250305"
NAME = "anthropic"
# `--json-mode`: any JSON object (Anthropic has no schema-less JSON mode).
OPEN_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}

OutputForm = StructuredOutput


def structured_output_form(model: str) -> OutputForm:
    """How `response_format` with a schema is sent to MODEL (see `profiles.anthropic`):
    `output_config` (GA), `output_format` (the beta) or `tool` (a forced JSON tool)."""
    return profiles.anthropic(model).structured_output


def cache_control(req: Request) -> dict[str, Any]:
    control: dict[str, Any] = {"type": "ephemeral"}
    put(control, "ttl", req.cache_ttl)
    return control


# ---- structured output and tools ---------------------------------------------------------


def uses_json_tool(req: Request) -> bool:
    fmt = req.response_format
    if fmt is None:
        return False
    return fmt.type == "json_object" or structured_output_form(req.model) == "tool"


def json_output(body: dict[str, Any], req: Request) -> list[str]:
    """Native structured output in the model's form (see structured_output_form)."""
    fmt = req.response_format
    if fmt is None or uses_json_tool(req):
        return []
    wire = {"type": "json_schema", "schema": fmt.json_schema or {}}
    if structured_output_form(req.model) == "output_format":
        body["output_format"] = wire
        return [STRUCTURED_OUTPUTS_BETA]
    body.setdefault("output_config", {})["format"] = wire
    return []


def json_tool(fmt: ResponseFormat) -> dict[str, Any]:
    """The forced tool whose input is the JSON answer (decoders turn it into text)."""
    if fmt.type == "json_object":
        return {
            "name": JSON_TOOL,
            "description": "Respond with the answer as a JSON object.",
            "input_schema": OPEN_OBJECT,
        }
    schema = dict(fmt.json_schema or {})
    kind = schema.setdefault("type", "object")
    if kind != "object":
        # A tool's input_schema must be an object, and the decoder returns the input as is.
        raise Refused(
            "response_format",
            NAME,
            "{json_schema}: this model answers JSON through a tool, which takes only an "
            f'object schema ("type": "object"), not {json.dumps(kind)}',
        )
    return {
        "name": JSON_TOOL,
        "description": "Respond with the answer as a JSON object matching this schema.",
        "input_schema": schema,
    }


def encode_tool(tool: Tool) -> dict[str, Any]:
    """A function tool, or a hosted tool (computer use, text editor...) passed as given."""
    if tool.hosted is not None:
        return dict(tool.hosted)
    wire: dict[str, Any] = {"name": tool.name}
    put(wire, "description", tool.description)
    wire["input_schema"] = tool.parameters
    put(wire, "strict", tool.strict)
    return wire


def tool_list(req: Request) -> tuple[list[dict[str, Any]], list[str]]:
    """Every tool sent (functions and hosted tools in order, web search, the JSON tool) and
    the betas the hosted ones need; `--cache-tools` marks the last one."""
    tools = [encode_tool(t) for t in req.tools]
    betas = [HOSTED_TOOL_BETAS[t["type"]] for t in tools if t.get("type") in HOSTED_TOOL_BETAS]
    if any(t.strict for t in req.tools) and structured_output_form(req.model) == "output_format":
        betas.append(STRUCTURED_OUTPUTS_BETA)  # strict tools came with the same beta
    searching = req.web_search or req.web_search_max_uses is not None
    if searching and not any(str(t.get("type", "")).startswith("web_search_") for t in tools):
        # https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool
        search: dict[str, Any] = {"type": WEB_SEARCH_TYPE, "name": "web_search"}
        put(search, "max_uses", req.web_search_max_uses)
        tools.append(search)
    if req.response_format is not None and uses_json_tool(req):
        tools.append(json_tool(req.response_format))
    if req.cache_tools and tools:
        tools[-1] = {**tools[-1], "cache_control": cache_control(req)}
    return tools, betas


def encode_tools(body: dict[str, Any], req: Request, warnings: list[Unsupported]) -> list[str]:
    tools, betas = tool_list(req)
    warnings += unused_flags(req, bool(tools))
    put(body, "tools", tools)
    choice = tool_choice(req, [str(t.get("name")) for t in tools], "thinking" in body, warnings)
    put(body, "tool_choice", choice)
    return betas


def unused_flags(req: Request, has_tools: bool) -> list[Unsupported]:
    """Notes for settings that have nothing to act on."""
    notes: list[Unsupported] = []
    if req.cache_tools and not has_tools:
        notes.append(_note("cache_tools", "{cache_tools}: there are no tools to cache"))
    if req.cache_ttl and not (req.cache_system or req.cache_tools):
        message = "{cache_ttl} has no effect without {cache_system} or {cache_tools}"
        notes.append(_note("cache_ttl", message))
    if req.cite and all(a.kind == "image" for a in req.attachments()):
        notes.append(_note("cite", "{cite}: there is no PDF or text document to cite"))
    return notes


def _note(field: str, message: str) -> Unsupported:
    return Unsupported(field, NAME, message)


_CHOICES: dict[str, dict[str, Any]] = {
    "auto": {"type": "auto"},
    "required": {"type": "any"},
    "none": {"type": "none"},
}


def tool_choice(
    req: Request, names: list[str], thinking: bool, warnings: list[Unsupported]
) -> dict[str, Any] | None:
    """`--tool-choice`, `--no-parallel-tools` and the forced JSON tool as one tool_choice.

    Thinking allows only auto/none ("Thinking isn't compatible with ... forced tool use",
    extended thinking docs): a forced choice then goes out as auto, with a warning, rather
    than failing with a 400 — the answer is still checked against the schema.
    """
    if not names:
        if req.tool_choice is not None:
            message = f"{{tool_choice}} {req.tool_choice}: there are no tools: not sent"
            warnings.append(_note("tool_choice", message))
        return None
    choice: dict[str, Any] | None = (
        _forced_json_choice(req, len(names) > 1, warnings)
        if uses_json_tool(req)
        else _user_choice(req, names)
    )
    if not req.parallel_tool_calls and (choice or {}).get("type") != "none":
        choice = {**(choice or {"type": "auto"}), "disable_parallel_tool_use": True}
    if thinking and choice and choice["type"] in ("any", "tool"):
        wanted = choice.get("name", "a tool")
        message = (
            "anthropic cannot force tool use with thinking: tool_choice auto was sent "
            f"(the model may answer without calling {wanted})"
        )
        warnings.append(_note("tool_choice", message))
        choice = {k: v for k, v in choice.items() if k != "name"} | {"type": "auto"}
    return choice


def _forced_json_choice(req: Request, others: bool, warnings: list[Unsupported]) -> dict[str, Any]:
    """The JSON tool forced (one call: no parallel use); with other tools (functions, hosted,
    web search) any tool, so the model can still use them on the way to the answer."""
    if req.tool_choice is not None:
        message = f"{{tool_choice}} {req.tool_choice} was replaced by the JSON answer tool"
        warnings.append(_note("tool_choice", message))
    if others:
        return {"type": "any", "disable_parallel_tool_use": True}
    return {"type": "tool", "name": JSON_TOOL, "disable_parallel_tool_use": True}


def _user_choice(req: Request, names: list[str]) -> dict[str, Any] | None:
    if req.tool_choice is None:
        return None
    if req.tool_choice in _CHOICES:
        return dict(_CHOICES[req.tool_choice])
    if req.tool_choice not in names:
        raise Refused(
            "tool_choice",
            NAME,
            f"{{tool_choice}} {req.tool_choice}: no such tool (tools: {', '.join(names)})",
        )
    return {"type": "tool", "name": req.tool_choice}
