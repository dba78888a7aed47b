"""Tool-calling runs: the bound tools (--tool-exec) and the tools of MCP servers
(--mcp-server) run between answers, once approved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcli.errors import warn
from llmcli.events import Result, Usage
from llmcli.request import Message, Part

if TYPE_CHECKING:
    from llmcli.cli.spec import Flags
    from llmcli.mcp.tools import McpTools
    from llmcli.tool_exec import Approver


class ToolSteps:
    """Runs bound tool calls between answers and adds up usage over all steps."""

    def __init__(
        self,
        tool_exec: list[str],
        yes: bool,
        max_steps: int,
        mcp: McpTools | None = None,
        timeout: float | None = None,
    ) -> None:
        self.bindings: dict[str, str] = {}
        self.approver: Approver | None = None
        if tool_exec:
            # Only a run with bound tools needs tool_exec (and subprocess): others skip it.
            from llmcli.tool_exec import Approver, parse_bindings

            self.bindings = parse_bindings(tool_exec)
            self.approver = Approver(yes)
        self.mcp = mcp
        self.timeout = timeout
        self.left = max_steps
        self.usage = Usage()

    def count(self, result: Result) -> None:
        self.usage.add(result.usage)

    def _runs(self, name: str) -> bool:
        return name in self.bindings or (self.mcp is not None and self.mcp.owns(name))

    def next_messages(self, result: Result) -> list[Message]:
        """The tool results to send back, or [] when the run is over."""
        calls = result.tool_calls
        if not calls or result.error or not (self.bindings or self.mcp):
            return []
        unbound = [c.name for c in calls if not self._runs(c.name)]
        if unbound:
            warn(f"not run (no --tool-exec for {', '.join(unbound)}): the calls are printed")
            return []
        self.left -= 1
        if self.left <= 0:
            warn("stopped: --max-steps reached with tool calls pending")
            return []
        from llmcli.request import ToolResultPart
        from llmcli.tool_exec import TIMEOUT, refused, run_tool

        results: list[Part] = []
        for call in calls:
            if self.mcp is not None and self.mcp.owns(call.name):
                results.append(self.mcp.run(call))
                continue
            assert self.approver is not None  # set with the bindings
            command = self.bindings[call.name]
            approved = self.approver.approve(call, command)
            timeout = self.timeout or TIMEOUT
            part: ToolResultPart = run_tool(call, command, timeout) if approved else refused(call)
            results.append(part)
        return [Message(role="user", parts=results)]


def start_mcp(flags: Flags, *, fatal: bool) -> McpTools | None:
    """The MCP servers chosen with --mcp-server, started (None when there are none). Not
    `fatal` (chat): started in the background, a failure a warning at the first request."""
    if not flags.mcp_server:
        return None
    from llmcli.config import settings
    from llmcli.mcp.servers import select
    from llmcli.mcp.tools import start

    specs = select(flags.mcp_server, settings())
    if not fatal:  # chat: they start while the first prompt is typed
        from llmcli.mcp.tools import start_soon

        return start_soon(specs, flags.yes, flags.tool_timeout)
    return start(specs, flags.yes, flags.tool_timeout, fatal=fatal)
