"""OpenAI Chat Completions (and any OpenAI-compatible server reached with --api-base)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from llmcli.errors import ProviderError
from llmcli.events import Event
from llmcli.framing import Frame
from llmcli.providers import openai_compat as compat
from llmcli.request import Request
from llmcli.transport import Connection, HttpCall

NAME = "openai"

# Reasoning models reject `max_tokens` and want `max_completion_tokens`.
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[str] = compat.cache_warnings(req, "OpenAI")
    compat.refuse_anthropic_only(req)
    if compat.uses_legacy_completions(req):
        return compat.http_call(req, conn, compat.completion_body(req), warnings)
    body = compat.chat_body(req)
    if _REASONING_MODEL.match(req.model) and "max_tokens" in body:
        body["max_completion_tokens"] = body.pop("max_tokens")
    if req.reasoning_effort:
        body["reasoning_effort"] = req.reasoning_effort
    if req.thinking_budget:
        warnings.append("OpenAI takes no thinking budget: use --reasoning-effort instead")
    if req.top_k is not None:
        warnings.append("OpenAI has no top_k: --top-k was not sent")
    return compat.http_call(req, conn, body, warnings)


def decode(body: bytes) -> Iterator[Event]:
    return compat.decode(body)


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    return compat.decode_stream(frames)


def decode_error(status: int, body: bytes) -> ProviderError:
    return compat.decode_error(NAME, status, body)
