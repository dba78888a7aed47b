"""llmcli answers → Anthropic Messages bodies: the message JSON and the full SSE event
sequence (https://platform.claude.com/docs/en/build-with-claude/streaming; the rules
anthropic-python's accumulator relies on are in research/gateway.md §2.3)."""

from __future__ import annotations

import json
from typing import Any

from llmcli.events import (
    Citation,
    Event,
    ReasoningBlock,
    ReasoningDelta,
    Result,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.gateway.errors import GatewayError, anthropic_error, stream_error
from llmcli.gateway.read import compact

# llmcli's finish reasons → stop_reason. Anthropic's own values (pause_turn, refusal,
# model_context_window_exceeded) come through the anthropic decoder unchanged and are
# kept; `stop` is end_turn unless the decoder said which stop sequence matched
# (Result.stop_sequence: Anthropic upstreams do; OpenAI's "stop" does not say).
_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
_ANTHROPIC_OWN = {
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
}


def stop_reason(result: Result) -> str:
    reason = result.finish_reason or "stop"
    if reason == "stop" and result.stop_sequence is not None:
        return "stop_sequence"
    reason = reason if reason in _ANTHROPIC_OWN else _STOP.get(reason, "end_turn")
    # Ollama ends a turn of tool calls with "stop"; a cut-off answer stays max_tokens.
    return "tool_use" if result.tool_calls and reason == "end_turn" else reason


def matched(result: Result) -> str | None:
    """Anthropic's `stop_sequence`: set only with `stop_reason: "stop_sequence"`."""
    return result.stop_sequence if stop_reason(result) == "stop_sequence" else None


def usage(u: Usage) -> dict[str, Any]:
    """Anthropic counts cache reads and writes apart from `input_tokens`; llmcli's
    `input_tokens` holds them all (llmcli.events.Usage), so they are taken out again."""
    read, write = u.cache_read_tokens or 0, u.cache_write_tokens or 0
    return {
        "input_tokens": max((u.input_tokens or 0) - read - write, 0),
        "output_tokens": u.output_tokens or 0,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
    }


def tool_input(arguments: Any) -> dict[str, Any]:
    """`tool_use.input` must be an object: arguments that did not parse as one are kept
    under `arguments` rather than lost."""
    return arguments if isinstance(arguments, dict) else {"arguments": arguments}


# Document citation types and the names of their start/end fields (Messages API
# `char_location`, `page_location`, `content_block_location`).
_LOCATIONS = {
    "char_location": ("start_char_index", "end_char_index"),
    "page_location": ("start_page_number", "end_page_number"),
    "content_block_location": ("start_block_index", "end_block_index"),
}


def citation(c: Citation) -> dict[str, Any] | None:
    """A citation as Anthropic writes it, or None when it has no such shape."""
    if c.kind == WEB:
        return _web_citation(c)
    names = _LOCATIONS.get(c.kind)
    if names is None or c.document_index is None or c.start is None or c.end is None:
        return None
    return {
        "type": c.kind,
        "cited_text": c.cited_text or "",
        "document_index": c.document_index,
        "document_title": c.title,
        names[0]: c.start,
        names[1]: c.end,
    }


# A web search result cited: `web_search_result_location` with cited_text, url, title
# (may be null) and encrypted_index, all required (the SDKs' CitationsWebSearchResultLocation,
# https://rubydoc.info/github/anthropics/anthropic-sdk-ruby/Anthropic/Models/CitationsWebSearchResultLocation;
# recorded in tests/fixtures/anthropic/stream-web-search-citations). Only an
# Anthropic upstream gives the encrypted_index, without which the citation cannot be
# sent back in a later turn: web citations from other providers stay out of this format.
WEB = "web_search_result_location"


def _web_citation(c: Citation) -> dict[str, Any] | None:
    if c.url is None or c.encrypted_index is None:
        return None
    return {
        "type": WEB,
        "cited_text": c.cited_text or "",
        "url": c.url,
        "title": c.title,
        "encrypted_index": c.encrypted_index,
    }


def _thinking_block(block: ReasoningBlock) -> dict[str, Any]:
    if block.redacted is not None:
        return {"type": "redacted_thinking", "data": block.redacted}
    return {"type": "thinking", "thinking": block.text, "signature": block.signature or ""}


def message(result: Result, *, model_name: str, id: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = [_thinking_block(b) for b in result.reasoning_blocks]
    if result.content:
        text: dict[str, Any] = {"type": "text", "text": result.content}
        cited = [c for c in map(citation, result.citations) if c is not None]
        if cited:
            text["citations"] = cited
        content.append(text)
    content.extend(
        {"type": "tool_use", "id": c.id, "name": c.name, "input": tool_input(c.arguments)}
        for c in result.tool_calls
    )
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model_name,
        "content": content,
        "stop_reason": stop_reason(result),
        "stop_sequence": matched(result),
        "usage": usage(result.usage),
    }


_DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_TEXT_KEY = b',"delta":{"type":"text_delta","text":'
_JSON_KEY = b',"delta":{"type":"input_json_delta","partial_json":'


def _frame(data: dict[str, Any]) -> bytes:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    kind: str = data["type"]
    return b"event: " + kind.encode() + b"\ndata: " + body + b"\n\n"


class Events:
    """Messages SSE frames for one streamed answer: message_start first, each content
    block numbered in the order it opens, one block open at a time."""

    def __init__(self, *, model_name: str, id: str, input_tokens: int | None = None) -> None:
        self.model_name = model_name
        self.id = id
        self.input_tokens = input_tokens
        self._started = False
        self._done = False
        self._index = -1  # the open (or last) block's index
        self._open: str | None = None  # "text", "thinking" or a tool call id
        self._tool_args: set[str] = set()  # calls whose arguments went out
        self._seen: set[str] = set()  # client tool calls already opened
        self._server: set[str] = set()

    def _start(self) -> list[bytes]:
        if self._started:
            return []
        self._started = True
        head: dict[str, Any] = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model_name,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage(Usage(input_tokens=self.input_tokens, output_tokens=0)),
        }
        return [_frame({"type": "message_start", "message": head})]

    def _close(self) -> list[bytes]:
        if self._open is None:
            return []
        self._open = None
        return [_frame({"type": "content_block_stop", "index": self._index})]

    def _block(self, block: dict[str, Any], kind: str | None) -> list[bytes]:
        """Close the open block and open `block` (kind None: a block complete at start)."""
        frames = self._close()
        self._index += 1
        frames.append(
            _frame({"type": "content_block_start", "index": self._index, "content_block": block})
        )
        self._open = kind
        if kind is None:
            self._open = "whole"
            frames.extend(self._close())
        return frames

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _frame({"type": "content_block_delta", "index": self._index, "delta": delta})

    def feed(self, event: Event) -> list[bytes]:
        if self._done:
            return []
        if isinstance(event, StreamError):
            return self.fail(stream_error(event))
        frames = self._start()
        if isinstance(event, TextDelta) and event.text:
            if self._open != "text":
                frames += self._block({"type": "text", "text": ""}, "text")
            # The commonest frame, written around the string alone (no dict to dump).
            text = json.dumps(event.text, ensure_ascii=False).encode()
            frames.append(b"%s%d%s%s}}\n\n" % (_DELTA, self._index, _TEXT_KEY, text))
        elif isinstance(event, ReasoningDelta):
            frames += self._reasoning(event)
        elif isinstance(event, ToolCallStart):
            frames += self._tool_start(event)
        elif isinstance(event, ToolCallDelta):
            if event.id == self._open and event.arguments_fragment:
                self._tool_args.add(event.id)
                fragment = json.dumps(event.arguments_fragment, ensure_ascii=False).encode()
                frames.append(b"%s%d%s%s}}\n\n" % (_DELTA, self._index, _JSON_KEY, fragment))
        elif isinstance(event, ToolCallDone):
            frames += self._tool_done(event)
        elif isinstance(event, Citation) and self._open == "text":
            cited = citation(event)
            if cited is not None:
                frames.append(self._delta({"type": "citations_delta", "citation": cited}))
        return frames

    def _reasoning(self, event: ReasoningDelta) -> list[bytes]:
        if event.redacted is not None:
            return self._block({"type": "redacted_thinking", "data": event.redacted}, None)
        frames: list[bytes] = []
        if self._open != "thinking" and (event.text or event.signature is not None):
            frames += self._block({"type": "thinking", "thinking": "", "signature": ""}, "thinking")
        if event.text:
            frames.append(self._delta({"type": "thinking_delta", "thinking": event.text}))
        if event.signature is not None:  # the signature closes its block
            frames.append(self._delta({"type": "signature_delta", "signature": event.signature}))
            frames += self._close()
        return frames

    def _tool_start(self, event: ToolCallStart) -> list[bytes]:
        if event.server:  # the provider ran it: no tool_use for the client to answer
            self._server.add(event.id)
            return []
        self._seen.add(event.id)
        return self._block(
            {"type": "tool_use", "id": event.id, "name": event.name, "input": {}}, event.id
        )

    def _tool_done(self, event: ToolCallDone) -> list[bytes]:
        """Close the call's block; a call that came whole (Ollama) is opened, given its
        input in one fragment and closed."""
        if event.server or event.id in self._server:
            return []
        frames: list[bytes] = []
        if event.id not in self._seen:
            self._seen.add(event.id)
            frames += self._block(
                {"type": "tool_use", "id": event.id, "name": event.name, "input": {}}, event.id
            )
        if event.id not in self._tool_args and self._open == event.id:
            self._tool_args.add(event.id)
            frames.append(
                self._delta(
                    {
                        "type": "input_json_delta",
                        "partial_json": compact(tool_input(event.arguments)),
                    }
                )
            )
        if self._open == event.id:
            frames += self._close()
        return frames

    def finish(self, result: Result) -> list[bytes]:
        if self._done:
            return []
        self._done = True
        frames = self._start() + self._close()
        delta = {"stop_reason": stop_reason(result), "stop_sequence": matched(result)}
        frames.append(
            _frame({"type": "message_delta", "delta": delta, "usage": usage(result.usage)})
        )
        frames.append(_frame({"type": "message_stop"}))
        return frames

    def fail(self, err: GatewayError) -> list[bytes]:
        """`event: error` (anthropic-python raises on it); the stream ends there."""
        if self._done:
            return []
        self._done = True
        return [_frame(anthropic_error(err))]
