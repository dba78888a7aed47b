"""Servers for the playground tests: a loopback OpenAI-compatible upstream that streams
scripted answers and notices when a client hangs up, and uvicorn in a thread for an
ASGI app of the test's own."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers import LoopbackServer

XSS = (
    "Careful: <script>window.__pwned = 1</script> and "
    '<img src=x onerror="window.__pwned = 2"> and [a link](javascript:window.__pwned=3) '
    "stay text."
)


def answer_for(model: str, prompt: str) -> tuple[str, str]:
    """(reasoning, content) the mock streams for a prompt."""
    if "xss" in prompt:
        return "", XSS + "\n\n```html\n<script>window.__pwned = 4</script>\n```\n"
    lines = [
        "## Plan",
        "",
        f"Answer from **{model}**:",
        "",
        "- call `print`",
        "- see [the docs](https://docs.python.org/3/)",
        "",
        "| model | ready |",
        "|---|---|",
        f"| {model} | yes |",
        "",
        "```python",
        f"print('hello from {model}')",
        "```",
        "",
        "Done.",
    ]
    return "The user wants code.", "\n".join(lines)


class MockUpstream(LoopbackServer):
    """OpenAI chat completions on 127.0.0.1: streams in small pieces; a prompt with
    "stop" streams slowly for a minute, and `disconnected` is set when the client
    (the gateway) closes that stream early."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.disconnected = threading.Event()
        self._listen(self._handler())

    def __enter__(self) -> MockUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                data = {"object": "list", "data": [{"id": "alpha"}, {"id": "beta"}]}
                self._send(200, json.dumps(data).encode(), "application/json")

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                mock.requests.append(body)
                if not body.get("stream"):
                    self._send(400, b'{"error": {"message": "stream only"}}', "application/json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for frame in mock.frames(body):
                        self._chunk(frame)
                    self._chunk(b"")
                except (BrokenPipeError, ConnectionResetError):
                    mock.disconnected.set()

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def _send(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def frames(self, body: dict[str, Any]) -> Iterator[bytes]:
        model = body["model"]
        prompt = body["messages"][-1]["content"]
        if "stop" in prompt:
            for n in range(600):
                yield _frame(model, {"content": f"word{n} "})
                time.sleep(0.1)
            return
        if "search" in prompt:
            yield _frame(model, {"role": "assistant", "content": "Python 3.13 is out [1]."})
            cite = {"url": "https://www.python.org/downloads/", "title": "Python downloads"}
            note = {"type": "url_citation", "url_citation": {**cite, "start_index": 0}}
            yield _frame(model, {"annotations": [note]})
            yield _frame(model, {}, finish="stop")
            yield b"data: [DONE]\n\n"
            return
        if "weather" in prompt:
            yield from _tool_call(model)
            return
        reasoning, content = answer_for(model, prompt)
        if reasoning:
            yield _frame(model, {"role": "assistant", "reasoning_content": reasoning})
        for start in range(0, len(content), 12):
            yield _frame(model, {"content": content[start : start + 12]})
            time.sleep(0.01)
        yield _frame(model, {}, finish="stop")
        usage = {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42, "cost": 0.00021}
        yield _sse(
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [],
                "usage": usage,
            }
        )
        yield b"data: [DONE]\n\n"


def _tool_call(model: str) -> Iterator[bytes]:
    call = {"index": 0, "id": "call_1", "type": "function"}
    yield _frame(model, {"tool_calls": [{**call, "function": {"name": "get_weather"}}]})
    for piece in ('{"city": ', '"Paris"}'):
        yield _frame(model, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    yield _frame(model, {}, finish="tool_calls")
    yield b"data: [DONE]\n\n"


def _frame(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model}
    return _sse({**chunk, "choices": [choice]})


def _sse(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread; yields its URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
