"""Anthropic Messages API answers: the JSON body, the SSE stream and error bodies.

Streaming grammar: https://platform.claude.com/docs/build-with-claude/streaming
Errors: https://platform.claude.com/docs/en/api/errors
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from llmcli.errors import ProviderError
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
    parse_arguments,
    shape_checked,
)
from llmcli.providers.pushing import Pushed, drive
from llmcli.request import JSON_TOOL
from llmcli.transport import RETRY_STATUSES

NAME = "anthropic"

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
}

_TOOL_BLOCKS = {"tool_use": False, "server_tool_use": True, "mcp_tool_use": True}


@shape_checked
def decode(body: bytes) -> Iterator[Event]:
    data = load_json(body)
    if data.get("type") == "error":
        yield _stream_error(data.get("error"))
        return
    content = [b for b in data.get("content") or [] if isinstance(b, dict)]
    for block in content:
        yield from _whole_block(block)
    if data.get("usage"):
        yield usage(data["usage"])
    calls = [b.get("name") for b in content if b.get("type") == "tool_use"]
    json_only = bool(calls) and all(name == JSON_TOOL for name in calls)
    reason = data.get("stop_reason")
    yield Finish(_finish(reason, json_only), model=data.get("model"), stop_sequence=_matched(data))


def _matched(data: dict[str, Any]) -> str | None:
    """The stop sequence that ended the answer: Anthropic sends `stop_sequence` beside
    `stop_reason: "stop_sequence"` (in the message, or the stream's message_delta; corpus
    anthropic/stop-sequences-prefill)."""
    found = data.get("stop_sequence")
    return found if data.get("stop_reason") == "stop_sequence" and isinstance(found, str) else None


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
    elif kind == "tool_use" and block.get("name") == JSON_TOOL:
        yield TextDelta(json_text(block.get("input") or {}))
    elif kind in _TOOL_BLOCKS:
        server = _TOOL_BLOCKS[kind]
        yield ToolCallStart(block.get("id", ""), block.get("name", ""), server=server)
        yield ToolCallDone(
            block.get("id", ""), block.get("name", ""), block.get("input") or {}, server=server
        )


def json_text(value: Any) -> str:
    """The JSON tool's input as the answer: compact JSON (an unparsed input as it came)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(slots=True)
class _ToolBlock:
    """A tool_use block being streamed: its input arrives as JSON fragments.

    `answer`: the JSON tool, whose input is the answer text (sent whole at its end).
    """

    id: str
    name: str
    server: bool
    start_input: Any = None
    fragments: list[str] = field(default_factory=list)
    answer: bool = False

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
        self.stop_sequence: str | None = None
        self.stopped = False
        self.json_answer = False  # the JSON tool was used
        self.client_calls = False  # a tool call for the client to run


class StreamDecoder(Pushed):
    """Messages SSE events → events, one frame at a time."""

    def __init__(self) -> None:
        self.state = _StreamState()
        self.closed = False  # an error event ended the answer

    def _feed(self, frame: Frame, out: list[Event]) -> None:
        data = load_json(frame.data, "stream event")
        if not isinstance(data, dict):
            return
        kind = data.get("type") or frame.event
        if kind == "error":
            out.append(_stream_error(data.get("error")))
            self.closed = self.done = True
            return
        out.extend(_stream_event(kind, data, self.state))
        if self.state.stopped:
            self.done = True

    def _end(self, out: list[Event]) -> None:
        state = self.state
        if self.closed:
            return
        if state.usage:
            out.append(usage(state.usage))
        if not state.stopped:
            out.append(StreamError("the stream ended before the answer was complete"))
            return
        json_only = state.json_answer and not state.client_calls
        finish = _finish(state.stop_reason, json_only)
        out.append(Finish(finish, model=state.model, stop_sequence=state.stop_sequence))


def stream_decoder() -> StreamDecoder:
    return StreamDecoder()


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    return drive(StreamDecoder(), frames)


def _stream_event(kind: str | None, data: dict[str, Any], state: _StreamState) -> Iterator[Event]:
    if kind == "content_block_delta":
        yield from _delta(data.get("index", 0), data.get("delta") or {}, state)
    elif kind == "content_block_start":
        yield from _block_start(data.get("index", 0), data.get("content_block") or {}, state)
    elif kind == "content_block_stop":
        tool = state.tools.pop(data.get("index", 0), None)
        if tool is not None and tool.answer:
            yield TextDelta(json_text(tool.arguments()))
        elif tool is not None:
            yield ToolCallDone(tool.id, tool.name, tool.arguments(), server=tool.server)
    elif kind == "message_start":
        message = data.get("message") or {}
        state.model = message.get("model")
        state.usage.update(message.get("usage") or {})
    elif kind == "message_delta":
        delta = data.get("delta") or {}
        state.stop_reason = delta.get("stop_reason") or state.stop_reason
        state.stop_sequence = _matched(delta) or state.stop_sequence
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
        tool.answer = kind == "tool_use" and tool.name == JSON_TOOL
        state.tools[index] = tool
        state.json_answer |= tool.answer
        state.client_calls |= kind == "tool_use" and not tool.answer
        if not tool.answer:
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
            if not tool.answer:
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
        encrypted_index=c.get("encrypted_index")
        if isinstance(c.get("encrypted_index"), str)
        else None,
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


def _finish(reason: Any, json_only: bool = False) -> str:
    """`json_only`: the only tool used was the JSON tool, so the answer is complete text."""
    if json_only and reason == "tool_use":
        return "stop"
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
