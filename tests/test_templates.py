"""Templates (-t, -p, --save, `llmcli templates`), the editor (-e) and extraction (-x)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.samples import openai_reply
from tests.servers import ReplayServer

MODEL = ("-m", "openai/gpt-4o-mini")


def body(server: ReplayServer) -> dict:
    return server.requests[-1].json


def user_text(server: ReplayServer) -> str:
    return str(body(server)["messages"][-1]["content"])


def system_text(server: ReplayServer) -> str:
    first = body(server)["messages"][0]
    assert first["role"] == "system"
    return str(first["content"])


def write_template(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "config" / "llmcli" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_templates_path_is_beside_the_config(llmcli, tmp_path):
    run = llmcli("templates", "path")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == str(tmp_path / "config" / "llmcli" / "templates")


def test_variables_defaults_and_params_fill_system_and_prompt(llmcli, server, tmp_path):
    write_template(
        tmp_path,
        "greet",
        (
            'system = "Answer in ${lang}, cost $$5"\n'
            'prompt = "Greet $who: $input"\n'
            'defaults = { lang = "French", who = "Ann" }\n'
        ),
    )
    server.queue(openai_reply())
    run = llmcli(
        "complete", *MODEL, "--api-base", server.url, "-t", "greet", "-p", "who=Bob", "be kind"
    )
    assert run.code == 0, run.stderr
    assert system_text(server) == "Answer in French, cost $5"
    assert user_text(server) == "Greet Bob: be kind"


def test_piped_input_fills_input(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        *MODEL,
        "--api-base",
        server.url,
        "-t",
        "translate",
        "-p",
        "lang=German",
        input="good morning\n",
    )
    assert run.code == 0, run.stderr
    assert system_text(server).endswith("into German. Print only the translation.")
    assert user_text(server) == "good morning"


def test_missing_variable_is_one_line_naming_it(llmcli, server, tmp_path):
    write_template(tmp_path, "needs", 'prompt = "Write about $topic"\n')
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-t", "needs")
    assert run.code == 2
    assert run.stderr.count("\n") == 1
    assert "$topic" in run.stderr and "-p topic VALUE" in run.stderr
    assert server.requests == []


def test_missing_input_is_named(llmcli, server):
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-t", "commit-message")
    assert run.code == 2
    assert "$input" in run.stderr
    assert server.requests == []


def test_flags_win_over_the_template(llmcli, server, tmp_path):
    write_template(
        tmp_path,
        "set",
        (
            'system = "from template"\nmodel = "openai/gpt-from-template"\n'
            "options = { seed = 1, top_logprobs = 2 }\n"
        ),
    )
    server.queue(openai_reply())
    run = llmcli("complete", "--api-base", server.url, "-t", "set", "hi")
    assert run.code == 0, run.stderr
    assert body(server)["model"] == "gpt-from-template"
    assert body(server)["seed"] == 1
    server.queue(openai_reply())
    run = llmcli(
        "complete",
        *MODEL,
        "--api-base",
        server.url,
        "-t",
        "set",
        "-s",
        "from flag",
        "-o",
        "seed=7",
        "hi",
    )
    assert run.code == 0, run.stderr
    assert body(server)["model"] == "gpt-4o-mini"
    assert system_text(server) == "from flag"
    assert body(server)["seed"] == 7 and body(server)["top_logprobs"] == 2


def test_save_round_trip(llmcli, server, tmp_path):
    run = llmcli(
        "complete",
        *MODEL,
        "-s",
        "Be terse about $thing",
        "-o",
        "seed=3",
        "--save",
        "terse",
        "Tell me about $thing",
    )
    assert run.code == 0, run.stderr
    assert server.requests == []  # --save sends nothing
    saved = tmp_path / "config" / "llmcli" / "templates" / "terse.toml"
    assert saved.is_file()
    server.queue(openai_reply())
    run = llmcli("complete", "--api-base", server.url, "-t", "terse", "-p", "thing=owls")
    assert run.code == 0, run.stderr
    assert body(server)["model"] == "gpt-4o-mini"
    assert system_text(server) == "Be terse about owls"
    assert user_text(server) == "Tell me about owls"
    assert body(server)["seed"] == 3
    listed = llmcli("templates", "list").stdout
    assert "terse" in listed and "user" in listed


def test_builtins_listed_and_a_user_file_wins(llmcli, tmp_path):
    run = llmcli("templates", "list")
    assert run.code == 0, run.stderr
    for name in ("commit-message", "summarize", "explain-code", "review", "translate"):
        assert any(line.startswith(name) and "built-in" in line for line in run.stdout.splitlines())
    write_template(tmp_path, "review", 'description = "my own review"\nprompt = "$input"\n')
    lines = llmcli("templates", "list").stdout.splitlines()
    review = next(line for line in lines if line.startswith("review"))
    assert "user" in review and "my own review" in review
    assert "my own review" in llmcli("templates", "show", "review").stdout


def test_rm_removes_a_user_template(llmcli, tmp_path):
    path = write_template(tmp_path, "gone", 'prompt = "x"\n')
    assert llmcli("templates", "rm", "gone").code == 0
    assert not path.exists()
    run = llmcli("templates", "rm", "gone")
    assert run.code == 2 and "no user template 'gone'" in run.stderr


def test_markdown_pattern_file_is_the_system_prompt(llmcli, server, tmp_path):
    pattern = tmp_path / "pattern.md"
    pattern.write_text("# IDENTITY\nYou extract wisdom.\n", encoding="utf-8")
    server.queue(openai_reply())
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-t", str(pattern), "an essay")
    assert run.code == 0, run.stderr
    assert system_text(server) == "# IDENTITY\nYou extract wisdom.\n"
    assert user_text(server) == "an essay"


def test_unknown_template_and_param_without_template(llmcli, server):
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-t", "nope", "hi")
    assert run.code == 2 and "no template 'nope'" in run.stderr
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-p", "a=b", "hi")
    assert run.code == 2 and "-t NAME" in run.stderr
    assert server.requests == []


def _editor(tmp_path: Path, body_text: str) -> str:
    script = tmp_path / "editor.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{body_text}' > \"$1\"\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_edit_uses_what_the_editor_saved(llmcli, server, tmp_path):
    server.queue(openai_reply())
    env = {"EDITOR": _editor(tmp_path, "written in the editor"), "VISUAL": ""}
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-e", "draft", env=env)
    assert run.code == 0, run.stderr
    assert user_text(server) == "written in the editor"


def test_edit_empty_file_cancels(llmcli, server, tmp_path):
    env = {"EDITOR": _editor(tmp_path, ""), "VISUAL": ""}
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-e", "draft", env=env)
    assert run.code == 1
    assert "nothing sent" in run.stderr
    assert server.requests == []


# ---- chat: /template, /edit, /copy ------------------------------------------------------


def _repl(server: ReplayServer):
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags

    said: list[str] = []
    flags = Flags(model="openai/gpt-4o-mini", api_base=server.url, log=False, stream=False)
    return Repl(Session(flags=flags), said.append), said


def test_chat_template_sets_system_and_sends_its_prompt(server, cli_env, monkeypatch):
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    repl, said = _repl(server)
    repl.handle("/template translate")
    assert repl.s.flags.system.endswith("into English. Print only the translation.")
    assert server.requests == []  # settings only: nothing to translate yet
    server.queue(openai_reply("Hallo", stream=False))
    repl.handle("/template translate guten Tag")
    assert user_text(server) == "guten Tag"
    assert "template translate in use" in said


def test_chat_edit_and_copy(server, cli_env, monkeypatch, tmp_path, capsys):
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "from the editor"))
    monkeypatch.delenv("VISUAL", raising=False)
    repl, said = _repl(server)
    server.queue(openai_reply("run:\n```sh\nls -l\n```\n", stream=False))
    repl.handle("/edit")
    assert user_text(server) == "from the editor"
    clip = tmp_path / "clip"
    tool = tmp_path / "bin" / "pbcopy"
    tool.parent.mkdir()
    tool.write_text(f"#!/bin/sh\ncat > {clip}\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}:{os.environ['PATH']}")
    repl.handle("/copy")
    assert clip.read_text() == "ls -l"
    assert said[-1] == "copied"


def test_chat_input_opens_in_the_editor_with_ctrl_x_ctrl_e(tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from llmcli.cli.repl import prompt_session

    with create_pipe_input() as pipe:
        session = prompt_session(tmp_path, pipe, DummyOutput())
        assert session.app.current_buffer is not None
        assert session.enable_open_in_editor


def test_chat_start_takes_template_params_and_fragments(tmp_path):
    import pytest

    from llmcli.cli.spec import Flags
    from llmcli.cli.templates import chat_start
    from llmcli.errors import UsageError

    flags = Flags(template="translate", param=["lang=Dutch"])
    assert chat_start("hello", flags) == ("hello", [])
    assert "into Dutch." in flags.system
    note = tmp_path / "n.txt"
    note.write_text("context")
    text, used = chat_start("q", Flags(fragment=[str(note)]))
    assert text == f"{note}\n```\ncontext\n```\n\nq"
    assert [(u.source, u.text, u.flag) for u in used] == [(str(note), "context", "-f")]
    with pytest.raises(UsageError, match="needs a first PROMPT"):
        chat_start(None, Flags(fragment=[str(note)]))
    with pytest.raises(UsageError, match="-t NAME"):
        chat_start("x", Flags(param=["a=b"]))


def test_templates_edit_copies_a_builtin_then_checks_it(llmcli, tmp_path):
    script = tmp_path / "append.sh"
    script.write_text('#!/bin/sh\nprintf \'model = "openai/gpt-x"\\n\' >> "$1"\n')
    script.chmod(0o755)
    run = llmcli("templates", "edit", "review", env={"EDITOR": str(script), "VISUAL": ""})
    assert run.code == 0, run.stderr
    saved = tmp_path / "config" / "llmcli" / "templates" / "review.toml"
    assert "Review the code" in saved.read_text() and 'model = "openai/gpt-x"' in saved.read_text()
    script.write_text("#!/bin/sh\nprintf 'colour = 1\\n' >> \"$1\"\n")
    run = llmcli("templates", "edit", "review", env={"EDITOR": str(script), "VISUAL": ""})
    assert run.code == 2 and "unknown key colour" in run.stderr
