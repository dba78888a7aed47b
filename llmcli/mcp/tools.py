"""The MCP tools of one run or chat session: offered in each request, run when called.

Servers are started once (by `start`); the same `McpTools` answers every step of the
tool loop (llmcli/cli/steps.py), so "always" answers last for the whole session. In
chat they start in the background while the first prompt is typed (`start_soon`), and
the first request waits for them.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from llmcli.errors import warn
from llmcli.events import ToolCallDone
from llmcli.mcp.approval import McpApprover
from llmcli.mcp.client import Hub, Running, ServerFailed, hub
from llmcli.mcp.names import McpTool, as_tools
from llmcli.mcp.results import failed, to_part
from llmcli.mcp.servers import ServerSpec
from llmcli.request import Tool, ToolResultPart

Outcomes = list[Running | ServerFailed]


class McpTools:
    def __init__(self, servers: list[Running], yes: bool, timeout: float, runner: Hub) -> None:
        self.servers = {s.spec.name: s for s in servers}
        self.approver = McpApprover(yes)
        self.timeout = timeout
        self.hub = runner
        self.by_name: dict[str, McpTool] = {}
        self.pending: Future[Outcomes] | None = None

    def _settle(self) -> None:
        """Servers started in the background: wait for them; a failure is one warning,
        said here on the main thread (not over a prompt being typed)."""
        if self.pending is None:
            return
        outcomes, self.pending = self.pending.result(), None
        for outcome in outcomes:
            if isinstance(outcome, Running):
                self.servers[outcome.spec.name] = outcome
            else:
                warn(f"{outcome}: going on without its tools")

    def tools(self, provider: str) -> list[Tool]:
        """The live servers' tools, named for `provider`."""
        self._settle()
        live = [t for s in self.servers.values() if not s.dead for t in s.tools]
        offered, by_name = as_tools(live, provider)
        self.by_name.update(by_name)  # names offered earlier stay callable
        return offered

    def owns(self, name: str) -> bool:
        return name in self.by_name

    def run(self, call: ToolCallDone) -> ToolResultPart:
        tool = self.by_name[call.name]
        running = self.servers[tool.server]
        if running.dead:
            return failed(call.id, call.name, tool.server, f"MCP server {tool.server} stopped")
        refusal = self.approver.refusal(call, tool, running.spec)
        if refusal is not None:
            return failed(call.id, call.name, tool.server, refusal)
        try:
            result = self.hub.call(running, tool.name, call.arguments, self.timeout)
        except TimeoutError:
            message = f"cancelled: no result within --tool-timeout {self.timeout:g} s"
            warn(f"{call.name}: {message}")
            return failed(call.id, call.name, tool.server, message)
        except ServerFailed as err:
            warn(f"{err}: going on without its tools")
            return failed(call.id, call.name, tool.server, f"MCP server {tool.server} stopped")
        return to_part(result, call.id, call.name, tool.server)


def start(specs: list[ServerSpec], yes: bool, timeout: float, *, fatal: bool) -> McpTools:
    """Start (or reuse) each enabled server, all at once. One that fails: an error when
    `fatal` (`complete`: nothing is sent), else one warning and the session goes on."""
    runner = hub()
    for spec in specs:
        if not spec.enabled:
            warn(f"MCP server {spec.name} is disabled in the config (enabled = false)")
    started: list[Running] = []
    for outcome in start_all(runner, [s for s in specs if s.enabled]):
        if isinstance(outcome, Running):
            started.append(outcome)
        elif fatal:
            raise outcome
        else:
            warn(f"{outcome}: going on without its tools")
    return McpTools(started, yes, timeout, runner)


def start_soon(specs: list[ServerSpec], yes: bool, timeout: float) -> McpTools:
    """`chat`: the servers start on a thread; the first request waits for them."""
    runner = hub()
    tools = McpTools([], yes, timeout, runner)
    enabled = [s for s in specs if s.enabled]
    for spec in specs:
        if not spec.enabled:
            warn(f"MCP server {spec.name} is disabled in the config (enabled = false)")
    future: Future[Outcomes] = Future()

    def work() -> None:
        try:
            future.set_result(start_all(runner, enabled))
        except BaseException as err:  # handed to the thread that waits for it
            future.set_exception(err)

    threading.Thread(target=work, name="llmcli-mcp-start", daemon=True).start()
    tools.pending = future
    return tools


def start_all(runner: Hub, specs: list[ServerSpec]) -> Outcomes:
    """Each server started, or why not, in order: started side by side, since each one
    spends seconds importing and starting (see bench/bench_mcp.py)."""

    def one(spec: ServerSpec) -> Running | ServerFailed:
        try:
            return runner.start(spec)
        except ServerFailed as err:
            return err

    if len(specs) < 2:
        return [one(spec) for spec in specs]
    from concurrent.futures import ThreadPoolExecutor

    runner.portal()  # made once, before the threads share it
    with ThreadPoolExecutor(len(specs)) as pool:
        return list(pool.map(one, specs))
