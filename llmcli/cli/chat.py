"""`llmcli chat`: the interactive REPL. Takes `complete`'s flags (spec.CHAT: all but the
one-shot ones)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from llmcli.cli import spec
from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.store_fragments import Use


@spec.signature(spec.CHAT, spec.argument("prompt", str | None, spec.PROMPT_HELP))
def chat(prompt: str | None = None, **given: Any) -> None:
    """Chat interactively (an optional first PROMPT is sent at once). /help lists commands."""
    if not sys.stdin.isatty():
        raise UsageError("chat needs a terminal: for pipes and scripts use `llmcli complete`")
    import platformdirs

    from llmcli.cli.repl import Repl, Session, prompt_session
    from llmcli.cli.runner import model_name, release_local_servers
    from llmcli.config import settings
    from llmcli.history import History

    flags = spec.Flags(**given)
    fragments: list[Use] = []
    if flags.template or flags.fragment or flags.system_fragment or flags.param:
        from llmcli.cli.templates import chat_start

        prompt, fragments = chat_start(prompt, flags)
    flags.log = flags.log and settings().log
    session = Session(flags=flags, history=History(flags.db).open() if flags.log else None)
    if session.history:
        session.history.use_fragments(fragments)
    if session.history and (flags.cid or flags.continue_latest):
        session.cid = session.history.resolve(flags.cid, flags.continue_latest)
        if session.cid:
            session.messages = session.history.load(session.cid)
            flags.model = flags.model or session.history.model(session.cid)
    flags.model = model_name(flags)
    from llmcli.cli.runner import send
    from llmcli.cli.window import Window

    session.window = Window(flags, session.history, lambda: session.cid, send)
    repl = Repl(session)
    repl.say(f"llmcli chat · {flags.model} · /help for commands, Ctrl-D to leave")
    try:  # a local/ model's llama.cpp server lives as long as the session
        if prompt:
            repl.handle(prompt)
        repl.loop(prompt_session(platformdirs.user_state_path("llmcli")))
    finally:
        release_local_servers()
