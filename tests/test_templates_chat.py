"""A template's `fragments` in chat: with `chat -t` and `/template NAME TEXT`, sent before
its prompt as `complete -t` sends them, and linked in the history."""

from __future__ import annotations

import sqlite3

from tests.samples import openai_reply
from tests.test_templates import user_text, write_template


def test_chat_slash_template_sends_its_fragments_and_links_them(
    server, cli_env, monkeypatch, tmp_path
):
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags
    from llmcli.history import History

    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    guide = tmp_path / "guide.md"
    guide.write_text("use short words\n")
    write_template(tmp_path, "styled", f'fragments = ["{guide}"]\nprompt = "Fix: $input"\n')
    db = tmp_path / "logs.db"
    flags = Flags(model="openai/gpt-4o-mini", api_base=server.url, stream=False, db=db)
    repl = Repl(Session(flags=flags, history=History(db).open()), lambda _: None)
    server.queue(openai_reply("ok", stream=False))
    repl.handle("/template styled the text")
    assert user_text(server) == f"{guide}\n```\nuse short words\n```\n\nFix: the text"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT source, flag FROM fragment_uses").fetchall() == [(str(guide), "-f")]


def test_chat_start_puts_the_templates_fragments_first(tmp_path, cli_env, monkeypatch):
    from llmcli.cli.spec import Flags
    from llmcli.cli.templates import chat_start

    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    guide, extra = tmp_path / "guide.md", tmp_path / "extra.md"
    guide.write_text("G\n")
    extra.write_text("E\n")
    write_template(tmp_path, "styled", f'fragments = ["{guide}"]\n')
    text, used = chat_start("hi", Flags(template="styled", fragment=[str(extra)]))
    assert text == f"{guide}\n```\nG\n```\n\n{extra}\n```\nE\n```\n\nhi"
    assert [u.source for u in used] == [str(guide), str(extra)]
