"""The five providers' wire shapes, frame by frame, for the randomized soak (tests/soak.py).

Each stream is a list of `Frame`s that knows the answer text it carries, so the soak can
say exactly which text the client must have been given before a fault cut the stream.
Shapes follow the recorded traffic in tests/fixtures and the providers' documents:

- OpenAI chat chunks, `data: [DONE]`, errors `{"error": {message, type, param, code}}`
  (tests/fixtures/openai/stream-text-usage, error-400-unsupported-value); a mid-stream
  `data: {"error": ...}` as llmcli/providers/openai_chat/answers.py documents.
- DeepSeek: the OpenAI shape, plus `: keep-alive` SSE comments while the request waits
  (https://api-docs.deepseek.com/quick_start/rate_limit).
- OpenRouter: the OpenAI shape, `: OPENROUTER PROCESSING` comments
  (tests/fixtures/openrouter/stream-text-processing-comments), errors
  `{"error": {code, message, metadata}}` (error-400-provider-error) and the mid-stream
  error chunk (stream-midstream-error).
- Anthropic (and Azure Foundry's Claude, the same shape): message_start … message_stop,
  `ping`, `event: error` (https://docs.anthropic.com/en/docs/build-with-claude/streaming,
  https://docs.anthropic.com/en/api/errors; tests/fixtures/anthropic/stream-text-basic).
- Ollama NDJSON, `/api/generate` (`response`) and `/api/chat` (`message.content`), the
  last line `"done": true`; errors `{"error": "..."}`, also as a line mid-stream
  (https://docs.ollama.com/api/errors; tests/fixtures/ollama/generate-stream, chat-stream).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Replaced by the fault server with the key the request carried (tests/faults.py): a
# server that echoes the key it refused ("Incorrect API key provided: sk-...").
KEY_PLACEHOLDER = "{{KEY}}"


@dataclass(frozen=True)
class Frame:
    data: bytes
    text: str = ""  # the answer text this frame adds


@dataclass(frozen=True)
class Shape:
    name: str  # the provider as llmcli names it in error lines
    model: str  # the -m value
    content_type: str
    stream: Callable[[list[str]], list[Frame]]  # the whole stream, terminator included
    tail: int  # how many frames at the end make the terminator
    error_body: Callable[[int, str], bytes]
    midstream_error: Callable[[str], Frame]
    garbage: Callable[[], list[bytes]]  # frames that break the shape


def sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return ((f"event: {event}\n" if event else "") + f"data: {text}\n\n").encode()


# ---- OpenAI, DeepSeek, OpenRouter --------------------------------------------------------


def _openai_stream(model: str, comments: tuple[bytes, ...]) -> Callable[[list[str]], list[Frame]]:
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    def stream(words: list[str]) -> list[Frame]:
        frames = [Frame(c) for c in comments]
        frames.append(Frame(chunk({"role": "assistant", "content": ""})))
        frames += [Frame(chunk({"content": w}), w) for w in words]
        usage = {"prompt_tokens": 9, "completion_tokens": len(words), "total_tokens": 9}
        frames.append(Frame(sse({**head, "choices": [], "usage": usage})))
        frames.append(Frame(chunk({}, "stop")))
        frames.append(Frame(sse("[DONE]")))
        return frames

    return stream


_OPENAI_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 429: "requests"}


def _openai_error(status: int, message: str) -> bytes:
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return json.dumps(
        {"error": {"message": message, "type": kind, "param": None, "code": None}}
    ).encode()


def _openai_midstream(message: str) -> Frame:
    return Frame(sse({"error": {"message": message, "type": "server_error", "code": None}}))


def _openrouter_error(status: int, message: str) -> bytes:
    error = {"code": status, "message": message, "metadata": {"provider_name": "Anthropic"}}
    return json.dumps({"error": error, "user_id": "org_1"}).encode()


def _openrouter_midstream(message: str) -> Frame:
    chunk = {
        "id": "gen-1",
        "provider": "Minimax",
        "error": {"code": 502, "message": message},
        "object": "chat.completion.chunk",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ],
    }
    return Frame(sse(chunk))


def _openai_garbage() -> list[bytes]:
    return [
        b'data: {"choices": [{"delta": {"content": "x"\n\n',  # cut JSON
        b"data: \xff\xfe\x00garbage\n\n",  # not UTF-8
        b"data: [1, 2, 3]\n\n",
        b'data: {"choices": "none"}\n\n',
        b'data: {"choices": [{"delta": {"content": 42}}]}\n\n',
        b'data: {"choices": [{"delta": "text"}]}\n\n',
        b'data: {"choices": [null]}\n\n',
        b"data: null\n\n",
        b'data: {"error": "a plain string"}\n\n',
        b"event: \x1b[2J\ndata: {}\n\n",
        b"\x00\x00\x00\n\n",
    ]


# ---- Anthropic and Azure ------------------------------------------------------------------


def _anthropic_stream(words: list[str]) -> list[Frame]:
    message: dict[str, Any] = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 9, "output_tokens": 1},
    }
    frames = [
        Frame(sse({"type": "message_start", "message": message}, "message_start")),
        Frame(
            sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            )
        ),
        Frame(sse({"type": "ping"}, "ping")),
    ]
    for word in words:
        delta = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": word},
        }
        frames.append(Frame(sse(delta, "content_block_delta"), word))
    stop = {"stop_reason": "end_turn", "stop_sequence": None}
    frames += [
        Frame(sse({"type": "content_block_stop", "index": 0}, "content_block_stop")),
        Frame(
            sse(
                {"type": "message_delta", "delta": stop, "usage": {"output_tokens": len(words)}},
                "message_delta",
            )
        ),
        Frame(sse({"type": "message_stop"}, "message_stop")),
    ]
    return frames


_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def _anthropic_error(status: int, message: str) -> bytes:
    kind = _ANTHROPIC_TYPES.get(status, "api_error")
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}
    return json.dumps(body).encode()


def _anthropic_midstream(message: str) -> Frame:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": message}}
    return Frame(sse(error, "error"))


def _anthropic_garbage() -> list[bytes]:
    return [
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0\n\n',
        b"event: content_block_delta\ndata: \xc3\x28\n\n",
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": 7}\n\n',
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, '
        b'"delta": {"type": "text_delta", "text": null}}\n\n',
        b'event: message_delta\ndata: {"type": "message_delta", "delta": [], "usage": "many"}\n\n',
        b'event: content_block_start\ndata: {"type": "content_block_start", "index": "x"}\n\n',
        b"event: error\ndata: {}\n\n",
        b"data: []\n\n",
        b"event: \x1b]0;title\x07\ndata: 1\n\n",
    ]


# ---- Ollama -----------------------------------------------------------------------------------


def _ollama_stream(chat: bool) -> Callable[[list[str]], list[Frame]]:
    def piece(text: str, done: bool) -> dict[str, Any]:
        line: dict[str, Any] = {"model": "llama3.2", "created_at": "2025-08-20T13:48:22Z"}
        if chat:
            line["message"] = {"role": "assistant", "content": text}
        else:
            line["response"] = text
        line["done"] = done
        return line

    def stream(words: list[str]) -> list[Frame]:
        frames = [Frame(_line(piece(w, False)), w) for w in words]
        last = piece("", True)
        last.update(done_reason="stop", prompt_eval_count=9, eval_count=len(words))
        return [*frames, Frame(_line(last))]

    return stream


def _line(data: Any) -> bytes:
    return (json.dumps(data) + "\n").encode()


def _ollama_error(status: int, message: str) -> bytes:
    return _line({"error": message})


def _ollama_midstream(message: str) -> Frame:
    return Frame(_line({"error": message}))


def _ollama_garbage() -> list[bytes]:
    return [
        b'{"response": "cut\n',
        b"\xff\xfe not utf-8\n",
        b"[1, 2]\n",
        b'{"message": "text", "done": false}\n',
        b'{"message": {"content": 5}, "response": [], "done": false}\n',
        b'{"error": {"nested": true}}\n',
        b"null\n",
        b"\x1b[2J\n",
    ]


# ---- the table ------------------------------------------------------------------------------

_KEEP_ALIVE = (b": keep-alive\n\n", b": keep-alive\n\n")
_PROCESSING = (b": OPENROUTER PROCESSING\n\n",)


def _anthropic_shaped(name: str, model: str) -> Shape:
    return Shape(
        name,
        model,
        "text/event-stream",
        _anthropic_stream,
        3,
        _anthropic_error,
        _anthropic_midstream,
        _anthropic_garbage,
    )


def _ollama_shaped(model: str, chat: bool) -> Shape:
    return Shape(
        "ollama",
        model,
        "application/x-ndjson",
        _ollama_stream(chat),
        1,
        _ollama_error,
        _ollama_midstream,
        _ollama_garbage,
    )


SHAPES: tuple[Shape, ...] = (
    Shape(
        "openai",
        "openai/gpt-4o-mini",
        "text/event-stream",
        _openai_stream("gpt-4o-mini", ()),
        3,
        _openai_error,
        _openai_midstream,
        _openai_garbage,
    ),
    _anthropic_shaped("anthropic", "anthropic/claude-sonnet-4-5"),
    _anthropic_shaped("azure", "azure/claude-sonnet-4-5"),
    Shape(
        "deepseek",
        "deepseek/deepseek-chat",
        "text/event-stream",
        _openai_stream("deepseek-chat", _KEEP_ALIVE),
        3,
        _openai_error,
        _openai_midstream,
        _openai_garbage,
    ),
    Shape(
        "openrouter",
        "openrouter/openai/gpt-4o-mini",
        "text/event-stream",
        _openai_stream("openai/gpt-4o-mini", _PROCESSING),
        3,
        _openrouter_error,
        _openrouter_midstream,
        _openai_garbage,
    ),
    _ollama_shaped("ollama/llama3.2", chat=False),
    _ollama_shaped("ollama_chat/llama3.2", chat=True),
)
