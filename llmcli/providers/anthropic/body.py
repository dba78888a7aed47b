"""Anthropic Messages API requests: the body, headers and URL of `POST {base}/v1/messages`
(tools, betas and caching in `tools`; answers decoded in `answers`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmcli.errors import UsageError
from llmcli.headers import merged
from llmcli.notes import Refused, Unsupported
from llmcli.providers import profiles
from llmcli.providers._common import (
    merge,
    put,
)
from llmcli.providers.anthropic.answers import (  # the provider interface, answer side
    citation_event,
    decode,
    decode_error,
    decode_stream,
    json_text,
    usage,
)
from llmcli.providers.anthropic.tools import (
    CODE_EXECUTION_BETA,
    CONTEXT_MANAGEMENT_BETA,
    EXTENDED_CACHE_TTL_BETA,
    MCP_CLIENT_BETA,
    SKILLS_BETAS,
    cache_control,
    encode_tools,
    json_output,
    structured_output_form,
)
from llmcli.request import (
    AttachmentPart,
    McpServer,
    Message,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from llmcli.transport import Connection, HttpCall

__all__ = [
    "citation_event",
    "decode",
    "decode_error",
    "decode_stream",
    "encode",
    "json_text",
    "usage",
]

NAME = "anthropic"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = profiles.ANTHROPIC_MAX_TOKENS
# LiteLLM's DEFAULT_REASONING_EFFORT_{LOW,MEDIUM,HIGH}_THINKING_BUDGET.
EFFORT_BUDGET = {"low": 1024, "medium": 2048, "high": 4096}
DEFAULT_THINKING_BUDGET = EFFORT_BUDGET["medium"]


def messages_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/v1/messages") else base + "/v1/messages"


# ---- encoding ------------------------------------------------------------------------


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[Unsupported] = []
    _refuse_unsupported(req)
    facts = profiles.anthropic(req.model)
    body: dict[str, Any] = {
        "model": req.model,
        "messages": encode_messages(with_prefill(req, warnings), cite=req.cite),
        "max_tokens": req.max_tokens or facts.default_max_tokens,
        "stream": req.stream,
    }
    put(body, "system", encode_system(req, warnings))
    put(body, "stop_sequences", req.stop)
    if req.user:
        body["metadata"] = {"user_id": req.user}
    _thinking(body, req, facts)
    _sampling(body, req, warnings)
    if req.prefill and "thinking" in body:
        # "You cannot pre-fill responses when thinking is enabled." (extended thinking docs,
        # Feature compatibility)
        raise _refused(
            "prefill", "anthropic cannot prefill the answer with thinking on: drop {prefill}"
        )
    betas = json_output(body, req)
    betas += encode_tools(body, req, warnings)
    put(body, "mcp_servers", [mcp_server(s) for s in req.mcp_servers])
    betas += feature_betas(req)
    merge(body, req.options)
    return HttpCall(
        method="POST",
        url=messages_url(conn.base_url) if conn.append_path else conn.base_url,
        headers=encode_headers(conn, [*req.betas, *betas]),
        json=body,
        framing="sse" if req.stream else "json",
        warnings=warnings,
    )


def _refused(field: str, message: str) -> Refused:
    return Refused(field, NAME, message)


def _refuse_unsupported(req: Request) -> None:
    if req.suffix is not None or req.text_completion:
        field = "suffix" if req.suffix is not None else "text_completion"
        message = "anthropic has no fill-in-the-middle endpoint: drop {suffix}/{text_completion}"
        raise _refused(field, message)
    fmt = req.response_format
    if fmt is None:
        return
    # Structured outputs docs, Feature compatibility: JSON outputs are incompatible with
    # citations (400) and with message prefilling.
    if req.prefill is not None:
        raise _refused("prefill", "anthropic cannot prefill a JSON answer: drop {prefill}")
    if req.cite and fmt.type == "json_schema" and structured_output_form(req.model) != "tool":
        raise _refused("cite", "anthropic cannot cite documents in a JSON answer: drop {cite}")


def client_betas(headers: Mapping[str, str]) -> list[str] | None:
    """The betas a client of a gateway asked for in its own `anthropic-beta` header."""
    names = [b.strip() for b in headers.get("anthropic-beta", "").split(",")]
    return [b for b in names if b] or None


def encode_headers(conn: Connection, betas: list[str]) -> dict[str, str]:
    """Fixed headers, then `-H` headers; every beta (--beta, features, `-H anthropic-beta`)
    joined into one `anthropic-beta` header, duplicates dropped, first order kept."""
    headers = {"anthropic-version": API_VERSION, "content-type": "application/json"}
    given: list[str] = []
    for name, value in conn.headers.items():
        if name.lower() == "anthropic-beta":
            given.append(value)
        else:  # replaces ours of the same name, in any case
            headers = merged(headers, {name: value})
    names = [b.strip() for value in (*betas, *given) for b in value.split(",")]
    unique = list(dict.fromkeys(b for b in names if b))
    if unique:
        headers["anthropic-beta"] = ",".join(unique)
    return headers


def encode_system(req: Request, warnings: list[Unsupported]) -> str | list[dict[str, Any]] | None:
    """`--cache-system` turns the system string into one text block with a cache breakpoint."""
    if not req.cache_system or req.system is None:
        if req.cache_system:
            message = "{cache_system}: there is no system prompt ({system}) to cache"
            warnings.append(Unsupported("cache_system", NAME, message))
        return req.system
    return [{"type": "text", "text": req.system, "cache_control": cache_control(req)}]


def with_prefill(req: Request, warnings: list[Unsupported]) -> list[Message]:
    """`--prefill` → a final assistant message the answer continues (the engine prints it)."""
    if req.prefill is None:
        return req.messages
    text = req.prefill.rstrip()
    if text != req.prefill:
        # The API answers 400 "final assistant content cannot end with trailing whitespace".
        message = "anthropic takes no trailing whitespace in {prefill}: it was not sent"
        warnings.append(Unsupported("prefill", NAME, message))
    if not text:
        return req.messages
    return [*req.messages, Message(role="assistant", parts=[TextPart(text=text)])]


def mcp_server(server: McpServer) -> dict[str, Any]:
    """MCP connector server (https://docs.claude.com/en/docs/agents-and-tools/mcp-connector)."""
    wire: dict[str, Any] = {"type": "url", "url": server.url, "name": server.name}
    put(wire, "authorization_token", server.token)
    return wire


def feature_betas(req: Request) -> list[str]:
    """Betas for request features other than tools and structured output."""
    betas: list[str] = []
    if req.cache_ttl == "1h" and (req.cache_system or req.cache_tools):
        betas.append(EXTENDED_CACHE_TTL_BETA)
    if req.mcp_servers:
        betas.append(MCP_CLIENT_BETA)
    if "context_management" in req.options:
        betas.append(CONTEXT_MANAGEMENT_BETA)
    container = req.options.get("container")
    if container is not None:
        betas.append(CODE_EXECUTION_BETA)
        if isinstance(container, dict) and container.get("skills"):
            betas += SKILLS_BETAS
    return betas


def _thinking(body: dict[str, Any], req: Request, facts: profiles.ModelProfile) -> None:
    effort = req.reasoning_effort if req.reasoning_effort != "none" else None
    if effort and facts.takes_effort:
        body["output_config"] = {"effort": effort}
        effort = None
    if not (req.thinking or effort):
        return
    budget = req.thinking_budget or EFFORT_BUDGET.get(effort or "", DEFAULT_THINKING_BUDGET)
    if budget >= body["max_tokens"]:
        if req.max_tokens:
            raise _refused(
                "max_tokens",
                f"{{max_tokens}} ({req.max_tokens}) must exceed the thinking budget ({budget})",
            )
        body["max_tokens"] = budget + DEFAULT_MAX_TOKENS
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}


def _sampling(body: dict[str, Any], req: Request, warnings: list[Unsupported]) -> None:
    thinking = "thinking" in body
    for key, value in (("temperature", req.temperature), ("top_k", req.top_k)):
        if value is None:
            continue
        if thinking:
            message = f"anthropic takes no {key} with thinking: {{{key}}} was not sent"
            warnings.append(Unsupported(key, NAME, message))
        else:
            body[key] = value
    put(body, "top_p", req.top_p)


# ---- messages ----------------------------------------------------------------------------


def encode_messages(messages: list[Message], *, cite: bool = False) -> list[dict[str, Any]]:
    """Neutral messages → alternating user/assistant messages of content blocks."""
    out: list[dict[str, Any]] = []
    for message in messages:
        blocks = [_block(part, cite) for part in message.parts]
        if out and out[-1]["role"] == message.role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": message.role, "content": blocks})
    for wire in out:
        content = wire["content"]
        # tool_result blocks must come first in a user message: sort after merging, since
        # a merged message can bring results in behind an earlier message's text.
        content.sort(key=lambda b: b["type"] != "tool_result")
        if len(content) == 1 and content[0]["type"] == "text" and wire["role"] == "user":
            wire["content"] = content[0]["text"]
    return out


def _block(part: Any, cite: bool = False) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, AttachmentPart):
        return attachment_block(part, cite)
    if isinstance(part, ReasoningPart):
        if part.redacted is not None:
            return {"type": "redacted_thinking", "data": part.redacted}
        return {"type": "thinking", "thinking": part.text, "signature": part.signature or ""}
    if isinstance(part, ToolCallPart):
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": part.arguments}
    if isinstance(part, ToolResultPart):
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": part.tool_call_id,
            "content": part.content,
        }
        if part.is_error:
            block["is_error"] = True
        return block
    raise TypeError(f"unknown part {part!r}")


def attachment_block(part: AttachmentPart, cite: bool = False) -> dict[str, Any]:
    """Image → `image` block; PDF and text → `document` block (cited and titled with --cite).

    Vision: https://platform.claude.com/docs/en/build-with-claude/vision
    PDF: https://platform.claude.com/docs/en/build-with-claude/pdf-support
    Citations: https://platform.claude.com/docs/en/build-with-claude/citations
    """
    if part.kind == "image":
        return {"type": "image", "source": _source(part)}
    block: dict[str, Any] = {"type": "document", "source": _document_source(part)}
    if cite:
        put(block, "title", part.name)
        block["citations"] = {"enabled": True}
    return block


def _source(part: AttachmentPart) -> dict[str, Any]:
    if part.url is not None:
        return {"type": "url", "url": part.url}
    return {"type": "base64", "media_type": part.mime, "data": part.data or ""}


def _document_source(part: AttachmentPart) -> dict[str, Any]:
    if part.kind != "text":
        return _source(part)
    if part.url is not None:
        raise UsageError(
            f"anthropic takes text documents inline, not by URL: download {part.url} and "
            "attach the file"
        )
    return {"type": "text", "media_type": "text/plain", "data": part.text()}
