"""OpenAI Chat Completions answers: whole bodies, SSE chunks and error bodies.

The decoders accept the common extensions of OpenAI-compatible servers:
`reasoning_content` (DeepSeek, vLLM, llama.cpp), `reasoning` / `reasoning_details`
(OpenRouter), `usage.cost` (OpenRouter) and a top-level `error` chunk mid-stream
(OpenRouter documents it; OpenAI sends `data: {"error": ...}` the same way).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from llmcli.errors import DecodeError, ProviderError
from llmcli.events import (
    Citation,
    Event,
    Finish,
    ImageOut,
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
    SHAPE_ERRORS,
    fallback_error,
    int_or_none,
    load_json,
    parse_arguments,
    shape_checked,
    shape_error,
    well_typed,
)
from llmcli.providers.pushing import Pushed, drive
from llmcli.transport import RETRY_STATUSES

# Statuses we keep; anything else passes through unchanged (OpenAI-compatible values).
_FINISH = {"function_call": "tool_calls"}
# A delta with only these keys holds no reasoning, tool call, image or citation.
_PLAIN_DELTA = frozenset({"role", "content"})
_NOT_RETRYABLE_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})

INCOMPLETE = "the stream ended before the answer was complete"


@shape_checked
def decode(body: bytes) -> Iterator[Event]:
    """A non-streaming answer (chat or legacy completions)."""
    data = load_json(body)
    if data.get("error") and not data.get("choices"):
        yield _stream_error(data["error"])
        return
    choices = data.get("choices") or []
    choice = choices[0] if choices else {}
    message = choice.get("message") or {}
    yield from _reasoning(message)
    text = message.get("content") if message else choice.get("text")
    if isinstance(text, str) and text:
        yield TextDelta(text)
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        yield ToolCallStart(call.get("id", ""), function.get("name", ""))
        yield ToolCallDone(
            call.get("id", ""), function.get("name", ""), _arguments(function.get("arguments"))
        )
    yield from _extras(message)
    if data.get("usage"):
        yield usage(data["usage"])
    yield Finish(_finish(choice.get("finish_reason")) or "stop", model=data.get("model"))


class StreamDecoder(Pushed):
    """SSE chunks → events, one frame at a time; tool-call fragments joined by `index`.

    Checks its own events (`well_typed`, and one DecodeError for an unexpected JSON
    shape) inline rather than through `Pushed.feed`: one Python call fewer for each
    chunk of a long stream.
    """

    def __init__(self) -> None:
        self.calls: dict[int, list[Any]] = {}  # index → [id, name, [argument fragments]]
        self.finish: str | None = None
        self.model: str | None = None
        self.last_usage: Usage | None = None
        self.saw_done = False
        self.closed = False  # an error chunk ended the answer: nothing more to say

    def feed(self, frame: Frame) -> list[Event]:
        if self._fault is not None:
            raise self._fault
        data = frame.data
        if data == "[DONE]":
            self.saw_done = self.done = True
            return []
        out: list[Event] = []
        try:
            try:
                chunk, end = _scan_json(data, 0)
            except (StopIteration, ValueError):
                end = -1
            if end != len(data):
                # Surrounding whitespace, or not JSON: load_json parses or words it.
                chunk = load_json(data, "stream chunk")
            if not isinstance(chunk, dict):
                return out
            self.model = chunk.get("model") or self.model
            if chunk.get("error"):
                if chunk.get("usage"):
                    out.append(well_typed(usage(chunk["usage"])))
                out.append(well_typed(_stream_error(chunk["error"])))
                self.closed = self.done = True
                return out
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                plain = delta.keys() <= _PLAIN_DELTA  # nearly every chunk: text and nothing else
                if not plain:
                    out.extend(_checked(_reasoning(delta)))
                text = delta.get("content") if delta else choice.get("text")
                if text:
                    # Plain ASCII text (nearly every event of a stream) is well typed as it is.
                    if type(text) is str and text.isascii():
                        out.append(TextDelta(text))
                    else:
                        out.append(well_typed(TextDelta(text)))
                if not plain:
                    for fragment in delta.get("tool_calls") or []:
                        out.extend(_checked(_tool_fragment(self.calls, fragment)))
                    out.extend(_checked(_extras(delta)))
                reason = choice.get("finish_reason")
                if reason is not None:
                    self.finish = _finish(reason) or self.finish
            if chunk.get("usage"):
                self.last_usage = usage(chunk["usage"])
        except SHAPE_ERRORS as err:
            self._defer(shape_error(err))
        except DecodeError as err:
            self._defer(err)
        return out

    def _end(self, out: list[Event]) -> None:
        if self.closed:
            return
        for call_id, name, parts in self.calls.values():
            out.append(ToolCallDone(call_id, name, parse_arguments("".join(parts))))
        if self.last_usage is not None:
            out.append(self.last_usage)
        finish = self.finish
        if finish == "error" or not (self.saw_done or finish):
            message = INCOMPLETE if finish != "error" else "the provider ended the answer"
            out.append(StreamError(message))
            return
        out.append(Finish(finish or "stop", model=self.model))


def stream_decoder() -> StreamDecoder:
    return StreamDecoder()


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    """SSE chunks → events (the sync engine's way of driving `StreamDecoder`)."""
    return drive(StreamDecoder(), frames)


# The scanner behind json.loads (C in CPython), called directly: json.loads adds three
# Python calls (loads, decode, raw_decode) to each chunk of a stream. A default
# JSONDecoder's scanner parses exactly as json.loads does; a chunk it does not take whole
# goes through load_json. (`scan_once` is set by JSONDecoder.__init__; typeshed omits it.)
_DECODER = json.JSONDecoder()
_scan_json: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _checked(events: Iterable[Event]) -> Iterator[Event]:
    for event in events:
        yield well_typed(event)


def _tool_fragment(calls: dict[int, list[Any]], fragment: dict[str, Any]) -> Iterator[Event]:
    index = fragment.get("index", len(calls))
    function = fragment.get("function") or {}
    if index not in calls:
        call_id = fragment.get("id") or f"call_{index}"
        calls[index] = [call_id, function.get("name") or "", []]
        yield ToolCallStart(call_id, calls[index][1])
    arguments = function.get("arguments")
    if arguments:
        calls[index][2].append(arguments)
        yield ToolCallDelta(calls[index][0], arguments)


def _reasoning(part: dict[str, Any]) -> Iterator[Event]:
    details = part.get("reasoning_details")
    if details:
        for detail in details:
            kind = detail.get("type")
            if kind == "reasoning.encrypted":
                yield ReasoningDelta(redacted=detail.get("data", ""))
            elif kind in ("reasoning.text", "reasoning.summary"):
                text = detail.get("text") or detail.get("summary") or ""
                signature = detail.get("signature") or None
                if text or signature:
                    yield ReasoningDelta(text, signature=signature)
        return
    text = part.get("reasoning_content") or part.get("reasoning")
    if isinstance(text, str) and text:
        yield ReasoningDelta(text)


def _extras(part: dict[str, Any]) -> Iterator[Event]:
    """Images (OpenRouter image models) and URL citations (web search annotations)."""
    for image in part.get("images") or []:
        url = (image.get("image_url") or {}).get("url")
        if url:
            yield ImageOut(url=url, mime=_data_url_mime(url))
    for note in part.get("annotations") or []:
        cite = note.get("url_citation") or {}
        if note.get("type") == "url_citation" and cite:
            yield Citation(
                kind="url",
                url=cite.get("url"),
                title=cite.get("title"),
                cited_text=cite.get("content"),
                start=cite.get("start_index"),
                end=cite.get("end_index"),
            )


def _data_url_mime(url: str) -> str | None:
    if url.startswith("data:"):
        return url[5:].split(";", 1)[0].split(",", 1)[0] or None
    return None


def _arguments(raw: Any) -> Any:
    return parse_arguments(raw) if isinstance(raw, str) else (raw or {})


def _finish(reason: Any) -> str | None:
    if not isinstance(reason, str) or not reason:
        return None
    return _FINISH.get(reason, reason)


def usage(data: dict[str, Any]) -> Usage:
    prompt_details = data.get("prompt_tokens_details") or {}
    completion_details = data.get("completion_tokens_details") or {}
    cache_read = int_or_none(data.get("prompt_cache_hit_tokens"))  # DeepSeek
    if cache_read is None:
        cache_read = int_or_none(prompt_details.get("cached_tokens"))
    cost = data.get("cost")
    return Usage(
        input_tokens=int_or_none(data.get("prompt_tokens")),
        output_tokens=int_or_none(data.get("completion_tokens")),
        reasoning_tokens=int_or_none(completion_details.get("reasoning_tokens")),
        cache_read_tokens=cache_read,
        cache_write_tokens=int_or_none(prompt_details.get("cache_write_tokens")),
        cost=float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None,
    )


def _stream_error(error: Any) -> StreamError:
    if isinstance(error, dict):
        code = error.get("code")
        return StreamError(
            str(error.get("message") or "unknown error"),
            error_type=error.get("type") or (code if isinstance(code, str) else None),
            status=code if isinstance(code, int) else None,
        )
    return StreamError(str(error))


def decode_error(provider: str, status: int, body: bytes) -> ProviderError:
    """`{"error": {"message", "type", "code"}}` → one line; quota errors are final."""
    try:
        data = json.loads(body)
    except ValueError:
        return fallback_error(provider, status, body)
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return fallback_error(provider, status, body)
    code, kind = error.get("code"), error.get("type")
    code = code if isinstance(code, str) else None  # a number or other JSON: not a name
    error_type = (kind if isinstance(kind, str) else None) or code
    final = code in _NOT_RETRYABLE_CODES or error_type in _NOT_RETRYABLE_CODES
    return ProviderError(
        provider,
        str(error.get("message") or "").strip() or "unknown error",
        status=status,
        error_type=error_type,
        retryable=status in RETRY_STATUSES and not final,
    )
