"""OpenRouter: the OpenAI shape plus `reasoning`, `usage.include` (cost) and its errors.

Reasoning: https://openrouter.ai/docs/use-cases/reasoning-tokens
Errors: https://openrouter.ai/docs/errors
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from llmcli.errors import ProviderError
from llmcli.events import Event
from llmcli.framing import Frame
from llmcli.providers import openai_compat as compat
from llmcli.request import ReasoningPart, Request
from llmcli.transport import Connection, HttpCall

NAME = "openrouter"


def encode(req: Request, conn: Connection) -> HttpCall:
    if compat.uses_legacy_completions(req):
        return compat.http_call(req, conn, compat.completion_body(req), [])
    body = compat.chat_body(req)
    body["usage"] = {"include": True}
    if req.top_k is not None:
        body["top_k"] = req.top_k
    reasoning = _reasoning(req)
    if reasoning:
        body["reasoning"] = reasoning
    _replay_reasoning(body, req)
    return compat.http_call(req, conn, body, [])


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
