"""Templates and fragments in `batch run`: the command line's -t, -p, -f and --sf apply to
every line, and a plain line may add its own `template`, `param` (an object of
variables), `fragment` and `system_fragment` (batch/lines.py), a line's template winning
over -t and its variables over -p. Every line's prompt is built once before anything is
sent (a missing variable is `line N: ...`, exit 2), then again as it is sent; each source
is read once per run. Imported by `--help` (through cli/batch): nothing heavy at the top."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.batch.lines import Item
    from llmcli.cli.spec import Flags
    from llmcli.fragments import Fragment


class LinePrompts:
    def __init__(self, stdin_is_input: bool = False) -> None:
        self.stdin_is_input = stdin_is_input  # then `-f -` has nothing to read
        self._read: dict[str, list[Fragment]] = {}
        self._lock = threading.Lock()  # lines are sent from a pool

    def apply(self, flags: Flags, item: Item) -> None:
        """Build `item`'s prompt into its messages; `flags` (the line's own copy) takes
        what the template sets and the line and command line left unset."""
        parts = item.prompt_parts
        flags.template = parts.get("template") or flags.template
        flags.param = [*flags.param, *(f"{k}={v}" for k, v in parts.get("param", {}).items())]
        flags.fragment = [*flags.fragment, *parts.get("fragment", [])]
        flags.system_fragment = [*flags.system_fragment, *parts.get("system_fragment", [])]
        if not (flags.template or flags.param or flags.fragment or flags.system_fragment):
            return
        from llmcli.cli.templates import build_prompt
        from llmcli.request import Message, TextPart

        text, _ = build_prompt(_given(item), flags, self._gather)
        item.messages = [Message(role="user", parts=[TextPart(text=text)])]

    def _gather(
        self, sources: list[str], allow_commands: bool, timeout: float, retries: int
    ) -> list[Fragment]:
        from llmcli.fragments import gather

        found: list[Fragment] = []
        for source in sources:
            if source == "-" and self.stdin_is_input:
                raise UsageError("-f -: stdin is the batch input: give the fragment as a file")
            with self._lock:  # one read (fetch, command) per source, whichever line asks
                if source not in self._read:
                    self._read[source] = gather([source], allow_commands, timeout, retries)
                found += self._read[source]
        return found


def _given(item: Item) -> str | None:
    """The line's prompt: none, or one user message of text (what a template fills)."""
    from llmcli.request import TextPart

    if not item.messages:
        return None
    only = item.messages[0]
    if len(item.messages) > 1 or not all(isinstance(p, TextPart) for p in only.parts):
        raise UsageError('a template or fragments need "prompt", not "messages"')
    return only.text
