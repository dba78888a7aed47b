"""Whether an MCP tool call runs: `--yes`, the server's `allow` list, an earlier "always",
or the user's answer on the terminal. Without a terminal (a pipe, a script) a tool that
is not allowed is refused back to the model, which can answer without it."""

from __future__ import annotations

import json
import sys

from llmcli.errors import LlmcliError, warn
from llmcli.events import ToolCallDone
from llmcli.mcp.names import McpTool
from llmcli.mcp.servers import ServerSpec
from llmcli.tool_exec import terminal

QUESTION = "[y/n/a/s] (a: always in this run, s: always, saved in the config) "


class McpApprover:
    def __init__(self, yes: bool) -> None:
        self.yes = yes
        self.always: set[tuple[str, str]] = set()

    def refusal(self, call: ToolCallDone, tool: McpTool, spec: ServerSpec) -> str | None:
        """None when the call may run, else what the model is told instead of a result."""
        key = (tool.server, tool.name)
        if self.yes or tool.name in spec.allow or key in self.always:
            return None
        tty = terminal()
        if tty is None:
            return (
                f"not run: {tool.name} on MCP server {tool.server} needs the user's approval "
                "and there is no terminal to ask on (the user can allow it in the config, "
                f"[mcp.servers.{tool.server}] allow, or pass --yes)"
            )
        with tty:
            arguments = json.dumps(call.arguments, ensure_ascii=False)
            sys.stderr.write(f"run {call.name} {arguments} (MCP server {tool.server})? {QUESTION}")
            sys.stderr.flush()
            answer = tty.readline().strip().lower()
        if answer in ("a", "always"):
            self.always.add(key)
        elif answer in ("s", "save"):
            self.always.add(key)
            self._save(tool, spec)
        elif answer not in ("y", "yes"):
            return "the user declined to run this tool"
        return None

    def _save(self, tool: McpTool, spec: ServerSpec) -> None:
        """Add the tool to `[mcp.servers.NAME] allow` in the config file."""
        if not spec.configured:
            warn(f"not saved: {spec.name} is not in the config ([mcp.servers.{spec.name}])")
            return
        from llmcli.config import config_path, set_value

        spec.allow.append(tool.name)
        try:
            set_value(f"mcp.servers.{spec.name}.allow", json.dumps(spec.allow))
        except LlmcliError as err:
            warn(f"not saved: {err}")
            return
        warn(f"{tool.name} of {spec.name} runs without asking from now on ({config_path()})")
