"""Anthropic Messages API: `POST {base}/v1/messages`.

Streaming grammar: https://platform.claude.com/docs/build-with-claude/streaming
Errors: https://platform.claude.com/docs/en/api/errors
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from llmcli.errors import ProviderError, UsageError
from llmcli.events import (
    Citation,
    Event,
    Finish,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.framing import Frame
from llmcli.providers._common import (
    fallback_error,
    int_or_none,
    load_json,
    merge,
    parse_arguments,
    put,
)
from llmcli.request import (
    Message,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from llmcli.transport import RETRY_STATUSES, Connection, HttpCall

NAME = "anthropic"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
# LiteLLM's DEFAULT_REASONING_EFFORT_{LOW,MEDIUM,HIGH}_THINKING_BUDGET.
EFFORT_BUDGET = {"low": 1024, "medium": 2048, "high": 4096}
DEFAULT_THINKING_BUDGET = EFFORT_BUDGET["medium"]

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
}
_TOOL_BLOCKS = {"tool_use": False, "server_tool_use": True, "mcp_tool_use": True}


def messages_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/v1/messages") else base + "/v1/messages"


def takes_effort(model: str) -> bool:
    """Claude Opus 4.5 takes `output_config.effort` instead of a thinking budget."""
    return "opus-4-5" in model or "opus-4.5" in model


# ---- encoding ------------------------------------------------------------------------


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[str] = []
    if req.suffix is not None or req.text_completion:
        raise UsageError("anthropic has no fill-in-the-middle endpoint: drop --suffix/--text")
    body: dict[str, Any] = {
        "model": req.model,
        "messages": encode_messages(req.messages),
        "max_tokens": req.max_tokens or DEFAULT_MAX_TOKENS,
        "stream": req.stream,
    }
    put(body, "system", req.system)
    put(body, "stop_sequences", req.stop)
    if req.user:
        body["metadata"] = {"user_id": req.user}
    _thinking(body, req, warnings)
    _sampling(body, req, warnings)
    merge(body, req.options)
    headers = {"anthropic-version": API_VERSION, "content-type": "application/json"}
    if conn.api_key:
        headers["x-api-key"] = conn.api_key
    headers.update(conn.headers)
    return HttpCall(
        method="POST",
        url=messages_url(conn.base_url),
        headers=headers,
        json=body,
        framing="sse" if req.stream else "json",
        warnings=warnings,
    )


def _thinking(body: dict[str, Any], req: Request, warnings: list[str]) -> None:
    effort = req.reasoning_effort if req.reasoning_effort != "none" else None
    if effort and takes_effort(req.model):
        body["output_config"] = {"effort": effort}
        effort = None
    if not (req.thinking or effort):
        return
    budget = req.thinking_budget or EFFORT_BUDGET.get(effort or "", DEFAULT_THINKING_BUDGET)
    if budget >= body["max_tokens"]:
        if req.max_tokens:
            raise UsageError(
                f"--max-tokens ({req.max_tokens}) must exceed the thinking budget ({budget})"
            )
        body["max_tokens"] = budget + DEFAULT_MAX_TOKENS
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}


def _sampling(body: dict[str, Any], req: Request, warnings: list[str]) -> None:
    thinking = "thinking" in body
    for key, value in (("temperature", req.temperature), ("top_k", req.top_k)):
        if value is None:
            continue
        if thinking:
            warnings.append(
                f"anthropic takes no {key} with thinking: --{key.replace('_', '-')} was not sent"
            )
        else:
            body[key] = value
    put(body, "top_p", req.top_p)


def encode_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Neutral messages → alternating user/assistant messages of content blocks."""
    out: list[dict[str, Any]] = []
    for message in messages:
        blocks = [_block(part) for part in message.parts]
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


def _block(part: Any) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
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


# ---- decoding ------------------------------------------------------------------------


def decode(body: bytes) -> Iterator[Event]:
    data = load_json(body)
    if data.get("type") == "error":
        yield _stream_error(data.get("error"))
        return
    for block in data.get("content") or []:
        yield from _whole_block(block)
    if data.get("usage"):
        yield usage(data["usage"])
    yield Finish(_finish(data.get("stop_reason")), model=data.get("model"))


def _whole_block(block: dict[str, Any]) -> Iterator[Event]:
    kind = block.get("type")
    if kind == "text":
        if block.get("text"):
            yield TextDelta(block["text"])
        for citation in block.get("citations") or []:
            yield citation_event(citation)
    elif kind == "thinking":
        yield ReasoningDelta(block.get("thinking", ""), signature=block.get("signature") or None)
    elif kind == "redacted_thinking":
        yield ReasoningDelta(redacted=block.get("data", ""))
    elif kind in _TOOL_BLOCKS:
        server = _TOOL_BLOCKS[kind]
        yield ToolCallStart(block.get("id", ""), block.get("name", ""), server=server)
        yield ToolCallDone(
            block.get("id", ""), block.get("name", ""), block.get("input") or {}, server=server
        )


@dataclass(slots=True)
class _ToolBlock:
    """A tool_use block being streamed: its input arrives as JSON fragments."""

    id: str
    name: str
    server: bool
    start_input: Any = None
    fragments: list[str] = field(default_factory=list)

    def arguments(self) -> Any:
        # The fragments are the whole input; the start block's input only counts when no
        # fragment follows (gluing both together would make invalid JSON).
        if self.fragments:
            return parse_arguments("".join(self.fragments))
        return self.start_input or {}


class _StreamState:
    def __init__(self) -> None:
        self.tools: dict[int, _ToolBlock] = {}  # by content block index
        self.usage: dict[str, Any] = {}
        self.model: str | None = None
        self.stop_reason: str | None = None
        self.stopped = False


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    state = _StreamState()
    for frame in frames:
        data = load_json(frame.data, "stream event")
        if not isinstance(data, dict):
            continue
        kind = data.get("type") or frame.event
        if kind == "error":
            yield _stream_error(data.get("error"))
            return
        yield from _stream_event(kind, data, state)
        if state.stopped:
            break
    if state.usage:
        yield usage(state.usage)
    if not state.stopped:
        yield StreamError("the stream ended before the answer was complete")
        return
    yield Finish(_finish(state.stop_reason), model=state.model)


def _stream_event(kind: str | None, data: dict[str, Any], state: _StreamState) -> Iterator[Event]:
    if kind == "content_block_delta":
        yield from _delta(data.get("index", 0), data.get("delta") or {}, state)
    elif kind == "content_block_start":
        yield from _block_start(data.get("index", 0), data.get("content_block") or {}, state)
    elif kind == "content_block_stop":
        tool = state.tools.pop(data.get("index", 0), None)
        if tool is not None:
            yield ToolCallDone(tool.id, tool.name, tool.arguments(), server=tool.server)
    elif kind == "message_start":
        message = data.get("message") or {}
        state.model = message.get("model")
        state.usage.update(message.get("usage") or {})
    elif kind == "message_delta":
        state.stop_reason = (data.get("delta") or {}).get("stop_reason") or state.stop_reason
        # The usage in message_delta is cumulative: it wins over message_start's.
        state.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
    elif kind == "message_stop":
        state.stopped = True


def _block_start(index: int, block: dict[str, Any], state: _StreamState) -> Iterator[Event]:
    kind = block.get("type")
    if kind in _TOOL_BLOCKS:
        tool = _ToolBlock(
            block.get("id", ""), block.get("name", ""), _TOOL_BLOCKS[kind], block.get("input")
        )
        state.tools[index] = tool
        yield ToolCallStart(tool.id, tool.name, server=tool.server)
    elif kind == "redacted_thinking" or (kind == "text" and block.get("text")):
        yield from _whole_block(block)


def _delta(index: int, delta: dict[str, Any], state: _StreamState) -> Iterator[Event]:
    kind = delta.get("type")
    if kind == "text_delta":
        if delta.get("text"):
            yield TextDelta(delta["text"])
    elif kind == "thinking_delta":
        if delta.get("thinking"):
            yield ReasoningDelta(delta["thinking"])
    elif kind == "signature_delta":
        yield ReasoningDelta("", signature=delta.get("signature", ""))
    elif kind == "input_json_delta":
        fragment = delta.get("partial_json") or ""
        tool = state.tools.get(index)
        if tool is not None and fragment:
            tool.fragments.append(fragment)
            yield ToolCallDelta(tool.id, fragment)
    elif kind == "citations_delta":
        yield citation_event(delta.get("citation") or {})


def citation_event(c: dict[str, Any]) -> Citation:
    kind = c.get("type", "")
    start = c.get("start_char_index", c.get("start_page_number", c.get("start_block_index")))
    end = c.get("end_char_index", c.get("end_page_number", c.get("end_block_index")))
    return Citation(
        kind=kind,
        cited_text=c.get("cited_text") or None,
        title=c.get("title") or c.get("document_title"),
        url=c.get("url"),
        document_index=int_or_none(c.get("document_index")),
        start=int_or_none(start),
        end=int_or_none(end),
    )


def usage(data: dict[str, Any]) -> Usage:
    """Anthropic counts cache reads and writes apart from `input_tokens`: add them in."""
    fresh = int_or_none(data.get("input_tokens"))
    read = int_or_none(data.get("cache_read_input_tokens"))
    write = int_or_none(data.get("cache_creation_input_tokens"))
    total = None if fresh is None else fresh + (read or 0) + (write or 0)
    # Newer answers break thinking out of output_tokens (a part of it, not an addition).
    details = data.get("output_tokens_details")
    thinking = details.get("thinking_tokens") if isinstance(details, dict) else None
    return Usage(
        input_tokens=total,
        output_tokens=int_or_none(data.get("output_tokens")),
        reasoning_tokens=int_or_none(thinking),
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


def _finish(reason: Any) -> str:
    return _FINISH.get(reason, reason) if isinstance(reason, str) else "stop"


def _stream_error(error: Any) -> StreamError:
    if isinstance(error, dict):
        return StreamError(str(error.get("message") or ""), error_type=error.get("type"))
    return StreamError(str(error or "unknown error"))


def decode_error(status: int, body: bytes) -> ProviderError:
    """`{"type": "error", "error": {"type", "message"}}`; a spend limit is never retried."""
    try:
        data = json.loads(body)
    except ValueError:
        return fallback_error(NAME, status, body)
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return fallback_error(NAME, status, body)
    details = error.get("details") or {}
    final = (
        isinstance(details, dict) and details.get("error_code") == "enforced_spend_limit_reached"
    )
    return ProviderError(
        NAME,
        str(error.get("message") or "").strip() or "unknown error",
        status=status,
        error_type=error.get("type"),
        retryable=status in RETRY_STATUSES and not final,
    )
