"""`llmcli chat`: the interactive REPL. Takes the request flags of `complete`."""

from __future__ import annotations

import inspect
import sys
import typing
from typing import Any

from llmcli.cli.complete import complete
from llmcli.errors import UsageError

# Flags of `complete` that make no sense in a conversation on a terminal.
_NOT_FOR_CHAT = {"json", "suffix", "text_completion"}


def chat(prompt: str | None = None, **given: Any) -> None:
    """Chat interactively (an optional first PROMPT is sent at once). /help lists commands."""
    if not sys.stdin.isatty():
        raise UsageError("chat needs a terminal: for pipes and scripts use `llmcli complete`")
    import platformdirs

    from llmcli.cli.flags import Flags
    from llmcli.cli.runner import model_name, release_local_servers
    from llmcli.config import settings
    from llmcli.history import History
    from llmcli.repl import Repl, Session, prompt_session

    flags = Flags(**given)
    flags.log = flags.log and settings().log
    session = Session(flags=flags, history=History(flags.db) if flags.log else None)
    if session.history and (flags.cid or flags.continue_latest):
        session.cid = session.history.resolve(flags.cid, flags.continue_latest)
        if session.cid:
            session.messages = session.history.load(session.cid)
            flags.model = flags.model or session.history.model(session.cid)
    flags.model = model_name(flags)
    repl = Repl(session)
    repl.say(f"llmcli chat · {flags.model} · /help for commands, Ctrl-D to leave")
    try:  # a local/ model's llama.cpp server lives as long as the session
        if prompt:
            repl.handle(prompt)
        repl.loop(prompt_session(platformdirs.user_state_path("llmcli")))
    finally:
        release_local_servers()


def _share_flags() -> None:
    """Give `chat` the parameters of `complete` (declared once), minus `_NOT_FOR_CHAT`."""
    hints = typing.get_type_hints(complete, include_extras=True)
    params = [
        p.replace(annotation=hints[p.name])
        for p in inspect.signature(complete).parameters.values()
        if p.name not in _NOT_FOR_CHAT
    ]
    chat.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    chat.__annotations__ = {p.name: p.annotation for p in params}


_share_flags()
