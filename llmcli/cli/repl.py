"""The interactive chat loop: read a prompt or a slash command, stream the answer, keep history.

Ctrl-C while an answer streams cancels only that answer (the partial text is kept,
on screen and in history, marked interrupted); Ctrl-C at the prompt clears it;
Ctrl-D exits. A provider error prints one line and the conversation goes on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.cli.chat_prompts import PROMPT_COMMANDS, PromptCommands
from llmcli.cli.chat_tools import TOOLS_HELP, ToolCommands
from llmcli.cli.runner import Fitter, Outcome, make_renderer, send
from llmcli.cli.spec import Flags, spoken
from llmcli.cli.steps import ToolSteps, start_mcp
from llmcli.controls import for_stream
from llmcli.errors import LlmcliError, UsageError
from llmcli.events import Usage
from llmcli.history import History, assistant_message
from llmcli.request import AttachmentPart, Message, TextPart, dump, user_message

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output
    from rich.live import Live

COMMANDS: dict[str, str] = {
    "/help": "show this help",
    "/model": "NAME: switch model (e.g. /model anthropic/claude-sonnet-4-5)",
    "/system": "TEXT: set the system prompt (no TEXT: clear it)",
    "/thinking": "on|off|BUDGET: extended thinking",
    "/effort": "none|low|medium|high|off: reasoning effort",
    "/attach": "PATH|URL: attach a file to the next prompt",
    "/schema": "FILE|off: answer as JSON valid for a schema",
    "/tools": TOOLS_HELP,
    "/cache": "on|off: cache the system prompt and tools",
    "/retry": "regenerate the last answer",
    "/undo": "drop the last exchange",
    "/new": "start a new conversation",
    "/history": "show this conversation compactly",
    "/save": "FILE.md: save this conversation as markdown",
    "/usage": "tokens and cost so far",
    **PROMPT_COMMANDS,
    "/exit": "leave (Ctrl-D works too)",
}
EFFORTS = ("none", "low", "medium", "high")


def parse_command(line: str) -> tuple[str, str] | None:
    """`/model  x y` → ("/model", "x y"); None when the line is a prompt, not a command."""
    text = line.strip()
    if not text.startswith("/") or text.startswith("//"):
        return None
    name, _, arg = text.partition(" ")
    return name.lower(), arg.strip()


def unquote_block(text: str) -> str:
    """A pasted `\"\"\"` block → its inner text."""
    inner = text.strip()[3:]
    return inner[:-3] if inner.endswith('"""') else inner


@dataclass
class Session:
    flags: Flags
    messages: list[Message] = field(default_factory=list)
    pending: list[AttachmentPart] = field(default_factory=list)
    cid: str | None = None
    totals: Usage = field(default_factory=Usage)
    history: History | None = None
    window: Fitter | None = None  # --context (cli/window.py)


class Repl(PromptCommands, ToolCommands):
    def __init__(self, session: Session, out: Callable[[str], None] | None = None) -> None:
        self.s = session
        # Errors quote servers: control characters are shown, not obeyed, on a terminal.
        self.say = out or (lambda text: sys.stderr.write(for_stream(text + "\n", sys.stderr)))
        self.running = True
        # MCP servers start once per session; one that fails leaves a warning, not an end.
        self.mcp = start_mcp(session.flags, fatal=False)

    # ---- turns ------------------------------------------------------------------------

    def ask(self, text: str) -> None:
        """Send one prompt with the conversation so far and keep what comes back; bound
        tools (--tool-exec) run between answers as in `complete`."""
        prompt = user_message(text)
        if self.s.pending:
            prompt = Message(role="user", parts=[*self.s.pending, *prompt.parts])
            self.s.pending = []
        flags, mcp = self.s.flags, self.live_mcp()
        steps = ToolSteps(flags.tool_exec, flags.yes, flags.max_steps, mcp, flags.tool_timeout)
        new = [prompt]
        while new:
            outcome = self._send([*self.s.messages, *new])
            if outcome is None:
                return
            self.s.messages += [*new, assistant_message(outcome.result)]
            if self.s.history and self.s.flags.log:
                self.s.cid = outcome.save(self.s.history, self.s.cid, new)
            self.s.totals.add(outcome.result.usage)
            if outcome.result.interrupted:
                self.say("(interrupted: the partial answer was kept)")
                return
            if outcome.result.error:
                self.say(f"llmcli: {outcome.result.error}")
                return
            new = steps.next_messages(outcome.result)

    def _send(self, messages: list[Message]) -> Outcome | None:
        spinner = _Spinner()
        try:
            renderer = make_renderer(self.s.flags)
            return send(
                self.s.flags,
                messages,
                renderer,
                spinner.stop,
                mcp=self.live_mcp(),
                window=self.s.window,
            )
        except KeyboardInterrupt:
            self.say("(interrupted)")
        except LlmcliError as err:
            self.say(f"llmcli: {spoken(err)}")
        finally:
            spinner.stop()
        return None

    # ---- commands ---------------------------------------------------------------------

    def handle(self, line: str) -> None:
        command = parse_command(line)
        if command is None:
            self.ask(unquote_block(line) if line.lstrip().startswith('"""') else line)
            return
        name, arg = command
        method = getattr(self, "cmd_" + name[1:], None)
        if name not in COMMANDS or method is None:
            self.say(f"unknown command {name}: type /help for the list")
            return
        try:
            method(arg)
        except UsageError as err:
            self.say(f"llmcli: {spoken(err)}")

    def cmd_help(self, arg: str) -> None:
        width = max(len(c) for c in COMMANDS)
        for name, text in COMMANDS.items():
            self.say(f"  {name.ljust(width)}  {text}")
        self.say('  Enter sends; Alt-Enter or Esc Enter adds a line; """ starts a pasted block.')

    def cmd_model(self, arg: str) -> None:
        if not arg:
            self.say(f"model: {self.s.flags.model}")
            return
        from llmcli import providers

        providers.route(arg, self.s.flags.api_base)  # raises with the known prefixes
        self.s.flags.model = arg
        self.say(f"model: {arg}")

    def cmd_system(self, arg: str) -> None:
        self.s.flags.system = arg or None
        self.say("system prompt set" if arg else "system prompt cleared")

    def cmd_thinking(self, arg: str) -> None:
        flags = self.s.flags
        if arg in ("on", ""):
            flags.thinking = True
        elif arg == "off":
            flags.thinking, flags.thinking_budget = False, None
        elif arg.isdigit() and int(arg) > 0:
            flags.thinking, flags.thinking_budget = True, int(arg)
        else:
            raise UsageError("use /thinking on, /thinking off or /thinking BUDGET")
        self.say(f"thinking: {'on' if flags.thinking else 'off'}")

    def cmd_effort(self, arg: str) -> None:
        if arg == "off":
            self.s.flags.reasoning_effort = None
        elif arg in EFFORTS:
            self.s.flags.reasoning_effort = arg
        else:
            raise UsageError("use /effort none|low|medium|high|off")
        self.say(f"reasoning effort: {arg}")

    def cmd_attach(self, arg: str) -> None:
        if not arg:
            raise UsageError("use /attach PATH or /attach URL")
        from llmcli.cli.features import read_cap
        from llmcli.inputs import load_attachment

        part = load_attachment(arg, self.s.flags.attach_type, read_cap(self.s.flags))
        self.s.pending.append(part)
        self.say(f"attached {part.name} ({part.mime}) to the next prompt")

    def cmd_schema(self, arg: str) -> None:
        from llmcli.cli.features import use_schema

        use_schema(self.s.flags, None if arg in ("off", "") else arg)
        self.say("schema off" if arg in ("off", "") else f"answers must match {arg}")

    def cmd_cache(self, arg: str) -> None:
        if arg not in ("on", "off"):
            raise UsageError("use /cache on or /cache off")
        self.s.flags.cache_system = self.s.flags.cache_tools = arg == "on"
        self.say(f"prompt caching {arg}")

    def cmd_retry(self, arg: str) -> None:
        prompt = self._drop_last()
        if prompt is None:
            self.say("nothing to retry yet")
            return
        self.s.pending = [p for p in prompt.parts if isinstance(p, AttachmentPart)]
        self.ask(prompt.text)

    def cmd_undo(self, arg: str) -> None:
        if self._drop_last() is None:
            self.say("nothing to undo")
            return
        self.say("dropped the last exchange")

    def _drop_last(self) -> Message | None:
        """Drop the last exchange: the last prompt the user typed and everything after it
        (tool calls and results included). Returns that prompt."""
        starts = [
            i
            for i, m in enumerate(self.s.messages)
            if m.role == "user" and any(isinstance(p, TextPart) for p in m.parts)
        ]
        if not starts:
            return None
        prompt = self.s.messages[starts[-1]]
        self.s.messages = self.s.messages[: starts[-1]]
        if self.s.history and self.s.cid:
            from llmcli import store

            store.drop_last_exchange(self.s.history.db, self.s.cid)
        return prompt

    def cmd_new(self, arg: str) -> None:
        self.s.messages, self.s.cid = [], None
        self.say("new conversation")

    def cmd_history(self, arg: str) -> None:
        if not self.s.messages:
            self.say("(empty conversation)")
        for message in self.s.messages:
            who = "you" if message.role == "user" else "assistant"
            text = " ".join(message.text.split())
            self.say(f"{who}: {text[:100] + '…' if len(text) > 100 else text}")

    def cmd_save(self, arg: str) -> None:
        if not arg:
            raise UsageError("use /save FILE.md")
        from llmcli.cli.logs import conversation_markdown

        data = {
            "id": self.s.cid or "(not logged)",
            "title": self.s.messages[0].text[:60] if self.s.messages else "(empty)",
            "model": self.s.flags.model,
            "created_at": time.time(),
            "messages": [dump(m) for m in self.s.messages],
        }
        path = Path(arg).expanduser()
        path.write_text(conversation_markdown(data))
        self.say(f"saved {path}")

    def cmd_usage(self, arg: str) -> None:
        from llmcli.render import usage_line

        self.say(usage_line(self.s.totals))

    def cmd_exit(self, arg: str) -> None:
        self.running = False

    # ---- input ------------------------------------------------------------------------

    def loop(self, session: PromptSession[str]) -> None:
        while self.running:
            try:
                line = session.prompt("> ")
                if line.lstrip().startswith('"""') and not _closed_block(line):
                    line = self._read_block(session, line)
            except KeyboardInterrupt:
                continue  # Ctrl-C at the prompt clears it
            except EOFError:
                break
            if line.strip():
                self.handle(line)

    def _read_block(self, session: PromptSession[str], first: str) -> str:
        lines = [first]
        while not lines[-1].rstrip().endswith('"""') or len(lines) == 1:
            lines.append(session.prompt("… "))
        return "\n".join(lines)


def _closed_block(line: str) -> bool:
    text = line.strip()
    return len(text) >= 6 and text.endswith('"""')


class _Spinner:
    """A spinner on stderr until the first token arrives (only on a terminal)."""

    def __init__(self) -> None:
        self._live: Live | None = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.live import Live
            from rich.spinner import Spinner

            # No stdout/stderr redirection: the renderer writes to the real streams.
            self._live = Live(
                Spinner("dots", "waiting for the model…", style="dim"),
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def prompt_session(
    state_dir: Path, input: Input | None = None, output: Output | None = None
) -> PromptSession[str]:
    """prompt-toolkit input: persistent history, emacs keys, Alt-Enter for a new line,
    completion of slash commands, model prefixes and paths."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    state_dir.mkdir(parents=True, exist_ok=True)
    keys = KeyBindings()

    @keys.add("escape", "enter")
    def _newline(event):  # type: ignore[no-untyped-def]
        event.current_buffer.insert_text("\n")

    return PromptSession(
        history=FileHistory(str(state_dir / "chat_history")),
        key_bindings=keys,
        completer=_completer(),
        complete_while_typing=False,
        enable_open_in_editor=True,  # Ctrl-X Ctrl-E: the message in $VISUAL/$EDITOR
        input=input,
        output=output,
    )


def _completer() -> Completer:
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    from llmcli import providers

    paths = PathCompleter(expanduser=True)

    class SlashCompleter(Completer):
        def get_completions(self, document, complete_event):  # type: ignore[no-untyped-def]
            text = document.text_before_cursor
            if " " not in text and text.startswith("/"):
                for name in COMMANDS:
                    if name.startswith(text):
                        yield Completion(name, start_position=-len(text))
                return
            command, _, arg = text.partition(" ")
            if command == "/model":
                for prefix in providers.PROVIDERS:
                    if f"{prefix}/".startswith(arg):
                        yield Completion(f"{prefix}/", start_position=-len(arg))
            elif command in ("/save", "/attach", "/schema", "/tools"):
                yield from paths.get_completions(Document(arg), complete_event)

    return SlashCompleter()
