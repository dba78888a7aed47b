"""Loopback HTTP servers for tests: replay recorded responses and record the requests.

Real HTTP on 127.0.0.1; bodies go out chunked, in small pieces, with the recorded
status and content type, so the client's framing sees realistic splits.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Reply:
    """One canned response. `chunk` bytes per write; `delay` seconds between writes."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    chunk: int = 61
    delay: float = 0.0
    # Close the connection after this many body bytes (simulates a dropped stream).
    cut_after: int | None = None


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    # Every header line as received, repeats kept (`headers` keeps one per name).
    header_lines: list[tuple[str, str]] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class ErrorsToTestOutput:
    """socketserver prints a failed handler's traceback on `sys.stderr` at once: during
    an in-process llmcli run that is the run's stderr (and fd 2 is the run's file), which
    a server of the test must not write to. The tracebacks are kept and printed when the
    server stops, for pytest to show with a failure, as it did when llmcli was a child
    process. (A client that hangs up early, e.g. after the last event, is one of them.)"""

    errors: list[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.errors = [*getattr(self, "errors", []), traceback.format_exc()]

    def server_close(self) -> None:
        super().server_close()  # type: ignore[misc]
        for error in getattr(self, "errors", []):
            sys.stderr.write(f"error serving a request:\n{error}")


class _HTTPServer(ErrorsToTestOutput, ThreadingHTTPServer):
    daemon_threads = True


_S = TypeVar("_S", bound="LoopbackServer")


class LoopbackServer:
    """The test servers' common part: a threaded HTTP server on 127.0.0.1 for the
    handler a subclass gives `_listen`; `start()` serves, `stop()` closes."""

    def _listen(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = _HTTPServer(("127.0.0.1", 0), handler)
        # A short poll keeps `stop()` quick: shutdown waits for the serve loop to notice,
        # up to a whole poll (0.5 s by default, paid by every test with a server).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self: _S) -> _S:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ReplayServer(LoopbackServer):
    """Serves queued replies in order (the last one repeats) and records each request."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._listen(self._handler())

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def _next(self) -> Reply:
        with self._lock:
            if len(self.replies) > 1:
                return self.replies.pop(0)
            return self.replies[0] if self.replies else Reply(status=500, body=b"no reply queued")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self._serve(self.rfile.read(length))

            def _serve(self, body: bytes) -> None:
                server.requests.append(
                    Received(
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        list(self.headers.items()),
                    )
                )
                reply = server._next()
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                self.send_header("transfer-encoding", "chunked")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                sent = 0
                for piece in _pieces(reply.body, reply.chunk):
                    if reply.cut_after is not None and sent + len(piece) > reply.cut_after:
                        piece = piece[: reply.cut_after - sent]
                        self._chunk(piece)
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self._chunk(piece)
                    sent += len(piece)
                    if reply.delay:
                        self.wfile.flush()
                        time.sleep(reply.delay)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _chunk(self, piece: bytes) -> None:
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))

        return Handler


def _pieces(body: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(body), max(size, 1)):
        yield body[i : i + size]


@dataclass
class Case:
    """A recorded exchange copied from ../shared/corpus into tests/fixtures."""

    provider: str
    name: str
    path: Path
    meta: dict[str, Any]
    request: Any
    response: bytes

    @property
    def content_type(self) -> str:
        headers = {k.lower(): v for k, v in self.meta.get("response_headers", {}).items()}
        return headers.get("content-type", "application/json")

    def reply(self, **kwargs: Any) -> Reply:
        return Reply(
            status=self.meta.get("status", 200),
            body=self.response,
            content_type=self.content_type,
            **kwargs,
        )


def load_case(provider: str, name: str) -> Case:
    path = FIXTURES / provider / name
    meta = json.loads((path / "meta.json").read_text())
    request_file = path / "request.json"
    request = json.loads(request_file.read_text()) if request_file.exists() else None
    response = (path / meta["response_file"]).read_bytes()
    return Case(provider, name, path, meta, request, response)
