"""Ollama's answers: NDJSON lines (streamed) or one JSON object, and its errors.

Decoded here; `ollama` re-exports these, so that module is the whole provider interface.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from llmcli.errors import DecodeError, ProviderError
from llmcli.events import (
    Event,
    Finish,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.framing import Frame
from llmcli.providers._common import fallback_error, int_or_none, load_json, shape_checked
from llmcli.providers.pushing import Pushed, drive
from llmcli.transport import RETRY_STATUSES

NAME = "ollama"


@shape_checked
def decode(body: bytes) -> Iterator[Event]:
    data = load_json(body)
    if not isinstance(data, dict):
        raise DecodeError(f"the answer is not a JSON object: {body[:80]!r}")
    yield from _line(data, tool_calls_seen=[])
    if not data.get("done") and not data.get("error"):
        yield StreamError("the answer ended before it was complete")


class StreamDecoder(Pushed):
    """NDJSON lines → events, one frame at a time."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _feed(self, frame: Frame, out: list[Event]) -> None:
        data = load_json(frame.data, "stream line")
        if not isinstance(data, dict):
            return
        out.extend(_line(data, self.seen))
        if data.get("done") or data.get("error"):
            self.done = True

    def _end(self, out: list[Event]) -> None:
        if not self.done:
            out.append(StreamError("the stream ended before the answer was complete"))


def stream_decoder() -> StreamDecoder:
    return StreamDecoder()


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    return drive(StreamDecoder(), frames)


def _line(data: dict[str, Any], tool_calls_seen: list[str]) -> Iterator[Event]:
    """One NDJSON object (or a whole non-streaming body) → events."""
    if data.get("error"):
        yield StreamError(str(data["error"]))
        return
    message = data.get("message") or {}
    thinking = message.get("thinking") or data.get("thinking")
    if thinking:
        yield ReasoningDelta(thinking)
    text = message.get("content") if message else data.get("response")
    if text:
        yield TextDelta(text)
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        # Local Ollama sends no id: number the calls of the whole answer.
        call_id = call.get("id") or f"call_{len(tool_calls_seen)}"
        tool_calls_seen.append(call_id)
        yield ToolCallStart(call_id, function.get("name", ""))
        yield ToolCallDone(call_id, function.get("name", ""), _arguments(function.get("arguments")))
    if data.get("done"):
        yield Usage(
            input_tokens=int_or_none(data.get("prompt_eval_count")),
            output_tokens=int_or_none(data.get("eval_count")),
        )
        reason = data.get("done_reason") or "stop"
        # Ollama says "stop" after tool calls; scripts expect the common value.
        if reason == "stop" and tool_calls_seen:
            reason = "tool_calls"
        yield Finish(reason, model=data.get("model"))


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw if raw is not None else {}


def decode_error(status: int, body: bytes) -> ProviderError:
    """Ollama errors are `{"error": "<text>"}`."""
    try:
        data = json.loads(body)
    except ValueError:
        return fallback_error(NAME, status, body)
    if not isinstance(data, dict) or not data.get("error"):
        return fallback_error(NAME, status, body)
    return ProviderError(
        NAME, str(data["error"]), status=status, retryable=status in RETRY_STATUSES
    )
