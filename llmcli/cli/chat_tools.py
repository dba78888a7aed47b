"""Chat's /tools command: the tool files offered (--tool) and the MCP servers' tools
(--mcp-server) are switched off and back on together (a mixin of the REPL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.mcp.tools import McpTools

TOOLS_HELP = "FILE|off|on: offer the tools in FILE; off: none (MCP servers' too); on: back"


class ToolCommands:
    """Needs the REPL's `s` (Session), `say` and `mcp` (the session's MCP servers)."""

    say: Callable[[str], object]
    mcp: McpTools | None
    tools_off = False
    _saved_files: list[str] | None = None  # the tool files /tools off put aside

    def _flags(self) -> Any:
        # The REPL's `s.flags`: the REPL module imports this one, so Session can't be.
        return getattr(self, "s").flags  # noqa: B009

    def live_mcp(self) -> McpTools | None:
        """The MCP tools to offer and run now: none while /tools is off. The servers keep
        running, so /tools on brings them back without a restart."""
        return None if self.tools_off else self.mcp

    def cmd_tools(self, arg: str) -> None:
        flags = self._flags()
        if arg in ("off", ""):
            if not self.tools_off:
                self._saved_files = list(flags.tools)
            flags.tools, self.tools_off = [], True
            self.say("no tools" + (" (MCP servers' tools off too)" if self.mcp else ""))
            return
        if arg == "on":
            if self.tools_off:
                flags.tools = [*(self._saved_files or []), *flags.tools]
            self.tools_off, self._saved_files = False, None
            self.say(self._status())
            return
        from llmcli.inputs import load_tools

        names = [t.name for t in load_tools([arg])]
        flags.tools = [*flags.tools, arg]
        self.say(f"tools: {', '.join(names)}")

    def _status(self) -> str:
        files = self._flags().tools
        parts = [f"{len(files)} tool file{'s' * (len(files) != 1)}"] if files else []
        if self.mcp is not None:
            parts.append("MCP servers' tools")
        return "tools on: " + (", ".join(parts) if parts else "none declared")
