"""Running MCP servers for a synchronous CLI.

The `mcp` SDK is async (anyio). One private event loop runs on a thread (anyio's
blocking portal); each server lives in one task there, which enters the transport and
the `ClientSession` and leaves them in the same task, as anyio's cancel scopes require.
The CLI calls into it with `portal.call`. Started once per run (once per chat session)
and stopped by `stop_all` (runner.release_local_servers) or at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TextIO

from llmcli.errors import LlmcliError
from llmcli.mcp.names import McpTool
from llmcli.mcp.servers import ServerSpec, log_path, resolve_env, resolve_headers

START_TIMEOUT = 60.0  # seconds for a server to start and list its tools (uvx may download)
STDERR_LINES = 3  # of a failed server's stderr, shown in its one-line message


class ServerFailed(LlmcliError):
    """A server did not start or died; the message names it and its last stderr lines."""


@dataclass
class Running:
    """A started server: its session (used from the portal's loop) and its tools."""

    spec: ServerSpec
    session: Any
    tools: list[McpTool]
    stop: Any  # anyio.Event: set to make the server's task leave its contexts
    task: Future[Any] = field(default_factory=Future)
    started_ms: int = 0
    dead: bool = False


class Hub:
    """The servers of this process, by name, on one event-loop thread."""

    def __init__(self) -> None:
        self.servers: dict[str, Running] = {}
        self._portal: Any = None
        self._thread: threading.Thread | None = None

    def portal(self) -> Any:
        if self._portal is None:
            self._portal, self._thread = _loop_thread()
        return self._portal

    def start(self, spec: ServerSpec, timeout: float = START_TIMEOUT) -> Running:
        """The running server of this name (started now if it is not yet)."""
        running = self.servers.get(spec.name)
        if running is not None and not running.dead:
            return running
        began = time.monotonic()
        try:
            task, started = self.portal().start_task(_serve, spec, timeout)
        except Exception as err:  # whatever the transport or the server raised
            raise ServerFailed(failure_line(spec, err)) from None
        running = started if isinstance(started, Running) else None
        assert running is not None  # what _serve passes to task_status.started
        running.task = task
        running.started_ms = int((time.monotonic() - began) * 1000)
        self.servers[spec.name] = running
        return running

    def call(self, running: Running, tool: str, arguments: Any, timeout: float) -> Any:
        """The tool's `CallToolResult`; TimeoutError past `timeout` (the call is cancelled)."""
        args = arguments if isinstance(arguments, dict) else {}
        try:
            return self.portal().call(_call, running.session, tool, args, timeout)
        except TimeoutError:
            raise
        except Exception as err:
            running.dead = True
            raise ServerFailed(failure_line(running.spec, err)) from None

    def stop_all(self) -> None:
        for running in self.servers.values():
            with contextlib.suppress(Exception):
                self._portal.call(running.stop.set)
                running.task.result(timeout=5)
        self.servers.clear()
        if self._portal is not None:
            with contextlib.suppress(Exception):
                self._portal.call(self._portal.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._portal = self._thread = None


def _loop_thread() -> tuple[Any, threading.Thread]:
    """A blocking portal on a daemon thread: anyio's `start_blocking_portal` runs on a
    non-daemon worker that the interpreter joins at exit before `atexit` handlers run,
    so a run that ended with an error would wait for servers nobody stops."""
    import queue

    import anyio
    from anyio.from_thread import BlockingPortal

    ready: queue.Queue[Any] = queue.Queue()

    async def serve() -> None:
        async with BlockingPortal() as portal:
            ready.put(portal)
            await portal.sleep_until_stopped()

    thread = threading.Thread(target=anyio.run, args=(serve,), name="llmcli-mcp", daemon=True)
    thread.start()
    return ready.get(), thread


async def _serve(spec: ServerSpec, timeout: float, *, task_status: Any) -> None:
    import anyio
    from mcp import ClientSession

    stop = anyio.Event()
    # The deadline covers start-up only; the scope must enclose the transport's task
    # groups (entered below), so it is lifted once the tools are listed.
    with anyio.CancelScope(deadline=anyio.current_time() + timeout) as scope:
        with _stderr_log(spec) as errlog:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(_transport(spec, errlog))
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                tools = await _list_tools(session, spec)
                scope.deadline = math.inf
                task_status.started(Running(spec, session, tools, stop))
                await stop.wait()
    if scope.cancelled_caught:
        raise TimeoutError("no answer in time")


def _transport(spec: ServerSpec, errlog: TextIO) -> Any:
    if spec.url:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        # The SDK's own client factory (its ClientSessionGroup uses it too): the MCP
        # timeouts (30 s, 300 s reads for held-open streams), with the server's headers.
        client = create_mcp_http_client(headers=resolve_headers(spec))
        return streamable_http_client(spec.url, http_client=client)
    from mcp import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=spec.command[0], args=spec.command[1:], env=resolve_env(spec) or None, cwd=spec.cwd
    )
    return stdio_client(params, errlog=errlog)


async def _list_tools(session: Any, spec: ServerSpec) -> list[McpTool]:
    tools: list[McpTool] = []
    cursor = None
    while True:
        from mcp.types import PaginatedRequestParams

        params = PaginatedRequestParams(cursor=cursor) if cursor else None
        listed = await session.list_tools(params=params)
        for tool in listed.tools:
            if tool.name in spec.deny:
                continue
            tools.append(McpTool(spec.name, tool.name, tool.description, tool.input_schema))
        cursor = listed.next_cursor
        if not cursor:
            return tools


async def _call(session: Any, tool: str, arguments: dict[str, Any], timeout: float) -> Any:
    """The result; a JSON-RPC error from a live server (unknown tool, bad arguments) as an
    error result, since the model can correct itself. A closed connection raises."""
    import anyio
    from mcp.shared.exceptions import MCPError
    from mcp.types import CallToolResult, TextContent
    from mcp_types import CONNECTION_CLOSED

    try:
        with anyio.fail_after(timeout):  # cancelling the request sends notifications/cancelled
            return await session.call_tool(tool, arguments)
    except MCPError as err:
        if err.code == CONNECTION_CLOSED:
            raise
        text = f"MCP error {err.code}: {err.error.message}"
        return CallToolResult(content=[TextContent(text=text)], is_error=True)


@contextlib.contextmanager
def _stderr_log(spec: ServerSpec) -> Iterator[TextIO]:
    path = log_path(spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as log:
        yield log


def last_stderr(name: str, count: int = STDERR_LINES) -> list[str]:
    try:
        text = log_path(name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()][-count:]


def failure_line(spec: ServerSpec, err: BaseException) -> str:
    reason = _reason(err)
    tail = " | ".join(last_stderr(spec.name)) if not spec.url else ""
    line = f"MCP server {spec.name} ({spec.where}) failed: {reason}"
    return f"{line}; stderr: {tail}" if tail else line


def _reason(err: BaseException) -> str:
    """The innermost cause of an exception group (anyio task groups wrap them)."""
    while getattr(err, "exceptions", None):  # an ExceptionGroup (not on Python 3.10)
        err = err.exceptions[0]  # type: ignore[attr-defined]
    if isinstance(err, TimeoutError):
        return "no answer in time"
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


_hub: Hub | None = None
_registered = False


def hub() -> Hub:
    """This process's servers (stopped at exit if nobody stopped them before)."""
    global _hub, _registered
    if _hub is None:
        _hub = Hub()
    if not _registered:
        _registered = True
        atexit.register(stop_all)
    return _hub


def stop_all() -> None:
    global _hub
    if _hub is not None:
        _hub.stop_all()
        _hub = None
