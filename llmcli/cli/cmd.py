"""`llmcli cmd TASK`: ask for one shell command, show it, and run it only when asked.

The request goes through the runner and engine as `complete`'s do (`runner.send`); the
prompt, the answer's shape, the deny-list and the menu are in llmcli/shellcmd/.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

import typer

from llmcli.cli import spec, spec_cmd

if TYPE_CHECKING:
    from llmcli.request import Message
    from llmcli.shellcmd.menu import Terminal
    from llmcli.shellcmd.prompt import Suggestion

TASK_HELP = "What the command should do. Piped stdin comes first, then a blank line, then it."


@spec.signature(spec_cmd.CMD, spec.argument("task", list[str] | None, TASK_HELP))
def cmd(task: list[str] | None = None, **given: Any) -> None:
    """Turn a task into a shell command; run it only after you choose [e]xecute."""
    shell = given.pop("shell_integration")
    if shell is not None:
        from llmcli.shellcmd.integration import SNIPPETS

        sys.stdout.write(SNIPPETS[getattr(shell, "value", shell)])
        return
    from llmcli.cli.complete import read_prompt

    flags = spec.Flags(**given)
    text = read_prompt(" ".join(task or []) or None)
    if flags.template or flags.param:  # a template's instructions replace the built-in ones
        from llmcli.cli.templates import chat_start

        text = chat_start(text, flags)[0] or text
    raise typer.Exit(CmdSession(flags).run(text))


class CmdSession:
    """One conversation: the first request, then describe/revise follow-ups, each stored."""

    def __init__(self, flags: spec.Flags) -> None:
        from llmcli.cli.runner import model_name
        from llmcli.config import settings
        from llmcli.history import History
        from llmcli.shellcmd.prompt import environment, system_prompt

        self.flags = flags
        self.env = environment()
        flags.model = model_name(flags)
        structured = _takes_schema(flags.model)
        if getattr(flags, spec.SYSTEM_SETTING) is None:  # -s replaces the built-in prompt
            setattr(flags, spec.SYSTEM_SETTING, system_prompt(self.env, structured))
        if structured:
            from llmcli.shellcmd.prompt import SCHEMA

            setattr(flags, spec.SCHEMA_SETTING, json.dumps(SCHEMA))
        flags.stream = False  # the answer is read whole, not shown as it streams
        flags.log = flags.log and settings().log
        self.history = History(flags.db).open() if flags.log else None
        self.cid: str | None = None
        self.conversation: list[Message] = []

    def ask(self, text: str) -> str:
        """Send `text` in this conversation; the answer's text (an error stops the run)."""
        from llmcli.cli.features import prompt_message
        from llmcli.cli.runner import send
        from llmcli.errors import LlmcliError
        from llmcli.history import assistant_message
        from llmcli.render import usage_line

        new = [prompt_message(text, self.flags)]
        outcome = send(self.flags, [*self.conversation, *new], _Quiet())
        if self.history is not None:
            self.cid = outcome.save(self.history, self.cid, new)
        result = outcome.result
        if self.flags.usage:
            sys.stderr.write(usage_line(result.usage) + "\n")
        if result.error:
            raise LlmcliError(result.error)
        self.conversation += [*new, assistant_message(result)]
        return result.content

    def suggest(self, text: str) -> Suggestion:
        from llmcli.errors import LlmcliError
        from llmcli.shellcmd.prompt import read_answer

        answer = self.ask(text)
        found = read_answer(answer)
        if found is None:
            raise LlmcliError("the answer holds no command: try rewording the task")
        return found

    def run(self, task: str) -> int:
        from llmcli.shellcmd.safety import denied

        found = self.suggest(task)
        warning = _warning(found, denied(found.command))
        # $(llmcli cmd ...) and | sh are the user's own decision: the command alone.
        tty_in = None if not sys.stdout.isatty() and not self.flags.yes else _terminal_input()
        if tty_in is None and not (self.flags.yes and not warning):
            if warning:
                sys.stderr.write(f"llmcli: warning: {warning}\n")
            sys.stdout.write(found.command + "\n")
            return 0
        return self._menu(found, warning, tty_in)

    def _menu(self, found: Suggestion, warning: str | None, tty_in: TextIO | None) -> int:
        from llmcli.render import colour_allowed
        from llmcli.shellcmd import menu
        from llmcli.shellcmd.prompt import REVISE
        from llmcli.shellcmd.safety import denied

        term = menu.Terminal(tty_in or sys.stdin, sys.stdout, colour_allowed(sys.stdout))
        term.show(found.command, warning)
        if self.flags.yes:
            ran = self._execute(term, found.command, warning)
            return 1 if ran is None else ran
        while True:
            choice = term.choose()
            if choice == "execute":
                code = self._execute(term, found.command, warning)
                if code is not None:
                    return code
            elif choice == "describe":
                term.say(found.explanation or self._describe())
            elif choice == "revise":
                change = term.line("What should change? ")
                if change and change.strip():
                    found = self.suggest(REVISE.format(change=change.strip()))
                    warning = _warning(found, denied(found.command))
                    term.show(found.command, warning)
            elif choice == "copy":
                tool = menu.copy(found.command, lambda c: term.say(c))
                if tool:
                    term.say(f"llmcli: copied with {tool}")
                return 0
            else:
                term.say("llmcli: aborted: nothing was run")
                return 1

    def _describe(self) -> str:
        """One more request; a structured answer's explanation, else the whole text."""
        from llmcli.shellcmd.prompt import DESCRIBE, read_answer

        text = self.ask(DESCRIBE)
        found = read_answer(text)
        structured = text.lstrip().startswith("{")
        return found.explanation if structured and found and found.explanation else text

    def _execute(self, term: Terminal, command: str, warning: str | None) -> int | None:
        """The command's exit code; None when a dangerous one was not confirmed."""
        from llmcli.shellcmd import menu

        if warning and not term.confirm(warning.split(": ", 1)[-1]):
            term.say("llmcli: not run")
            return None
        return menu.execute(self.env.shell_path, command)


def _warning(found: Suggestion, reason: str | None) -> str | None:
    if reason:
        return f"deny-listed: {reason}"
    if found.destructive:
        return "marked destructive by the model: may delete or overwrite data"
    return None


def _takes_schema(model: str) -> bool:
    """Structured output where the catalog says the model takes a schema."""
    from llmcli import catalog

    entry = catalog.find(model)
    return entry is not None and entry.has(spec.SCHEMA_SETTING)


def _terminal_input() -> TextIO | None:
    """Where the menu reads from: stdin when it is a terminal, else the controlling
    terminal (stdin may be the piped context); None without one."""
    if sys.stdin is not None and sys.stdin.isatty():
        return sys.stdin
    try:
        return open("/dev/tty")
    except OSError:
        return None


class _Quiet:
    """The answer is read whole and shown as a command, not rendered as it arrives."""

    def event(self, event: Any) -> None:
        pass

    def finish(self, result: Any) -> None:
        pass

    def close(self) -> None:
        pass
