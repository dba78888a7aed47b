"""Request features in the OpenAI chat shape: attachments, tools, tool choice, JSON output,
replayed reasoning, and the refusals (`Refused`) and notes (`Unsupported`) for what a
provider cannot take. Used by `body` and by each OpenAI-shaped provider module
(and Ollama, whose tools and text attachments look the same)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmcli.errors import UsageError
from llmcli.notes import Refused, Unsupported
from llmcli.providers._common import put
from llmcli.request import AttachmentPart, Message, ReasoningPart, Request, ResponseFormat, Tool

# One attachment → one user content part (or a UsageError naming what the provider refuses).
AttachmentEncoder = Callable[[AttachmentPart], dict[str, Any]]
# A hosted (non-function) tool → its wire form, or a UsageError.
HostedEncoder = Callable[[Tool], dict[str, Any]]


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def attachment_part(part: AttachmentPart, *, pdf_urls: bool = False) -> dict[str, Any]:
    """An attachment as an OpenAI content part.

    Images: `{type: image_url, image_url: {url}}` with a data URL or the remote URL.
    PDFs: `{type: file, file: {filename, file_data: "data:application/pdf;base64,..."}}`
    (https://developers.openai.com/docs/guides/pdf-files, "Base64-encoded files"; corpus
    openai/pdf-file-part). Chat Completions takes PDFs as data or uploaded file ids only,
    so a PDF URL is refused unless `pdf_urls` (OpenRouter takes the URL in `file_data`).
    Text files: a text part holding the file's content under its name.
    """
    kind = part.kind
    if kind == "image":
        return {"type": "image_url", "image_url": {"url": part.url or data_url(part)}}
    if kind == "pdf":
        if part.url and not pdf_urls:
            raise UsageError(
                f"{part.url}: this provider takes PDFs only as file data, not URLs: "
                "download the file and attach it"
            )
        return {
            "type": "file",
            "file": {
                "filename": part.name or "document.pdf",
                "file_data": part.url or data_url(part),
            },
        }
    return text_part(attachment_text(part))


def data_url(part: AttachmentPart) -> str:
    data = part.data or ""
    return data if data.startswith("data:") else f"data:{part.mime};base64,{data}"


def attachment_text(part: AttachmentPart) -> str:
    """A text attachment inlined into the prompt: its name, a blank line, its content."""
    if part.data is None:
        raise UsageError(
            f"{part.url or part.name}: a text attachment must be a local file (or -), not a URL"
        )
    return f"File: {part.name or 'attachment'}\n\n{part.text()}"


def function_tool(tool: Tool) -> dict[str, Any]:
    """`{type: function, function: {name, description, parameters[, strict]}}`."""
    function: dict[str, Any] = {"name": tool.name}
    put(function, "description", tool.description)
    function["parameters"] = tool.parameters
    put(function, "strict", tool.strict)
    return {"type": "function", "function": function}


def refuse_hosted(tool: Tool) -> dict[str, Any]:
    kind = (tool.hosted or {}).get("type", tool.name)
    raise UsageError(
        f"tool {tool.name!r} ({kind}) is an Anthropic hosted tool: Anthropic-only "
        "(use an anthropic/ model, or give a function tool)"
    )


def encode_tool(tool: Tool, hosted: HostedEncoder) -> dict[str, Any]:
    return hosted(tool) if tool.hosted is not None else function_tool(tool)


def tool_choice(choice: str | None) -> Any:
    """auto | none | required as given; a tool name → `{type: function, function: {name}}`."""
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def response_format(fmt: ResponseFormat) -> dict[str, Any]:
    """`{type: json_schema, json_schema: {name, strict, schema}}` or `{type: json_object}`."""
    if fmt.type == "json_object" or fmt.json_schema is None:
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {"name": fmt.name, "strict": fmt.strict, "schema": fmt.json_schema},
    }


# ---- replayed assistant turns ----------------------------------------------------------


def assistant_pairs(body: dict[str, Any], req: Request) -> list[tuple[dict[str, Any], Message]]:
    """Each assistant message on the wire with the neutral message it came from."""
    wire = [m for m in body["messages"] if m["role"] == "assistant"]
    sources = [m for m in req.messages if m.role == "assistant"]
    return list(zip(wire, sources, strict=True))


def reasoning_text(message: Message) -> str:
    return "".join(p.text for p in message.parts if isinstance(p, ReasoningPart))


def has_reasoning(message: Message) -> bool:
    return any(isinstance(p, ReasoningPart) for p in message.parts)


# ---- refusals and notes ------------------------------------------------------------------


# Request fields only Anthropic's Messages API has.
ANTHROPIC_ONLY = ("cite", "prefill", "web_search", "web_search_max_uses", "mcp_servers", "betas")


def refuse_anthropic_only(req: Request, *, allow: tuple[str, ...] = ()) -> None:
    """One line naming the first Anthropic-only setting given (fields in `allow` pass)."""
    for name in ANTHROPIC_ONLY:
        value = getattr(req, name)
        if name not in allow and value not in (None, False, []):
            message = f"{{{name}}} is Anthropic-only: use an anthropic/ model"
            raise Refused(name, req.provider, message)


def refuse_in_legacy(req: Request) -> None:
    """FIM / `--text` bodies have a prompt string: nothing to carry tools, files or formats."""
    given = [
        name
        for name, present in (
            ("tools", bool(req.tools)),
            ("attachments", bool(req.attachments())),
            ("response_format", req.response_format is not None),
        )
        if present
    ]
    if given:
        mode = "suffix" if req.suffix is not None else "text_completion"
        raise Refused(
            given[0],
            req.provider,
            f"{{{given[0]}}} cannot be used with {{{mode}}} (the legacy completions endpoint)",
        )


CACHE_FIELDS = ("cache_system", "cache_tools", "cache_ttl")


def cache_fields(req: Request) -> list[str]:
    """The prompt-cache settings given."""
    given = (req.cache_system, req.cache_tools, req.cache_ttl is not None)
    return [name for name, present in zip(CACHE_FIELDS, given, strict=True) if present]


def cache_warnings(req: Request, who: str) -> list[Unsupported]:
    """For providers that cache prompts by themselves: the cache settings change nothing."""
    fields = cache_fields(req)
    if not fields:
        return []
    named = ", ".join(f"{{{name}}}" for name in fields)
    message = f"{who} caches prompts automatically: {named} has no effect"
    return [Unsupported(fields[0], req.provider, message)]
