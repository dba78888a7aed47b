"""Ollama's native API: `ollama/` → `POST /api/generate`, `ollama_chat/` → `POST /api/chat`.

API reference: https://docs.ollama.com/openapi.yaml (NDJSON streams; `stream`
defaults to true, so it is always sent). Structured output is `format: "json"` or
`format: <JSON schema>` (corpus ollama/chat-format-json, chat-format-schema); images are
raw base64 strings in `images` (on the chat message, or top level on /api/generate);
tools use the OpenAI function shape, with no `tool_choice`.
"""

from __future__ import annotations

from typing import Any

from llmcli import catalog as _catalog
from llmcli import tasks as _tasks
from llmcli.errors import DecodeError, UsageError
from llmcli.events import Usage
from llmcli.headers import merged
from llmcli.notes import Refused, Unsupported
from llmcli.providers._common import int_or_none, load_json, merge, put
from llmcli.providers.openai_chat.features import (
    attachment_text,
    cache_fields,
    refuse_anthropic_only,
    refuse_hosted,
)
from llmcli.request import (
    AttachmentPart,
    EmbedRequest,
    Message,
    Request,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from llmcli.transport import Connection, HttpCall

NAME = "ollama"
DEFAULT_PORT = 11434


def host_url(base: str) -> str:
    """Resolve `OLLAMA_HOST` as Ollama's own client does (envconfig.Host).

    No scheme means `http` and port 11434 (`0.0.0.0:11434`, `myhost`); an explicit
    scheme keeps its own default port (`https://ollama.com` is 443, not 11434).
    """
    base = base.strip().rstrip("/")
    scheme, sep, rest = base.partition("://")
    if not sep:
        scheme, rest = "http", base
    host, slash, path = rest.partition("/")
    if host.count(":") > 1 and not host.startswith("["):
        host = f"[{host}]"  # a bare IPv6 address: its colons are not a port
    name, port = _split_port(host)
    # A listen address (what `ollama serve` binds to) is not a destination.
    name = _LISTEN_ALL.get(name, name) or "127.0.0.1"
    if port is None and not sep:
        port = str(DEFAULT_PORT)
    return f"{scheme}://{name}{':' + port if port is not None else ''}{slash}{path}"


_LISTEN_ALL = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}


def _split_port(host: str) -> tuple[str, str | None]:
    name, colon, port = host.rpartition(":")
    if colon and "]" not in port:
        return name, port
    return host, None


# ---- encoding ------------------------------------------------------------------------


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[Unsupported] = []
    refuse_anthropic_only(req)
    chat = req.provider == "ollama_chat" and req.suffix is None
    if chat:
        body: dict[str, Any] = {
            "model": req.model,
            "messages": _chat_messages(req),
            "stream": req.stream,
        }
        _tools(body, req, warnings)
    else:
        if req.tools:
            raise Refused(
                "tools",
                req.provider,
                "tools need Ollama's chat endpoint: use {model} ollama_chat/MODEL "
                "(without {suffix})",
            )
        body = {"model": req.model, "prompt": _prompt(req), "stream": req.stream}
        put(body, "system", req.system)
        put(body, "suffix", req.suffix)
        put(body, "images", [_image(a) for a in req.attachments() if a.kind == "image"])
    if req.response_format is not None:
        fmt = req.response_format
        body["format"] = (
            fmt.json_schema if fmt.type == "json_schema" and fmt.json_schema is not None else "json"
        )
    warnings += _dropped(req)
    think = _think(req)
    if think is not None:
        body["think"] = think
    options: dict[str, Any] = {}
    put(options, "num_predict", req.max_tokens)
    put(options, "temperature", req.temperature)
    put(options, "top_p", req.top_p)
    put(options, "top_k", req.top_k)
    put(options, "stop", req.stop)
    if options:
        body["options"] = options
    merge(body, req.options)
    headers = _json_headers(conn)
    return HttpCall(
        method="POST",
        url=host_url(conn.base_url) + ("/api/chat" if chat else "/api/generate"),
        headers=headers,
        json=body,
        framing="ndjson" if req.stream else "json",
        warnings=warnings,
    )


def _dropped(req: Request) -> list[Unsupported]:
    """Settings Ollama has no field for."""
    notes: list[Unsupported] = []
    cached = cache_fields(req)
    if cached:
        message = (
            "Ollama has no prompt cache control: {cache_system}, {cache_tools} and "
            "{cache_ttl} have no effect"
        )
        notes.append(Unsupported(cached[0], req.provider, message))
    if req.thinking_budget:
        message = "Ollama takes no thinking budget: {thinking_budget} was not sent"
        notes.append(Unsupported("thinking_budget", req.provider, message))
    if req.user:
        notes.append(
            Unsupported("user", req.provider, "Ollama has no user field: {user} was not sent")
        )
    return notes


def _think(req: Request) -> bool | str | None:
    """Top-level `think` (not inside `options`, where Ollama ignores it)."""
    if req.reasoning_effort == "none":
        return False
    if req.reasoning_effort:
        return req.reasoning_effort
    return True if req.thinking else None


def _tools(body: dict[str, Any], req: Request, warnings: list[Unsupported]) -> None:
    """OpenAI function tools as Ollama takes them; Ollama has no `tool_choice`.

    `none` leaves the tools out; `required` or a tool name cannot be sent (a warning).
    """
    if not req.tools:
        return
    if req.tool_choice == "none":
        return
    body["tools"] = [_tool(t) for t in req.tools]
    if req.tool_choice not in (None, "auto"):
        message = f"Ollama has no tool_choice: {{tool_choice}} {req.tool_choice} was not sent"
        warnings.append(Unsupported("tool_choice", req.provider, message))
    if not req.parallel_tool_calls:
        message = "Ollama has no parallel_tool_calls: {parallel_tool_calls} was not sent"
        warnings.append(Unsupported("parallel_tool_calls", req.provider, message))


def _tool(tool: Tool) -> dict[str, Any]:
    if tool.hosted is not None:
        refuse_hosted(tool)
    function: dict[str, Any] = {"name": tool.name}
    put(function, "description", tool.description)
    function["parameters"] = tool.parameters
    return {"type": "function", "function": function}


def _image(part: AttachmentPart) -> str:
    """Raw base64, without a `data:` prefix; a URL must have been downloaded first."""
    if part.data is None:
        raise UsageError(
            f"{part.url}: Ollama takes images as data only and this one was not downloaded"
        )
    data = part.data
    return data.split(",", 1)[1] if data.startswith("data:") else data


def _check_attachment(part: AttachmentPart) -> None:
    if part.kind == "pdf":
        raise UsageError(
            f"Ollama takes no PDFs: {part.name or part.url} (attach images or text files)"
        )


def _user_content(message: Message) -> str:
    """The prompt with text attachments inlined, in the order given."""
    if not any(isinstance(p, AttachmentPart) for p in message.parts):
        return message.text
    texts: list[str] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, AttachmentPart):
            _check_attachment(part)
            if part.kind == "text":
                texts.append(attachment_text(part))
    return "\n\n".join(texts)


def _prompt(req: Request) -> str:
    """/api/generate's one prompt string: every user message, text files inlined."""
    return "\n\n".join(_user_content(m) for m in req.messages if m.role == "user")


def _chat_messages(req: Request) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if req.system:
        out.append({"role": "system", "content": req.system})
    for message in req.messages:
        out.extend(_message(message))
    return out


def _message(message: Message) -> list[dict[str, Any]]:
    if message.role == "user":
        out: list[dict[str, Any]] = [
            {"role": "tool", "content": p.content, "tool_name": p.name}
            for p in message.parts
            if isinstance(p, ToolResultPart)
        ]
        attachments = [p for p in message.parts if isinstance(p, AttachmentPart)]
        if attachments or any(isinstance(p, TextPart) for p in message.parts):
            user: dict[str, Any] = {"role": "user", "content": _user_content(message)}
            put(user, "images", [_image(a) for a in attachments if a.kind == "image"])
            out.append(user)
        return out
    wire: dict[str, Any] = {"role": "assistant", "content": message.text}
    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    if calls:
        # Ollama wants arguments as an object, not the OpenAI JSON string.
        wire["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.arguments}} for c in calls
        ]
    return [wire]


# ---- embeddings, model list ----------------------------------------------------------


def _json_headers(conn: Connection) -> dict[str, str]:
    # A header given with -H replaces ours of the same name, in any case.
    return merged({"content-type": "application/json"}, conn.headers)


def encode_embed(req: EmbedRequest, conn: Connection) -> HttpCall:
    """`POST /api/embed {model, input: [...], dimensions?}` → `{model, embeddings: [[...]],
    prompt_eval_count}` (https://docs.ollama.com/api/embed; corpus ollama/embed)."""
    body: dict[str, Any] = {"model": req.model, "input": list(req.inputs)}
    put(body, "dimensions", req.dimensions)
    merge(body, req.options)
    return HttpCall(
        method="POST",
        url=host_url(conn.base_url) + "/api/embed",
        headers=_json_headers(conn),
        json=body,
        framing="json",
    )


def decode_embed(body: bytes) -> _tasks.Embeddings:
    data = load_json(body, "embeddings answer")
    vectors = data.get("embeddings") if isinstance(data, dict) else None
    if not isinstance(vectors, list) or not all(isinstance(v, list) for v in vectors):
        raise DecodeError("the embeddings answer has no `embeddings` list")
    return _tasks.Embeddings(
        vectors=[[float(x) for x in vector] for vector in vectors],
        model=data.get("model") if isinstance(data.get("model"), str) else None,
        usage=Usage(input_tokens=int_or_none(data.get("prompt_eval_count"))),
    )


def encode_models(conn: Connection) -> HttpCall:
    """`GET /api/tags`: the models pulled on this server (https://docs.ollama.com/api/tags)."""
    headers = {k: v for k, v in _json_headers(conn).items() if k.lower() != "content-type"}
    return HttpCall(
        method="GET",
        url=host_url(conn.base_url) + "/api/tags",
        headers=headers,
        json=None,
        framing="json",
    )


def decode_models(body: bytes) -> list[_catalog.Model]:
    """`{models: [{name, model, modified_at, size, digest, details: {format, family,
    parameter_size, quantization_level}}]}` → models (the note gives size and
    quantization; capabilities come from the catalog when it knows the model)."""
    data = load_json(body, "model list")
    items = data.get("models") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DecodeError("the model list has no `models` list")
    out: list[_catalog.Model] = []
    for item in items:
        name = item.get("name") or item.get("model") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        details = item.get("details") or {}
        note = " ".join(
            str(details[k])
            for k in ("family", "parameter_size", "quantization_level")
            if details.get(k)
        )
        out.append(_catalog.Model(id=f"{NAME}/{name}", note=note or None))
    return out
