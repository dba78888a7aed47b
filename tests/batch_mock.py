"""A loopback chat server for `llmcli batch`: OpenAI chat completions and Anthropic
messages that answer `echo: <last user text>`, with a share of 429s (retry-after) and
500s, optional delays and 400s for prompts starting with `bad`."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers import LoopbackServer


def answer(kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The live answer to one request body: (status, body). The provider Batch API mock
    (tests/batch_api_mock.py) answers each line with it too, so fetched results can be
    compared with live ones."""
    text = body["messages"][-1]["content"]
    text = text if isinstance(text, str) else "".join(b["text"] for b in text)
    if text.startswith("bad"):
        return 400, {"error": {"type": "invalid_request_error", "message": "bad"}}
    if kind == "anthropic":
        error_free = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": f"echo: {text}"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
        return 200, error_free
    return 200, {
        "id": "c1",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": f"echo: {text}"},
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


class ChatMock(LoopbackServer):
    def __init__(
        self,
        rate_limited: float = 0.0,
        failing: float = 0.0,
        delay: float = 0.0,
        retry_after: str = "0.05",
        seed: int = 7,
    ) -> None:
        self.rate_limited, self.failing, self.delay = rate_limited, failing, delay
        self.retry_after = retry_after
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.bodies: list[dict[str, Any]] = []
        self.peak = self.active = 0
        self.success_headers: dict[str, str] = {}  # sent with every 200
        self._listen(self._handler())
        self.start()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            self.bodies.append(body)
            draw = self.random.random()
        if draw < self.rate_limited:
            error = {"error": {"type": "rate_limit_error", "message": "slow down"}}
            return 429, {"retry-after": self.retry_after}, error
        if draw < self.rate_limited + self.failing:
            return 500, {}, {"error": {"type": "server_error", "message": "oops"}}
        status, answered = answer("anthropic" if path.endswith("/messages") else "openai", body)
        return status, self.success_headers if status == 200 else {}, answered

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with mock.lock:
                    mock.active += 1
                    mock.peak = max(mock.peak, mock.active)
                try:
                    if mock.delay:
                        time.sleep(mock.delay * mock.random.random() * 2)
                    status, headers, reply = mock.answer(self.path, body)
                finally:
                    with mock.lock:
                        mock.active -= 1
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                # The client may have been killed (tests/test_batch_resume.py).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        return Handler
