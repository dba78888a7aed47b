"""Anthropic Messages request bodies → llmcli Request
(https://platform.claude.com/docs/en/api/messages; research/gateway.md §2).

Each field lands where the CLI's flag of the same meaning puts it: `system` with a
`cache_control` is --cache-system, a `cache_control` on a tool is --cache-tools,
`thinking.budget_tokens` is --thinking-budget, a final assistant text is --prefill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmcli.gateway.anthropic_blocks import read_messages
from llmcli.gateway.errors import bad_request
from llmcli.gateway.openai_in import build_request
from llmcli.gateway.read import number, obj, opt, positive_int, shape, text_list, typed
from llmcli.request import McpServer, Message, Request, ResponseFormat, TextPart, Tool


@dataclass
class MessagesCall:
    request: Request
    stream: bool
    model_name: str
    warnings: list[str] = field(default_factory=list)


_READ = {
    "model",
    "messages",
    "system",
    "max_tokens",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "metadata",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "output_format",
    "mcp_servers",
}
_EFFORTS = ("low", "medium", "high")


def messages_call(
    body: Any, *, provider: str, model: str, model_name: str, betas: list[str] | None = None
) -> MessagesCall:
    """`betas`: the client's `anthropic-beta` header, split (sent on to Anthropic)."""
    body = obj(body)
    if body.get("max_tokens") is None:  # as Anthropic answers: the field is required
        raise bad_request("max_tokens: Field required", "max_tokens")
    if "messages" not in body:
        raise bad_request("messages: Field required", "messages")
    warnings: list[str] = []
    family = shape(provider)
    messages, cite, more_system = read_messages(body["messages"], warnings)
    system, cache_system, ttl = _system(body.get("system"))
    if more_system:
        system = "\n\n".join([*([system] if system else []), *more_system])
    tools, cache_tools, tool_ttl, web = _tools(body.get("tools"))
    choice, parallel = _tool_choice(body.get("tool_choice"), tools)
    options = _passed_through(body, family, warnings)
    thinking, budget = _thinking(body.get("thinking"), family, options)
    effort, fmt = _output_config(body, family, options, warnings)
    metadata = opt(body, "metadata", dict) or {}
    prefill = _prefill(messages)
    fields: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "messages": messages,
        "system": system,
        "cache_system": cache_system,
        "cache_tools": cache_tools,
        "cache_ttl": ttl or tool_ttl,
        "cite": _cite(cite, family, warnings),
        "prefill": prefill,
        "stream": bool(opt(body, "stream", bool)),
        "max_tokens": positive_int(body, "max_tokens"),
        "temperature": number(body, "temperature", 0, 1),
        "top_p": number(body, "top_p", 0, 1),
        "top_k": positive_int(body, "top_k"),
        "stop": text_list(body.get("stop_sequences"), "stop_sequences"),
        "user": opt(metadata, "user_id", str, "metadata.user_id"),
        "thinking": thinking,
        "thinking_budget": budget,
        "reasoning_effort": effort,
        "response_format": fmt,
        "tools": tools,
        "tool_choice": choice,
        "parallel_tool_calls": parallel,
        "web_search": web[0],
        "web_search_max_uses": web[1],
        "mcp_servers": _mcp_servers(body.get("mcp_servers")),
        "betas": _betas(betas or [], family, warnings),
        "options": options,
    }
    return MessagesCall(build_request(fields), fields["stream"], model_name, warnings)


def _betas(betas: list[str], family: str, warnings: list[str]) -> list[str]:
    """`anthropic-beta` names Anthropic features: another provider has none of them (and
    its encoder refuses the field), so they are dropped there with a warning."""
    if betas and family != "anthropic":
        warnings.append(
            f"anthropic-beta {','.join(betas)} was dropped: the model is not Anthropic's"
        )
        return []
    return betas


def _cite(cite: bool, family: str, warnings: list[str]) -> bool:
    if cite and family != "anthropic":
        warnings.append("citations were dropped: only Anthropic models cite documents")
        return False
    return cite


def _prefill(messages: list[Message]) -> str | None:
    """A final assistant turn of text alone continues the answer (Anthropic's prefill):
    it becomes the Request's `prefill`, as `--prefill` does."""
    last = messages[-1] if messages else None
    if last is None or last.role != "assistant":
        return None
    if not last.parts or not all(isinstance(p, TextPart) for p in last.parts):
        return None
    messages.pop()
    return last.text


def _system(value: Any) -> tuple[str | None, bool, str | None]:
    """A string, or text blocks: joined; any `cache_control` on them caches the system
    prompt (llmcli places one breakpoint on it, as --cache-system does)."""
    if value is None or isinstance(value, str):
        return value, False, None
    texts: list[str] = []
    cache, ttl = False, None
    for i, block in enumerate(typed(value, list, "system")):
        block = obj(block, f"system[{i}]")
        if block.get("type") != "text":
            raise bad_request(f"system[{i}].type must be text", f"system[{i}].type")
        texts.append(typed(block.get("text"), str, f"system[{i}].text"))
        control = block.get("cache_control")
        if control is not None:
            cache, ttl = True, _ttl(control, f"system[{i}].cache_control") or ttl
    return "\n\n".join(texts), cache, ttl


def _ttl(control: Any, param: str) -> str | None:
    ttl = obj(control, param).get("ttl")
    if ttl is None:
        return None
    if ttl not in ("5m", "1h"):
        raise bad_request(f"{param}.ttl must be 5m or 1h", f"{param}.ttl")
    return str(ttl)


def _tools(value: Any) -> tuple[list[Tool], bool, str | None, tuple[bool, int | None]]:
    """Client tools, hosted tools (passed as given), the web search tool (→ web_search);
    (tools, a cache breakpoint asked, its ttl, (web search asked, its max_uses))."""
    tools: list[Tool] = []
    cache, ttl = False, None
    web: tuple[bool, int | None] = (False, None)
    for i, item in enumerate(typed(value or [], list, "tools")):
        param = f"tools[{i}]"
        item = obj(item, param)
        kind = item.get("type")
        if item.get("cache_control") is not None:
            cache, ttl = True, _ttl(item["cache_control"], f"{param}.cache_control") or ttl
        if isinstance(kind, str) and kind.startswith("web_search_"):
            web = (True, opt(item, "max_uses", int, f"{param}.max_uses"))
            continue
        name = typed(item.get("name"), str, f"{param}.name")
        if kind not in (None, "custom"):
            hosted = {k: v for k, v in item.items() if k != "cache_control"}
            tools.append(Tool(name=name, hosted=hosted))
            continue
        schema = opt(item, "input_schema", dict, f"{param}.input_schema")
        if schema is None:
            raise bad_request(f"{param}.input_schema: Field required", f"{param}.input_schema")
        tools.append(
            Tool(
                name=name,
                description=opt(item, "description", str, f"{param}.description"),
                parameters=schema,
                strict=opt(item, "strict", bool, f"{param}.strict"),
            )
        )
    return tools, cache, ttl, web


def _tool_choice(value: Any, tools: list[Tool]) -> tuple[str | None, bool]:
    if value is None:
        return None, True
    choice = obj(value, "tool_choice")
    parallel = (
        opt(choice, "disable_parallel_tool_use", bool, "tool_choice.disable_parallel_tool_use")
        is not True
    )
    kind = choice.get("type")
    if kind in ("auto", "none"):
        return kind, parallel
    if kind == "any":
        return "required", parallel
    if kind == "tool":
        name = typed(choice.get("name"), str, "tool_choice.name")
        if name not in {t.name for t in tools}:
            raise bad_request(
                f"tool_choice names {name}, which is not in tools", "tool_choice.name"
            )
        return name, parallel
    raise bad_request("tool_choice.type must be auto, any, tool or none", "tool_choice.type")


def _thinking(value: Any, family: str, options: dict[str, Any]) -> tuple[bool, int | None]:
    """`{type: enabled, budget_tokens}` → thinking with that budget; `adaptive` goes to
    Anthropic as it is (the model picks its budget) and is plain thinking elsewhere."""
    if value is None:
        return False, None
    thinking = obj(value, "thinking")
    kind = thinking.get("type")
    if kind == "disabled":
        return False, None
    if kind == "adaptive":
        if family == "anthropic":
            options["thinking"] = {"type": "adaptive"}
            return False, None
        return True, None
    if kind != "enabled":
        raise bad_request("thinking.type must be enabled, adaptive or disabled", "thinking.type")
    budget = opt(thinking, "budget_tokens", int, "thinking.budget_tokens")
    if budget is None or budget < 1024:  # the documented minimum
        raise bad_request("thinking.budget_tokens: must be at least 1024", "thinking.budget_tokens")
    return True, budget


def _output_config(
    body: dict[str, Any], family: str, options: dict[str, Any], warnings: list[str]
) -> tuple[str | None, ResponseFormat | None]:
    """`output_config.{effort, format}` (GA) and the beta top-level `output_format`.
    Efforts beyond high (xhigh, max: model-dependent) go to Anthropic as given and
    are `high` elsewhere."""
    config = opt(body, "output_config", dict) or {}
    effort = opt(config, "effort", str, "output_config.effort")
    if effort is not None and effort not in _EFFORTS:
        if family == "anthropic":
            options["output_config"] = {"effort": effort}
        else:
            warnings.append(f"output_config.effort {effort} was sent as high")
        effort = None if family == "anthropic" else "high"
    fmt_value = config.get("format") or body.get("output_format")
    fmt = None
    if fmt_value is not None:
        param = "output_config.format" if config.get("format") else "output_format"
        spec = obj(fmt_value, param)
        if spec.get("type") != "json_schema":
            raise bad_request(f"{param}.type must be json_schema", f"{param}.type")
        schema = typed(spec.get("schema"), dict, f"{param}.schema")
        fmt = ResponseFormat(type="json_schema", json_schema=schema)
    return effort, fmt


def _mcp_servers(value: Any) -> list[McpServer]:
    servers = []
    for i, item in enumerate(typed(value or [], list, "mcp_servers")):
        item = obj(item, f"mcp_servers[{i}]")
        servers.append(
            McpServer(
                url=typed(item.get("url"), str, f"mcp_servers[{i}].url"),
                name=typed(item.get("name"), str, f"mcp_servers[{i}].name"),
                token=opt(
                    item, "authorization_token", str, f"mcp_servers[{i}].authorization_token"
                ),
            )
        )
    return servers


def _passed_through(body: dict[str, Any], family: str, warnings: list[str]) -> dict[str, Any]:
    """Anthropic's other fields (container, context_management, service_tier, a top-level
    cache_control...) go to Anthropic-shaped providers as given; others have no such
    field, so they are dropped with a warning."""
    rest = {k: v for k, v in body.items() if k not in _READ and v is not None}
    if family == "anthropic":
        return rest
    warnings.extend(f"{key} was dropped: the provider has no such field" for key in rest)
    return {}
