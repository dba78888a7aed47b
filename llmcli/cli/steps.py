"""Tool-calling runs: the bound tools (--tool-exec) run between answers, once approved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcli.errors import warn
from llmcli.events import Result, Usage
from llmcli.request import Message, Part

if TYPE_CHECKING:
    from llmcli.tool_exec import Approver


class ToolSteps:
    """Runs bound tool calls between answers and adds up usage over all steps."""

    def __init__(self, tool_exec: list[str], yes: bool, max_steps: int) -> None:
        self.bindings: dict[str, str] = {}
        self.approver: Approver | None = None
        if tool_exec:
            # Only a run with bound tools needs tool_exec (and subprocess): others skip it.
            from llmcli.tool_exec import Approver, parse_bindings

            self.bindings = parse_bindings(tool_exec)
            self.approver = Approver(yes)
        self.left = max_steps
        self.usage = Usage()

    def count(self, result: Result) -> None:
        self.usage.add(result.usage)

    def next_messages(self, result: Result) -> list[Message]:
        """The tool results to send back, or [] when the run is over."""
        calls = result.tool_calls
        if not calls or result.error or not self.bindings:
            return []
        unbound = [c.name for c in calls if c.name not in self.bindings]
        if unbound:
            warn(f"not run (no --tool-exec for {', '.join(unbound)}): the calls are printed")
            return []
        self.left -= 1
        if self.left <= 0:
            warn("stopped: --max-steps reached with tool calls pending")
            return []
        from llmcli.request import ToolResultPart
        from llmcli.tool_exec import refused, run_tool

        assert self.approver is not None  # set with the bindings
        results: list[Part] = []
        for call in calls:
            command = self.bindings[call.name]
            approved = self.approver.approve(call, command)
            part: ToolResultPart = run_tool(call, command) if approved else refused(call)
            results.append(part)
        return [Message(role="user", parts=results)]
