"""Running the tools bound with `--tool-exec NAME=COMMAND`, after the user approves.

The command gets the call's arguments as JSON on stdin; its stdout is the result,
and a non-zero exit marks the result as an error for the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TextIO

from llmcli.errors import UsageError
from llmcli.events import ToolCallDone
from llmcli.request import ToolResultPart

TIMEOUT = 300.0


def parse_bindings(items: list[str]) -> dict[str, str]:
    bindings: dict[str, str] = {}
    for item in items:
        name, sep, command = item.partition("=")
        if not sep or not name.strip() or not command.strip():
            raise UsageError(f"invalid --tool-exec {item!r}: use NAME=COMMAND")
        bindings[name.strip()] = command.strip()
    return bindings


def run_tool(call: ToolCallDone, command: str, timeout: float = TIMEOUT) -> ToolResultPart:
    arguments = json.dumps(call.arguments, ensure_ascii=False)
    try:
        proc = subprocess.run(
            command, shell=True, input=arguments, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return ToolResultPart(
            tool_call_id=call.id,
            name=call.name,
            content=f"timed out after {timeout:g} s",
            is_error=True,
        )
    failed = proc.returncode != 0
    content = proc.stdout
    if failed:
        content += f"\n(exit status {proc.returncode}) {proc.stderr.strip()}".rstrip()
    return ToolResultPart(tool_call_id=call.id, name=call.name, content=content, is_error=failed)


class Approver:
    """Asks `y/n/a(lways)` on the terminal before each run; `--yes` skips the question."""

    def __init__(self, yes: bool) -> None:
        self.always: set[str] = set()
        self.yes = yes

    def approve(self, call: ToolCallDone, command: str) -> bool:
        if self.yes or call.name in self.always:
            return True
        tty = terminal()
        if tty is None:
            raise UsageError(
                f"the model called {call.name}, which needs approval: pass --yes to run bound "
                "tools without asking"
            )
        with tty:
            sys.stderr.write(
                f"run {call.name} {json.dumps(call.arguments)} with `{command}`? [y/n/a] "
            )
            sys.stderr.flush()
            answer = tty.readline().strip().lower()
        if answer in ("a", "always"):
            self.always.add(call.name)
            return True
        return answer in ("y", "yes")


def terminal() -> TextIO | None:
    """The controlling terminal, even when stdin is a pipe."""
    try:
        return open("/dev/tty")
    except OSError:
        return None


def refused(call: ToolCallDone) -> ToolResultPart:
    return ToolResultPart(
        tool_call_id=call.id,
        name=call.name,
        content="the user declined to run this tool",
        is_error=True,
    )
