"""Chat's prompt commands: /template, /edit and /copy (a mixin of the REPL, kept apart so
the REPL module stays one screenful of turns and settings)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.request import Message

PROMPT_COMMANDS = {
    "/template": "NAME [TEXT]: use a template's settings (TEXT: send its prompt with it)",
    "/edit": "write the next message in $VISUAL or $EDITOR",
    "/copy": "copy the last answer's last code block to the clipboard",
}
# The clipboard tools tried, in order: macOS, Wayland, X11 (two), Windows and WSL.
_CLIPBOARDS = (
    ("pbcopy",),
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
    ("clip.exe",),
)


class PromptCommands:
    """Needs the REPL's `s` (Session), `say` and `ask`."""

    say: Callable[[str], object]
    ask: Callable[[str], None]

    def _session(self) -> Any:
        # The REPL's `s` (a Session): declared here, it would be retyped there, and the
        # REPL module imports this one, so Session cannot be imported back.
        return getattr(self, "s")  # noqa: B009

    def _messages(self) -> list[Message]:
        messages: list[Message] = self._session().messages
        return messages

    def cmd_template(self, arg: str) -> None:
        from llmcli.cli.templates import template_turn, turn_fragments

        name, _, text = arg.partition(" ")
        if not name:
            raise UsageError("/template NAME [TEXT]: see `llmcli templates list`")
        session = self._session()
        prompt, sources = template_turn(name, text.strip() or None, session.flags)
        self.say(f"template {name} in use")
        if prompt:
            prompt, uses = turn_fragments(prompt, sources, session.flags)
            if session.history:
                session.history.use_fragments(uses)
            self.ask(prompt)

    def cmd_edit(self, arg: str) -> None:
        from llmcli.cli.templates import edit_prompt
        from llmcli.errors import LlmcliError

        try:
            text = edit_prompt(arg)
        except LlmcliError as err:
            self.say(f"llmcli: {err}")
            return
        self.ask(text)

    def cmd_copy(self, arg: str) -> None:
        from llmcli.templates.extract import pick

        answers = [m for m in self._messages() if m.role == "assistant"]
        text = "".join(getattr(p, "text", "") for p in answers[-1].parts) if answers else ""
        block = pick(text, last=True)
        if block is None:
            self.say("no code block in the last answer")
            return
        tool = next((t for t in _CLIPBOARDS if shutil.which(t[0])), None)
        if tool is None:
            self.say("no clipboard tool found (pbcopy, wl-copy, xclip, xsel or clip.exe)")
            return
        done = subprocess.run(tool, input=block, text=True, check=False)
        self.say("copied" if done.returncode == 0 else f"{tool[0]} failed ({done.returncode})")
