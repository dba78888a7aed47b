"""One llama.cpp server in a child process: started on a free 127.0.0.1 port, checked
with `/health`, stopped when its owner is done.

The server runs in a child (`llmcli.local.worker`) so llmcli can stop it cleanly and a
crash in native code cannot take llmcli down. It gets its own session, so Ctrl-C at
the terminal reaches llmcli (which may cancel one answer in `chat`) but not the
server. It uses 1 thread and `OMP_WAIT_POLICY=passive` unless told otherwise: with
OpenMP's spin-waiting, decoding collapses when anything else is busy on a small machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

from llmcli.errors import LlmcliError, UsageError
from llmcli.local.models import LocalModel

DEFAULT_THREADS = 1
START_TIMEOUT = 120.0
STOP_TIMEOUT = 5.0
INSTALL_HINT = "the local provider needs xllamacpp: pip install 'llmcli[local]'"


class LocalServerError(LlmcliError):
    """The llama.cpp server could not be started (exit status 1)."""


def require_backend() -> None:
    """Fail early, without importing it (that takes time), when xllamacpp is missing."""
    import importlib.util

    if importlib.util.find_spec("xllamacpp") is None:
        raise UsageError(INSTALL_HINT)


def default_threads() -> int:
    value = os.environ.get("LLMCLI_LOCAL_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return DEFAULT_THREADS


class LocalServer:
    """`with LocalServer(model) as server: httpx.post(server.base_url + "/chat/completions")`."""

    def __init__(
        self,
        model: LocalModel,
        *,
        threads: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        embeddings: bool = False,
        context: int | None = None,
        log: IO[Any] | int | None = None,
        start_timeout: float = START_TIMEOUT,
        debug: Callable[[str], None] | None = None,
    ) -> None:
        self.model = model
        self.threads = threads or default_threads()
        self.host = host
        self.port = port
        self.embeddings = embeddings
        self.context = context or model.context
        self.start_timeout = start_timeout
        self.debug = debug
        self.root_url = ""
        self.started_in: float | None = None
        self._log_target = log
        self._log: IO[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # ---- the URLs clients use --------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base (`…/v1`): `/chat/completions`, `/embeddings`, …"""
        return self.root_url + "/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ---- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> LocalServer:
        require_backend()
        began = time.monotonic()
        config = {
            "model": str(self.model.path),
            "alias": self.model.alias,
            "context": self.context,
            "threads": self.threads,
            "host": self.host,
            "port": self.port,
            "embeddings": self.embeddings,
            "pooling": self.model.pooling,
        }
        env = dict(os.environ)
        env.setdefault("OMP_WAIT_POLICY", "passive")
        if self._log_target is None:
            # Kept open while the server runs: its log explains a failure.
            self._log = tempfile.TemporaryFile(prefix="llmcli-llama-server-")  # noqa: SIM115
            stderr: IO[Any] | int = self._log
        else:
            stderr = self._log_target
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "llmcli.local.worker", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            **_own_session(),
        )
        try:
            message = self._handshake(began + self.start_timeout)
            self.root_url = str(message["ready"]).rstrip("/")
            self._wait_healthy(began + self.start_timeout)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        if self.debug:
            self.debug(
                f"local server pid {self.pid} at {self.base_url} ({self.model.path},"
                f" {self.threads} thread{'s' if self.threads != 1 else ''},"
                f" context {self.context}) started in {self.started_in:.2f}s"
            )
        return self

    def wait(self) -> int:
        """Block until the server process ends (for `llmcli local serve`)."""
        assert self._proc is not None
        return self._proc.wait()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            if proc.stdin:
                with contextlib.suppress(OSError):
                    proc.stdin.close()  # the worker exits at EOF
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream:
                    with contextlib.suppress(OSError):
                        stream.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    # ---- start-up steps --------------------------------------------------------------

    def _handshake(self, deadline: float) -> dict[str, Any]:
        """The worker's one JSON line, or an error naming the reason from its log."""
        assert self._proc is not None and self._proc.stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=_pump, args=(self._proc.stdout, lines), daemon=True).start()
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise LocalServerError(
                f"the llama.cpp server did not start within {self.start_timeout:.0f} s"
                f"{self._because()}"
            ) from None
        try:
            message: dict[str, Any] = json.loads(line) if line else {}
        except ValueError:
            message = {}
        if message.get("ready"):
            return message
        if message.get("error") == "missing":
            raise UsageError(INSTALL_HINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=STOP_TIMEOUT)
        raise LocalServerError(
            f"the llama.cpp server could not start with {self.model.path.name}"
            f"{self._because(message.get('detail'))}"
        )

    def _wait_healthy(self, deadline: float) -> None:
        import httpx

        url = self.root_url + "/health"
        last = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while True:
                if not self.running:
                    raise LocalServerError(
                        f"the llama.cpp server stopped while starting{self._because()}"
                    )
                try:
                    response = client.get(url)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.TransportError as err:
                    last = str(err) or type(err).__name__
                if time.monotonic() > deadline:
                    raise LocalServerError(
                        f"the llama.cpp server at {self.root_url} was not healthy within"
                        f" {self.start_timeout:.0f} s ({last})"
                    )
                time.sleep(0.05)

    def log_text(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def _because(self, fallback: str | None = None) -> str:
        reason = failure_reason(self.log_text()) or fallback
        return f": {reason}" if reason else ""


# llama.cpp log lines: "0.00.004.200 E gguf_init_from_reader: invalid magic characters ...",
# "0.00.004.624 E cmn  common_init_: failed to load model '/tmp/x.gguf'".
_ERROR_LINE = re.compile(r"^\s*\d+(?:\.\d+)+\s+E\s+(?:[a-z]{2,4}\s+)?(?:[\w~<>]+:\s+)?(.+)$")


def failure_reason(log: str) -> str | None:
    """The first error llama.cpp logged (the cause; later ones are consequences), else
    the last line of a Python traceback."""
    lines = [line.rstrip() for line in log.splitlines() if line.strip()]
    for line in lines:
        match = _ERROR_LINE.match(line)
        if match:
            return match.group(1).strip()
    if lines and lines[0].startswith("Traceback"):
        return lines[-1].strip()
    return None


def _pump(stream: IO[bytes], lines: queue.Queue[bytes]) -> None:
    """Hand over the first line, then drain the pipe so the child can never block on it."""
    first = stream.readline()
    lines.put(first)
    try:
        for _ in iter(lambda: stream.read(65536), b""):
            pass
    except (OSError, ValueError):
        pass


def _own_session() -> dict[str, Any]:
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
