"""The loopback mock OpenAI-compatible server the benches talk to.

- Non-streaming: a `chat.completion` JSON body.
- Streaming: one HTTP chunk per SSE event, each written with its own `send`: a role
  chunk, N `chat.completion.chunk` deltas with content `"word "`, a `finish_reason`
  chunk, a usage chunk (`choices: []`) and `data: [DONE]`. N comes from the
  `x-bench-chunks` request header, else the first number in the prompt, else 20.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "bench"
ONE_SHOT_TEXT = "Hello from the bench server."
WORD = "word "
CHUNK_HEADER = "x-bench-chunks"
DEFAULT_CHUNKS = 20


def _sse(obj: dict[str, Any]) -> bytes:
    """One SSE event wrapped as one HTTP/1.1 chunk."""
    data = b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def _chunk_obj(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": MODEL,
        "system_fingerprint": None,
        "choices": choices,
    }
    return {**base, **extra}


def _usage(completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": 3,
        "completion_tokens": completion_tokens,
        "total_tokens": 3 + completion_tokens,
    }


_DELTA = _sse(
    _chunk_obj([{"index": 0, "delta": {"content": WORD}, "logprobs": None, "finish_reason": None}])
)
_FIRST = _sse(
    _chunk_obj(
        [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ]
    )
)
_FINISH = _sse(_chunk_obj([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
_DONE = b"%x\r\n%s\r\n" % (len(b"data: [DONE]\n\n"), b"data: [DONE]\n\n")


def _completion_body() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ONE_SHOT_TEXT},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(len(ONE_SHOT_TEXT.split())),
        }
    ).encode()


def _chunk_count(headers: Any, body: dict[str, Any]) -> int:
    """N from the `x-bench-chunks` header, else the first number in the prompt."""
    raw = headers.get(CHUNK_HEADER)
    if raw:
        return int(raw)
    for message in body.get("messages") or []:
        found = re.search(r"\d+", str(message.get("content") or ""))
        if found:
            return int(found.group())
    return DEFAULT_CHUNKS


class _Handler(BaseHTTPRequestHandler):
    """POST /v1/chat/completions: JSON, or SSE with one HTTP chunk per event."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one TCP send per chunk, as uvicorn and friends do

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._plain(404, b'{"error":{"message":"not found","type":"not_found"}}')
            return
        body = json.loads(raw or b"{}")
        if not body.get("stream"):
            self._plain(200, _completion_body())
            return
        n = _chunk_count(self.headers, body)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        write = self.wfile.write  # unbuffered (wbufsize=0): each write is its own send
        write(_FIRST)
        for _ in range(n):
            write(_DELTA)
            self.wfile.flush()
        write(_FINISH)
        write(_sse(_chunk_obj([], usage=_usage(n))))
        write(_DONE)
        write(b"0\r\n\r\n")
        self.wfile.flush()

    def _plain(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


class MockServer:
    """A threaded loopback server; `base` is the `--api-base` to pass (ends in /v1)."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> MockServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
