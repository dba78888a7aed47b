"""OpenAI request bodies (chat completions, embeddings, images) → llmcli requests.

The body fields are OpenAI's (openai-openapi `CreateChatCompletionRequest`); each maps
onto the `Request` field the CLI's flag of the same meaning fills, so a call through the
gateway encodes for every provider exactly as the same call made with `llmcli -m`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmcli.gateway.errors import bad_request
from llmcli.gateway.openai_messages import read_messages
from llmcli.gateway.read import number, obj, opt, positive_int, shape, text_list, typed
from llmcli.request import EmbedRequest, ImageRequest, Request, ResponseFormat, Tool
from llmcli.request_rules import InvalidField, check


@dataclass
class ChatCall:
    request: Request
    stream: bool
    include_usage: bool
    model_name: str  # what the client asked for, echoed back
    # Fields the provider cannot take that were dropped (one line each, for the log).
    warnings: list[str] = field(default_factory=list)


# Fields read into the Request (or answered here); every other field is passed through.
_READ = {
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "reasoning_effort",
    "stream",
    "stream_options",
    "user",
    "n",
    "functions",
    "function_call",
}
# OpenAI sampling and service fields the Chat Completions providers take as they are;
# Ollama takes the sampling ones inside `options` (Ollama API docs, "Parameters");
# Anthropic has none of them.
_OPENAI_ONLY = {
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "service_tier",
    "store",
    "metadata",
    "prediction",
    "modalities",
    "audio",
    "verbosity",
    "web_search_options",
    "safety_identifier",
    "prompt_cache_key",
}
_OLLAMA_OPTIONS = {"seed", "frequency_penalty", "presence_penalty"}
# Request.reasoning_effort takes none/low/medium/high; OpenAI also has minimal and xhigh.
_EFFORTS = {
    "none": "none",
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
}


def chat_call(body: Any, *, provider: str, model: str, model_name: str) -> ChatCall:
    """Raises GatewayError(400, param=...) for a body OpenAI itself would refuse."""
    body = obj(body)
    if "messages" not in body:
        raise bad_request("messages is required", "messages")
    n = opt(body, "n", int)
    if n not in (None, 1):
        raise bad_request("only n=1 is supported", "n")
    if body.get("functions") is not None or body.get("function_call") is not None:
        raise bad_request("functions/function_call are deprecated: send tools", "functions")
    warnings: list[str] = []
    system, messages, cache_system = read_messages(body["messages"])
    tools, raw_tools = _tools(body.get("tools"), shape(provider))
    stream = bool(opt(body, "stream", bool))
    stream_options = opt(body, "stream_options", dict) or {}
    fields: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "messages": messages,
        "system": system,
        "cache_system": cache_system and system is not None,
        "stream": stream,
        "temperature": number(body, "temperature", 0, 2),
        "top_p": number(body, "top_p", 0, 1),
        "max_tokens": positive_int(body, "max_completion_tokens")
        or positive_int(body, "max_tokens"),
        "stop": text_list(body.get("stop"), "stop"),
        "user": opt(body, "user", str),
        "reasoning_effort": _effort(body.get("reasoning_effort"), warnings),
        "tools": tools,
        "tool_choice": _tool_choice(body.get("tool_choice"), tools),
        "parallel_tool_calls": opt(body, "parallel_tool_calls", bool) is not False,
        "response_format": _response_format(body.get("response_format")),
        "options": _passed_through(body, provider, warnings),
    }
    if shape(provider) == "anthropic" and body.get("thinking") is not None:
        fields["thinking"], fields["thinking_budget"] = _anthropic_thinking(body["thinking"])
    if raw_tools is not None:  # options are merged last: the client's list replaces ours
        fields["options"]["tools"] = raw_tools
    include_usage = stream and bool(
        opt(stream_options, "include_usage", bool, "stream_options.include_usage")
    )
    return ChatCall(build_request(fields), stream, include_usage, model_name, warnings)


def _anthropic_thinking(value: Any) -> tuple[bool, int | None]:
    """`thinking: {type: enabled, budget_tokens}` in an OpenAI body, as LiteLLM takes it
    for Anthropic models (https://docs.litellm.ai/docs/reasoning_content, Quick Start)."""
    thinking = obj(value, "thinking")
    if thinking.get("type") != "enabled":
        return False, None
    return True, opt(thinking, "budget_tokens", int, "thinking.budget_tokens")


def build_request(fields: dict[str, Any]) -> Request:
    """The Request, or 400 naming the first field its validation refused."""
    try:
        return check(Request(**fields))
    except InvalidField as err:
        raise bad_request(str(err), err.name) from None


def _effort(value: Any, warnings: list[str]) -> str | None:
    if value is None:
        return None
    effort = typed(value, str, "reasoning_effort")
    if effort not in _EFFORTS:
        raise bad_request(
            f"reasoning_effort must be one of {', '.join(_EFFORTS)}", "reasoning_effort"
        )
    if _EFFORTS[effort] != effort:
        warnings.append(f"reasoning_effort {effort} was sent as {_EFFORTS[effort]}")
    return _EFFORTS[effort]


def _tools(value: Any, family: str) -> tuple[list[Tool], list[Any] | None]:
    """Function tools; and when another type is given (OpenRouter's server tools such as
    `openrouter:advisor`, corpus openrouter/stream-tool-calls), the list as the client
    sent it, to pass through whole to an OpenAI-shaped provider (others: 400)."""
    if value is None:
        return [], None
    tools: list[Tool] = []
    items = typed(value, list, "tools")
    other = False
    for i, item in enumerate(items):
        param = f"tools[{i}]"
        item = obj(item, param)
        if item.get("type", "function") != "function":
            if family != "openai":
                raise bad_request(
                    f"{param}.type: only function tools go to this model", f"{param}.type"
                )
            other = True
            continue
        tools.append(_function_tool(item, param))
    return tools, (items if other else None)


def _function_tool(item: dict[str, Any], param: str) -> Tool:
    fn = obj(item.get("function"), f"{param}.function")
    parameters = opt(fn, "parameters", dict, f"{param}.function.parameters")
    return Tool(
        name=typed(fn.get("name"), str, f"{param}.function.name"),
        description=opt(fn, "description", str, f"{param}.function.description"),
        parameters=parameters if parameters is not None else {"type": "object", "properties": {}},
        strict=opt(fn, "strict", bool, f"{param}.function.strict"),
    )


def _tool_choice(value: Any, tools: list[Tool]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in ("auto", "none", "required"):
            raise bad_request(
                "tool_choice must be auto, none, required or a function", "tool_choice"
            )
        return value
    choice = obj(value, "tool_choice")
    fn = obj(choice.get("function"), "tool_choice.function")
    name = typed(fn.get("name"), str, "tool_choice.function.name")
    if name not in {t.name for t in tools}:
        raise bad_request(f"tool_choice names {name}, which is not in tools", "tool_choice")
    return name


def _response_format(value: Any) -> ResponseFormat | None:
    if value is None:
        return None
    fmt = obj(value, "response_format")
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat(type="json_object")
    if kind != "json_schema":
        raise bad_request(
            "response_format.type must be text, json_object or json_schema", "response_format.type"
        )
    spec = obj(fmt.get("json_schema"), "response_format.json_schema")
    schema = opt(spec, "schema", dict, "response_format.json_schema.schema")
    return ResponseFormat(
        type="json_schema",
        name=opt(spec, "name", str, "response_format.json_schema.name") or "response",
        json_schema=schema if schema is not None else {"type": "object"},
        strict=opt(spec, "strict", bool, "response_format.json_schema.strict") is True,
    )


def _passed_through(body: dict[str, Any], provider: str, warnings: list[str]) -> dict[str, Any]:
    """Fields not read above, merged into the provider's body as `-o` options are: a
    client that names a provider's own field (OpenRouter `provider`, DeepSeek `thinking`)
    gets it sent; OpenAI's own fields go only where they mean something."""
    family = shape(provider)
    options: dict[str, Any] = {}
    for key, value in body.items():
        if key in _READ or value is None:
            continue
        if key == "thinking" and family == "anthropic":
            continue  # read into the Request (LiteLLM's spelling): `_anthropic_thinking`
        if key in _OPENAI_ONLY and family != "openai":
            if family == "ollama" and key in _OLLAMA_OPTIONS:
                options.setdefault("options", {})[key] = value
            else:
                warnings.append(f"{key} was dropped: {provider} has no such field")
            continue
        options[key] = value
    return options


# ---- embeddings and images ----------------------------------------------------------


def embed_request(body: Any, *, provider: str, model: str) -> EmbedRequest:
    """`input` is a string or an array of strings (token arrays are refused: the
    providers behind llmcli take text); `encoding_format` is applied on the way out."""
    body = obj(body)
    value = body.get("input")
    if value is None:
        raise bad_request("input is required", "input")
    inputs = [value] if isinstance(value, str) else typed(value, list, "input")
    for i, item in enumerate(inputs):
        if not isinstance(item, str):
            raise bad_request("input must be a string or an array of strings", f"input[{i}]")
    if not inputs:
        raise bad_request("input must not be empty", "input")
    fmt = opt(body, "encoding_format", str)
    if fmt not in (None, "float", "base64"):
        raise bad_request("encoding_format must be float or base64", "encoding_format")
    options = {
        k: v
        for k, v in body.items()
        if k not in ("model", "input", "encoding_format", "dimensions") and v is not None
    }
    return EmbedRequest(
        provider, model, inputs, dimensions=positive_int(body, "dimensions"), options=options
    )


def embed_encoding(body: Any) -> str:
    """The `encoding_format` the answer is written in (float unless base64 was asked)."""
    return (
        "base64" if isinstance(body, dict) and body.get("encoding_format") == "base64" else "float"
    )


_IMAGE_READ = {"model", "prompt", "n", "size", "quality", "response_format"}


def image_request(body: Any, *, provider: str, model: str) -> ImageRequest:
    body = obj(body)
    prompt = body.get("prompt")
    if prompt is None:
        raise bad_request("prompt is required", "prompt")
    typed(prompt, str, "prompt")
    fmt = opt(body, "response_format", str)
    if fmt not in (None, "url", "b64_json"):
        raise bad_request("response_format must be url or b64_json", "response_format")
    size = opt(body, "size", str)
    if size is not None and size != "auto" and not _is_size(size):
        raise bad_request("size must be WIDTHxHEIGHT or auto", "size")
    extra = {k: v for k, v in body.items() if k not in _IMAGE_READ and v is not None}
    return ImageRequest(
        provider,
        model,
        prompt,
        n=positive_int(body, "n") or 1,
        size=None if size == "auto" else size,
        quality=opt(body, "quality", str),
        extra=extra,
    )


def image_format(body: Any) -> str:
    """How images go back: `b64_json` or `url` (OpenAI's default for dall-e models)."""
    fmt = body.get("response_format") if isinstance(body, dict) else None
    return fmt if fmt in ("url", "b64_json") else "b64_json"


def _is_size(size: str) -> bool:
    width, x, height = size.partition("x")
    return bool(x) and width.isdigit() and height.isdigit()
