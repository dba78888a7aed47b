"""A loopback fault server: the failures `tests/servers.ReplayServer` cannot produce.

Raw sockets, so it can reset the TCP connection (SO_LINGER 0, then close) before the
status line or halfway through a body, stall before the first byte, drop a body without
its terminator, and record when each request arrived (to measure retry spacing).
Every answer closes its connection, so each request the client makes is one connection.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from tests.servers import ErrorsToTestOutput
from tests.soak_shapes import KEY_PLACEHOLDER


@dataclass
class Fault:
    """One scripted answer. Defaults give a plain 200 with a chunked body.

    `stall`: seconds of silence before the first byte (the status line).
    `reset_before_headers`: read the request, then reset the connection.
    `reset_after`: send the headers and this many body bytes, then reset.
    `delay`: seconds between body chunks of `chunk` bytes.
    `interrupt_after`: send this many body bytes, then call the server's `on_interrupt`
    (the soak's Ctrl-C) and hold the connection until the client closes it.
    A body holding `{{KEY}}` gets the key the request carried in its place (a server
    that echoes the key it refused).
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    chunk: int = 64
    delay: float = 0.0
    stall: float = 0.0
    reset_before_headers: bool = False
    reset_after: int | None = None
    interrupt_after: int | None = None


def reset() -> Fault:
    """The connection is reset after the request arrives, before any answer byte."""
    return Fault(reset_before_headers=True)


@dataclass
class Hit:
    """A request as the server saw it, with its arrival time (`time.monotonic()`)."""

    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _TCPServer(ErrorsToTestOutput, socketserver.ThreadingTCPServer):
    daemon_threads = True


class FaultServer:
    """Plays queued faults in order (the last one repeats) and records each request."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.hits: list[Hit] = []
        self.on_interrupt: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _TCPServer(("127.0.0.1", 0), self._handler())
        # A short poll keeps `stop()` quick (shutdown waits for the serve loop to notice).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def queue(self, *faults: Fault) -> FaultServer:
        self.faults.extend(faults)
        return self

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests: the client's retry spacing."""
        return [b.at - a.at for a, b in zip(self.hits, self.hits[1:], strict=False)]

    def _next(self) -> Fault:
        with self._lock:
            if len(self.faults) > 1:
                return self.faults.pop(0)
            return self.faults[0] if self.faults else Fault(500, b"no fault queued")

    def _handler(self) -> type[socketserver.BaseRequestHandler]:
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                hit = _read_request(sock)
                if hit is None:
                    return
                with server._lock:
                    server.hits.append(hit)
                fault = server._next()
                # OSError: the client gave up first (a timeout test): nothing to do.
                with contextlib.suppress(OSError):
                    server._play(sock, _with_key(fault, hit))

        return Handler

    def _play(self, sock: socket.socket, fault: Fault) -> None:
        if fault.stall and self._stopping.wait(fault.stall):
            return
        if fault.reset_before_headers:
            _reset(sock)
            return
        head = [f"HTTP/1.1 {fault.status} {_REASONS.get(fault.status, 'Status')}"]
        head.append(f"content-type: {fault.content_type}")
        head.append("transfer-encoding: chunked")
        head.append("connection: close")
        head.extend(f"{name}: {value}" for name, value in fault.headers.items())
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        for piece in _pieces(fault.body, fault.chunk):
            if fault.interrupt_after is not None and sent + len(piece) > fault.interrupt_after:
                self._interrupt(sock, piece[: fault.interrupt_after - sent])
                return
            if fault.reset_after is not None and sent + len(piece) > fault.reset_after:
                piece = piece[: fault.reset_after - sent]
                if piece:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(0.05)  # let the client read what was sent before the reset
                _reset(sock)
                return
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            if fault.delay and self._stopping.wait(fault.delay):
                return
        sock.sendall(b"0\r\n\r\n")

    def _interrupt(self, sock: socket.socket, piece: bytes) -> None:
        if piece:
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        time.sleep(0.1)  # let the client show what was sent
        self.on_interrupt()
        sock.settimeout(10)
        while sock.recv(65536):  # the client closes the connection when it stops
            pass


def _with_key(fault: Fault, hit: Hit) -> Fault:
    marker = KEY_PLACEHOLDER.encode()
    if marker not in fault.body:
        return fault
    auth = hit.headers.get("authorization", "").removeprefix("Bearer ")
    key = auth or hit.headers.get("x-api-key") or hit.headers.get("api-key") or ""
    return replace(fault, body=fault.body.replace(marker, key.encode()))


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    408: "Request Timeout",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Site Overloaded",
}


def _read_request(sock: socket.socket) -> Hit | None:
    """One HTTP/1.1 request with a content-length body (what httpx sends for JSON)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            return None
        data += piece
    at = time.monotonic()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return Hit(at, method, path, headers, body)


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _pieces(body: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(body), max(size, 1)):
        yield body[i : i + size]


def closed_port() -> int:
    """A loopback port with nothing listening (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
