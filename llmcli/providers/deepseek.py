"""DeepSeek: the OpenAI shape plus `thinking: {type}` and `reasoning_content`.

Thinking mode: https://api-docs.deepseek.com/guides/thinking_mode
FIM (beta): https://api-docs.deepseek.com/guides/fim_completion
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from llmcli.errors import ProviderError
from llmcli.events import Event
from llmcli.framing import Frame
from llmcli.providers import openai_compat as compat
from llmcli.request import Request
from llmcli.transport import Connection, HttpCall

NAME = "deepseek"

# DeepSeek's own host serves FIM only under /beta; a custom --api-base is left as given.
_OFFICIAL_BASES = ("https://api.deepseek.com", "https://api.deepseek.com/v1")
_BETA_BASE = "https://api.deepseek.com/beta"


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[str] = []
    if compat.uses_legacy_completions(req):
        if conn.base_url in _OFFICIAL_BASES:
            conn = replace(conn, base_url=_BETA_BASE)
        return compat.http_call(req, conn, compat.completion_body(req), warnings)
    body = compat.chat_body(req)
    _replay_reasoning(body, req)
    always_reasons = req.model.startswith("deepseek-reasoner")
    if req.wants_reasoning and not always_reasons:
        body["thinking"] = {"type": "enabled"}
    elif req.reasoning_effort == "none" and not always_reasons:
        body["thinking"] = {"type": "disabled"}
    if req.reasoning_effort not in (None, "none"):
        # The level itself (low/medium/high; DeepSeek maps medium to high), not just "on".
        body["reasoning_effort"] = req.reasoning_effort
    if req.thinking_budget:
        warnings.append("DeepSeek takes no thinking budget: --thinking-budget was not sent")
    if req.top_k is not None:
        warnings.append("DeepSeek has no top_k: --top-k was not sent")
    return compat.http_call(req, conn, body, warnings)


def _replay_reasoning(body: dict[str, Any], req: Request) -> None:
    """DeepSeek wants the assistant's `reasoning_content` back within a tool loop."""
    for wire, message in compat.assistant_pairs(body, req):
        reasoning = compat.reasoning_text(message)
        if reasoning:
            wire["reasoning_content"] = reasoning


def decode(body: bytes) -> Iterator[Event]:
    return compat.decode(body)


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    return compat.decode_stream(frames)


def decode_error(status: int, body: bytes) -> ProviderError:
    return compat.decode_error(NAME, status, body)
