"""OpenRouter: the OpenAI shape plus `reasoning`, `usage.include` (cost) and its errors.

Reasoning: https://openrouter.ai/docs/use-cases/reasoning-tokens
Errors: https://openrouter.ai/docs/errors
Prompt caching: https://openrouter.ai/docs/features/prompt-caching (Anthropic and Gemini
models take `cache_control` breakpoints; the others cache automatically)
PDFs: https://openrouter.ai/docs/features/multimodal/pdfs (`file_data` is a data URL or a
public URL)
Server tools: https://openrouter.ai/docs/guides/features/server-tools/advisor (tools
with a `type` of `openrouter:...`)
Assistant prefill: https://openrouter.ai/docs/api-reference/overview ("Assistant Prefill":
a final `role: assistant` message)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from llmcli.errors import ProviderError, UsageError
from llmcli.events import Event
from llmcli.framing import Frame
from llmcli.providers import openai_compat as compat
from llmcli.request import ReasoningPart, Request, Tool
from llmcli.transport import Connection, HttpCall

NAME = "openrouter"


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[str] = []
    compat.refuse_anthropic_only(req, allow=("prefill",))
    if req.prefill is not None and not _anthropic(req):
        raise UsageError("--prefill on OpenRouter works only with anthropic/ models")
    if compat.uses_legacy_completions(req):
        return compat.http_call(req, conn, compat.completion_body(req), warnings)
    body = compat.chat_body(
        req, attach=partial(compat.attachment_part, pdf_urls=True), hosted=_server_tool
    )
    body["usage"] = {"include": True}
    if req.top_k is not None:
        body["top_k"] = req.top_k
    reasoning = _reasoning(req)
    if reasoning:
        body["reasoning"] = reasoning
    _replay_reasoning(body, req)
    _cache(body, req, warnings)
    if req.prefill is not None:
        body["messages"].append({"role": "assistant", "content": req.prefill})
    return compat.http_call(req, conn, body, warnings)


def _anthropic(req: Request) -> bool:
    return req.model.startswith("anthropic/")


def _gemini(req: Request) -> bool:
    return req.model.startswith("google/gemini")


def _server_tool(tool: Tool) -> dict[str, Any]:
    """OpenRouter's own server tools (`type: "openrouter:..."`) pass through as given."""
    hosted = tool.hosted or {}
    if str(hosted.get("type", "")).startswith("openrouter:"):
        return hosted
    return compat.refuse_hosted(tool)


def _cache(body: dict[str, Any], req: Request, warnings: list[str]) -> None:
    """`cache_control` breakpoints for Anthropic (system, last tool) and Gemini (system).

    TTL and tool caching are Anthropic's; Gemini takes a bare `{type: ephemeral}`
    (as pydantic-ai's OpenRouter model sends them). Other models cache automatically.
    """
    if not (req.cache_system or req.cache_tools or req.cache_ttl):
        return
    if not (_anthropic(req) or _gemini(req)):
        warnings.extend(compat.cache_warnings(req, f"OpenRouter ({req.model})"))
        return
    control: dict[str, Any] = {"type": "ephemeral"}
    if req.cache_ttl and _anthropic(req):
        control["ttl"] = req.cache_ttl
    elif req.cache_ttl:
        warnings.append("Gemini takes no cache TTL: --cache-ttl was not sent")
    if req.cache_system:
        _cache_system(body, control, warnings)
    if req.cache_tools:
        functions = [t for t in body.get("tools", []) if t.get("type") == "function"]
        if not _anthropic(req):
            warnings.append(
                "OpenRouter caches tool definitions only for anthropic/ models: "
                "--cache-tools has no effect"
            )
        elif not functions:
            warnings.append("--cache-tools has no effect: no --tools to cache")
        else:
            functions[-1]["cache_control"] = dict(control)
    if req.cache_ttl and not (req.cache_system or req.cache_tools):
        warnings.append("--cache-ttl has no effect without --cache-system or --cache-tools")


def _cache_system(body: dict[str, Any], control: dict[str, Any], warnings: list[str]) -> None:
    """The system message becomes one text part carrying `cache_control`."""
    system = next((m for m in body["messages"] if m["role"] == "system"), None)
    if system is None:
        warnings.append("--cache-system has no effect: there is no system prompt (-s)")
        return
    system["content"] = [
        {"type": "text", "text": system["content"], "cache_control": dict(control)}
    ]


def _reasoning(req: Request) -> dict[str, Any] | None:
    if req.reasoning_effort == "none":
        return {"enabled": False}
    if req.reasoning_effort:
        return {"effort": req.reasoning_effort}
    if req.thinking_budget:
        return {"max_tokens": req.thinking_budget}
    if req.thinking:
        return {"enabled": True}
    return None


def _replay_reasoning(body: dict[str, Any], req: Request) -> None:
    """Echo `reasoning_details` so signed (Anthropic) reasoning survives the next turn."""
    for wire, message in compat.assistant_pairs(body, req):
        details = [
            _detail(p, i) for i, p in enumerate(message.parts) if isinstance(p, ReasoningPart)
        ]
        if details:
            wire["reasoning_details"] = details


def _detail(part: ReasoningPart, index: int) -> dict[str, Any]:
    if part.redacted is not None:
        return {"type": "reasoning.encrypted", "data": part.redacted, "index": index}
    detail: dict[str, Any] = {"type": "reasoning.text", "text": part.text, "index": index}
    if part.signature:
        detail["signature"] = part.signature
    return detail


def decode(body: bytes) -> Iterator[Event]:
    return compat.decode(body)


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    return compat.decode_stream(frames)


def decode_error(status: int, body: bytes) -> ProviderError:
    """Upstream failures come as "Provider returned error" with the real one in metadata.raw."""
    error = compat.decode_error(NAME, status, body)
    try:
        metadata = json.loads(body)["error"].get("metadata") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return error
    upstream = _upstream_message(metadata.get("raw"))
    if upstream:
        source = metadata.get("provider_name") or "upstream"
        return ProviderError(
            NAME,
            f"{error.provider_message} ({source}: {upstream})",
            status=status,
            error_type=error.error_type,
            retryable=error.retryable,
        )
    return error


def _upstream_message(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return raw[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "")[:200] or None
    return raw[:200]
