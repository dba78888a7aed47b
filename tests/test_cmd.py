"""`llmcli cmd` in a real terminal (a pty, pexpect) against a replayed answer from a
loopback server: execute, describe, revise, abort, the deny-list, and the command alone
when stdout is not a terminal."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from llmcli.shellcmd.integration import SNIPPETS
from llmcli.shellcmd.prompt import read_answer
from llmcli.shellcmd.safety import denied
from tests.servers import ReplayServer, Reply

MENU = r"\[e\]xecute"


def answer(content: str, model: str = "gpt-4o-mini") -> Reply:
    """An OpenAI chat.completion (the shape of tests/fixtures/openai/nonstream-text)."""
    body = {
        "id": "chatcmpl-cmd",
        "object": "chat.completion",
        "created": 1755690953,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 60, "completion_tokens": 20, "total_tokens": 80},
    }
    return Reply(body=json.dumps(body).encode())


def structured(command: str, explanation: str = "", destructive: bool = False) -> Reply:
    data = {"command": command, "explanation": explanation, "destructive": destructive}
    return answer(json.dumps(data))


def spawn(
    server: ReplayServer, env: dict[str, str], *args: str, model: str = "openai/gpt-4o-mini"
) -> pexpect.spawn:
    argv = ["-m", "llmcli", "cmd", "-m", model, "--api-base", server.url + "/v1", *args]
    env = {**env, "SHELL": "/bin/sh"}
    return pexpect.spawn(sys.executable, argv, env=env, timeout=30, encoding="utf-8")


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1)


def test_execute_runs_the_command_in_the_shell(server, cli_env, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    server.queue(structured(f"touch {marker} && exit 3", "Creates a file."))
    child = spawn(server, cli_env, "make", "a", "file")
    child.expect(MENU)
    assert not marker.exists()  # shown, not run
    child.send("e")
    assert finish(child) == 3  # the command's own exit code
    assert marker.exists()
    body = server.requests[0].json
    assert body["response_format"]["type"] == "json_schema"  # the catalog: gpt-4o-mini takes one
    system = body["messages"][0]["content"]
    assert "for sh on " in system  # $SHELL, then uname
    assert body["messages"][-1]["content"] == "make a file"


def test_abort_runs_nothing(server, cli_env, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    server.queue(structured(f"touch {marker}"))
    child = spawn(server, cli_env, "make a file")
    child.expect(MENU)
    child.send("a")
    assert finish(child) == 1
    assert not marker.exists()


def test_describe_prints_the_explanation_without_a_request(server, cli_env) -> None:
    server.queue(structured("ls -la", "Lists every file, hidden ones too."))
    child = spawn(server, cli_env, "list files")
    child.expect(MENU)
    child.send("d")
    child.expect("hidden ones too")
    child.expect(MENU)
    child.send("a")
    finish(child)
    assert len(server.requests) == 1


def test_describe_asks_when_no_explanation_came(server, cli_env) -> None:
    """gpt-3.5-turbo takes no schema (catalog): the command comes in a code block."""
    server.queue(answer("```sh\ndf -h\n```"), answer("Shows disk space, human-readable."))
    child = spawn(server, cli_env, "disk space", model="openai/gpt-3.5-turbo")
    child.expect(MENU)
    child.send("d")
    child.expect("human-readable")
    child.send("a")
    finish(child)
    assert "response_format" not in server.requests[0].json
    follow = server.requests[1].json["messages"]
    assert [m["role"] for m in follow] == ["system", "user", "assistant", "user"]
    assert "Explain" in follow[-1]["content"]


def test_revise_sends_the_conversation_and_every_exchange_is_stored(
    server, cli_env, tmp_path: Path
) -> None:
    server.queue(structured("ls", "Lists files."), structured("ls -la", "All of them."))
    child = spawn(server, cli_env, "list files")
    child.expect(MENU)
    child.send("r")
    child.expect("What should change")
    child.sendline("hidden files too")
    child.expect("ls -la")
    child.expect(MENU)
    child.send("a")
    finish(child)
    follow = server.requests[1].json["messages"]
    assert [m["role"] for m in follow] == ["system", "user", "assistant", "user"]
    assert follow[1]["content"] == "list files"
    assert '"ls"' in follow[2]["content"]
    assert "hidden files too" in follow[3]["content"]
    db = next((tmp_path / "data").rglob("logs.db"))
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from responses").fetchone() == (2,)
        assert conn.execute("select count(*) from conversations").fetchone() == (1,)


def test_a_denied_command_needs_yes_typed_even_with_yes(server, cli_env, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    # Harmless, but it names mkfs: the deny-list matches the text.
    server.queue(structured(f"touch {marker} # mkfs"))
    child = spawn(server, cli_env, "--yes", "format")
    child.expect("formats a filesystem")
    child.expect("type yes")
    child.sendline("y")
    assert finish(child) == 1
    assert not marker.exists()
    child = spawn(server, cli_env, "--yes", "format")
    child.expect("type yes")
    child.sendline("yes")
    assert finish(child) == 0
    assert marker.exists()


def test_a_destructive_command_needs_yes_from_the_menu(server, cli_env, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    server.queue(structured(f"touch {marker}", "Deletes it all.", destructive=True))
    child = spawn(server, cli_env, "clean up")
    child.expect("marked destructive")
    child.expect(MENU)
    child.send("e")
    child.expect("type yes")
    child.sendline("no")
    child.expect("not run")
    child.expect(MENU)
    child.send("a")
    finish(child)
    assert not marker.exists()


def test_yes_runs_a_plain_command_without_the_menu(server, cli_env, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    server.queue(structured(f"touch {marker}"))
    child = spawn(server, cli_env, "-y", "make a file")
    assert finish(child) == 0
    assert marker.exists()
    assert "[e]xecute" not in (child.before or "")


def test_not_a_terminal_prints_only_the_command(server, llmcli, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    server.queue(structured(f"touch {marker}", "Makes a file."))
    run = llmcli("cmd", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "make a file")
    assert run.code == 0, run.stderr
    assert run.stdout == f"touch {marker}\n"
    assert not marker.exists()


def test_not_a_terminal_warns_on_stderr_only(server, llmcli) -> None:
    server.queue(structured("dd if=/dev/zero of=/dev/sda"))
    run = llmcli("cmd", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "wipe")
    assert run.stdout == "dd if=/dev/zero of=/dev/sda\n"
    assert "writes over a device" in run.stderr


def test_an_answer_without_a_command_is_one_line(server, llmcli) -> None:
    server.queue(answer("I cannot help\nwith that.", model="gpt-3.5-turbo"))
    run = llmcli("cmd", "-m", "openai/gpt-3.5-turbo", "--api-base", server.url, "x")
    assert run.code == 1
    assert run.stderr.startswith("llmcli: the answer holds no command")


@pytest.mark.parametrize(
    "command",
    [
        "rm -rf /",
        "sudo rm -fr /*",
        "rm -r -f ~",
        "rm -rf --no-preserve-root /",
        "mkfs.ext4 /dev/sdb1",
        "dd if=/dev/zero of=/dev/sda bs=1M",
        ":(){ :|:& };:",
        "cat x > /dev/sda",
    ],
)
def test_the_deny_list(command: str) -> None:
    assert denied(command)


@pytest.mark.parametrize("command", ["rm -rf ./build", "ls /", "dd if=a.img of=b.img", "rm x"])
def test_the_deny_list_lets_ordinary_commands_through(command: str) -> None:
    assert denied(command) is None


def test_reading_answers() -> None:
    found = read_answer('{"command": "ls", "explanation": "lists", "destructive": false}')
    assert found is not None and (found.command, found.explanation) == ("ls", "lists")
    found = read_answer("```bash\nrm -r build\n```\nRemoves build.\nDESTRUCTIVE")
    assert found is not None and found.command == "rm -r build" and found.destructive
    assert found.explanation == "Removes build."
    assert read_answer("Sorry,\nno.") is None


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_integration_snippets_parse(shell: str, llmcli, tmp_path: Path) -> None:
    run = llmcli("cmd", "--shell-integration", shell)
    assert run.code == 0 and run.stdout == SNIPPETS[shell]
    assert "\\el" in run.stdout  # Alt-L
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed here: its snippet is not syntax-checked")
    script = tmp_path / f"snippet.{shell}"
    script.write_text(run.stdout)
    check = ["--no-execute"] if shell == "fish" else ["-n"]
    done = subprocess.run([binary, *check, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_template_replaces_the_built_in_instructions(server, llmcli, tmp_path: Path) -> None:
    template = tmp_path / "powershell.md"
    template.write_text("You write one PowerShell command.\n")
    server.queue(structured("Get-ChildItem"))
    run = llmcli(
        "cmd", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "-t", str(template), "ls"
    )
    assert run.code == 0, run.stderr
    assert run.stdout == "Get-ChildItem\n"
    first = server.requests[0].json["messages"][0]
    assert first["role"] == "system" and first["content"].startswith("You write one PowerShell")


def test_estimate_sends_nothing(server, llmcli) -> None:
    run = llmcli("cmd", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "--estimate", "ls")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("openai/gpt-4o-mini: ") and "estimate: 4 characters" in run.stdout
    assert server.requests == []


# A stand-in for llmcli on PATH: prints the command `cmd` would print off a terminal,
# one whose output (upper case) differs from its text, so the test sees it ran.
FAKE_LLMCLI = """#!/bin/sh
shift 2
echo "echo $* | tr a-z A-Z"
"""
INTERACTIVE = {"bash": ["--norc", "--noprofile", "-i"], "zsh": ["-f", "-i"],
               "fish": ["--no-config", "-i"]}  # fmt: skip


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_alt_l_replaces_the_command_line(shell: str, tmp_path: Path) -> None:
    """In the real shell, on a pty: type a task, Alt-L, Enter: the generated command
    replaced the line and ran (the task itself did not)."""
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed here")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "llmcli").write_text(FAKE_LLMCLI)
    (bin_dir / "llmcli").chmod(0o755)
    snippet = tmp_path / f"snippet.{shell}"
    snippet.write_text(SNIPPETS[shell])
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TERM": "xterm", "HOME": str(tmp_path)}
    child = pexpect.spawn(binary, INTERACTIVE[shell], env=env, encoding="utf-8", timeout=15,
                          dimensions=(24, 200))  # fmt: skip
    child.sendline(f"source {snippet}")
    child.sendline("echo READY")
    child.expect("READY\r\n")
    child.send("list my files")
    child.send("\x1bl")  # Alt-L: ESC l
    child.send("\r")
    child.expect("LIST MY FILES")
    child.sendline("exit")
    child.close(force=True)


def test_copy_without_a_clipboard_prints_the_command(server, cli_env, tmp_path: Path) -> None:
    server.queue(structured("ls -la"))
    env = {**cli_env, "PATH": str(tmp_path)}  # no clipboard tool to be found
    child = spawn(server, env, "list files")
    child.expect(MENU)
    child.send("c")
    child.expect(r"\r\nls -la\r\n")
    assert finish(child) == 0
