"""MCP servers of other kinds (issue 16): mcp-server-git with several tools and a failing
call, a streamable-HTTP server on loopback, images in results, a server that exits at
start-up, one that dies mid-call, one that hangs past --tool-timeout, and no SDK."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mcp_helpers import (
    FIXTURE_SERVER,
    FIXTURE_STDIO,
    MODELS,
    answer,
    calls,
    offered,
    tool_results,
    write_config,
)
from tests.samples import openai_reply


@pytest.fixture(autouse=True)
def _fresh_process_state() -> None:
    """A test before these may have left the config cached (`settings()`) in this process."""
    from tests.harness import reset_process_state

    reset_process_state()


DEAD = "dead=sh -c 'echo oops: missing setting >&2; exit 3'"


def _complete(llmcli, server, provider: str, *flags: str, env=None):
    return llmcli(
        "complete", "-m", MODELS[provider], "--api-base", server.url, "--no-stream", *flags,
        "Go.", env=env,
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git = ["git", "-C", str(path), "-c", "user.email=t@example.com", "-c", "user.name=T"]
    subprocess.run([*git, "init", "-q"], check=True)
    (path / "notes.txt").write_text("hello\n")
    subprocess.run([*git, "add", "notes.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "First notes"], check=True)
    return path


def test_git_server_several_tools_and_a_failing_call(llmcli, server, cli_env, repo: Path):
    command = [sys.executable, "-m", "mcp_server_git", "--repository", str(repo)]
    write_config(cli_env, {"git": {"command": command, "allow": ["git_log", "git_show"]}})
    wanted = (
        ("toolu_1", "git__git_log", {"repo_path": str(repo)}),
        ("toolu_2", "git__git_show", {"repo_path": str(repo), "revision": "no-such-rev"}),
    )
    server.queue(calls("anthropic", *wanted), answer("anthropic", "One commit."))
    run = _complete(llmcli, server, "anthropic", "--mcp-server", "git")
    assert run.code == 0, run.stderr
    tools = offered("anthropic", server.requests[0].json)
    assert {"git__git_status", "git__git_log", "git__git_show", "git__git_diff"} <= set(tools)
    assert all(name.startswith("git__") for name in tools)
    log, show = tool_results("anthropic", server.requests[1].json)
    assert (log["id"], log["error"]) == ("toolu_1", False)
    assert "First notes" in log["content"]
    assert (show["id"], show["error"]) == ("toolu_2", True)
    assert "no-such-rev" in show["content"]


# ---- streamable HTTP -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_mcp() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(FIXTURE_SERVER), "http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    proc.wait(10)


def test_streamable_http_server(llmcli, server, cli_env, http_mcp: str):
    headers = {"X-Fixture": "env:FIXTURE_TOKEN"}
    write_config(cli_env, {"web": {"url": http_mcp, "headers": headers, "allow": ["shout"]}})
    server.queue(calls("openai", ("c1", "web__shout", {"text": "hi"})), openai_reply("HI!", False))
    run = _complete(llmcli, server, "openai", "--mcp-server", "web", env={"FIXTURE_TOKEN": "t"})
    assert run.code == 0, run.stderr
    assert {"web__shout", "web__picture", "web__doze"} <= set(
        offered("openai", server.requests[0].json)
    )
    (result,) = tool_results("openai", server.requests[1].json)
    assert result["content"] == "HI"


def test_header_from_an_unset_variable_is_a_usage_error(llmcli, server, cli_env, http_mcp: str):
    write_config(cli_env, {"web": {"url": http_mcp, "headers": {"X-Fixture": "env:NOT_SET_X"}}})
    run = _complete(llmcli, server, "openai", "--mcp-server", "web")
    assert run.code == 2
    assert run.stderr == "llmcli: [mcp.servers.web] header X-Fixture: $NOT_SET_X is not set\n"
    assert server.requests == []


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_image_results(llmcli, server, cli_env, http_mcp: str, provider: str):
    write_config(cli_env, {"web": {"url": http_mcp, "allow": ["picture"]}})
    server.queue(calls(provider, ("c1", "web__picture", {})), answer(provider, "A dot."))
    run = _complete(llmcli, server, provider, "--mcp-server", "web")
    assert run.code == 0, run.stderr
    (result,) = tool_results(provider, server.requests[1].json)
    if provider == "anthropic":  # images go along in the tool_result's content
        text, image = result["content"]
        assert text == {"type": "text", "text": "[image image/png, 70 bytes]"}
        assert image["type"] == "image"
        assert image["source"]["media_type"] == "image/png"
    else:  # OpenAI's tool messages take text only: the image is named
        assert result["content"] == "[image image/png, 70 bytes]"


# ---- failures ------------------------------------------------------------------------------


def test_a_server_that_exits_at_start_up_stops_complete(llmcli, server):
    run = _complete(llmcli, server, "openai", "--mcp-server", DEAD)
    assert run.code == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("llmcli: MCP server dead (")
    assert "oops: missing setting" in line
    assert server.requests == []  # nothing paid for


def test_its_stderr_is_in_the_log_not_on_the_terminal(llmcli, server):
    _complete(llmcli, server, "openai", "--mcp-server", DEAD)
    run = llmcli("mcp", "logs", "dead")
    assert run.code == 0
    assert run.stdout == "oops: missing setting\n"


def test_a_tool_past_tool_timeout_is_cancelled_and_reported(llmcli, server):
    fixture = "fx=" + " ".join(FIXTURE_STDIO)
    server.queue(calls("openai", ("c1", "fx__doze", {"seconds": 30})), openai_reply("Slow.", False))
    began = time.monotonic()
    run = _complete(
        llmcli, server, "openai", "--mcp-server", fixture, "--yes", "--tool-timeout", "1"
    )
    assert run.code == 0, run.stderr
    assert time.monotonic() - began < 25  # not the 30 s the tool sleeps
    (result,) = tool_results("openai", server.requests[1].json)
    assert result["content"] == "cancelled: no result within --tool-timeout 1 s"
    assert "fx__doze: cancelled" in run.stderr


def test_a_server_that_dies_mid_call(llmcli, server):
    fixture = "fx=" + " ".join(FIXTURE_STDIO)
    server.queue(
        calls("openai", ("c1", "fx__die", {})), calls("openai", ("c2", "fx__shout", {"text": "a"})),
        openai_reply("Gone.", False),
    )  # fmt: skip
    run = _complete(llmcli, server, "openai", "--mcp-server", fixture, "--yes")
    assert run.code == 0, run.stderr
    (died,) = tool_results("openai", server.requests[1].json)
    assert died["content"] == "MCP server fx stopped"
    assert "MCP server fx" in run.stderr and "fixture server dying" in run.stderr
    assert "tools" not in server.requests[2].json  # the run goes on without its tools


def test_chat_goes_on_without_a_server_that_fails(server, cli_env, monkeypatch, capsys):
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags
    from tests.harness import reset_process_state

    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    reset_process_state()
    flags = Flags(model="openai/gpt-4o-mini", log=False, api_base=server.url, stream=False)
    flags.mcp_server = [DEAD]
    said: list[str] = []
    repl = Repl(Session(flags=flags), said.append)
    assert repl.mcp is not None and repl.mcp.pending is not None  # starting in the background
    server.queue(openai_reply("Hello.", stream=False))
    repl.ask("Hi")
    assert "oops: missing setting" in capsys.readouterr().err  # said when the tools are due
    assert "tools" not in server.requests[0].json
    assert repl.s.messages[-1].text == "Hello."
    reset_process_state()


def test_without_the_sdk_it_says_what_to_install(llmcli, server, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real(name, *a)
    )
    run = _complete(llmcli, server, "openai", "--mcp-server", DEAD)
    assert run.code == 2
    hint = "MCP servers need the mcp package: pip install 'llmcli[mcp]' (or pip install mcp)"
    assert run.stderr == f"llmcli: {hint}\n"


def test_chat_starts_its_servers_once_for_the_session(server, cli_env, monkeypatch):
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags
    from llmcli.mcp import client
    from tests.harness import reset_process_state

    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    reset_process_state()
    flags = Flags(model="openai/gpt-4o-mini", log=False, api_base=server.url, stream=False)
    flags.mcp_server, flags.yes = ["fx=" + " ".join(FIXTURE_STDIO)], True
    repl = Repl(Session(flags=flags), [].append)
    assert client._hub is not None
    first = None
    for word in ("one", "two"):
        server.replies.clear()  # the replay server keeps repeating its last reply
        server.queue(calls("openai", ("c", "fx__shout", {"text": word})), openai_reply("ok", False))
        repl.ask(word)
        first = first or client._hub.servers["fx"]
        assert client._hub.servers["fx"] is first
        result = tool_results("openai", server.requests[-1].json)[-1]
        assert result["content"] == word.upper()
    reset_process_state()
    assert client._hub is None


def test_a_json_rpc_error_is_an_error_result_and_the_server_lives_on(cli_env, monkeypatch):
    from llmcli.mcp.client import Hub
    from llmcli.mcp.servers import ServerSpec

    monkeypatch.setenv("XDG_STATE_HOME", cli_env["XDG_STATE_HOME"])
    hub = Hub()
    try:
        running = hub.start(ServerSpec("fx", FIXTURE_STDIO))
        failed = hub.call(running, "rpc_error", {}, 30)
        assert failed.is_error
        assert failed.content[0].text == "MCP error -32602: bad params from the fixture"
        assert not running.dead
        assert hub.call(running, "shout", {"text": "still"}, 30).content[0].text == "STILL"
    finally:
        hub.stop_all()


def test_a_stdio_server_gets_its_env_and_not_llmclis_keys(llmcli, server, cli_env):
    write_config(cli_env, {"fx": {"command": FIXTURE_STDIO, "env": {"FX": "env:FX_SOURCE"}}})
    wanted = (
        ("c1", "fx__environ", {"name": "FX"}),
        ("c2", "fx__environ", {"name": "OPENAI_API_KEY"}),
    )
    server.queue(calls("openai", *wanted), openai_reply("ok", False))
    run = _complete(llmcli, server, "openai", "--mcp-server", "fx", "-y", env={"FX_SOURCE": "v1"})
    assert run.code == 0, run.stderr
    given, key = tool_results("openai", server.requests[1].json)
    # "" comes back as structured content only ({"result": ""}), sent as such.
    assert (given["content"], key["content"]) == ("v1", '{"result": ""}')
    missing = _complete(llmcli, server, "openai", "--mcp-server", "fx")
    assert missing.code == 2
    assert missing.stderr == "llmcli: [mcp.servers.fx] env FX: $FX_SOURCE is not set\n"
