"""MCP servers llmcli runs itself (issue 16), end to end: real servers from PyPI over
stdio (mcp-server-time), a replayed model answer from a loopback mock that calls their
tool, and the next request carrying the real result, for each of the five providers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.mcp_helpers import (
    MODELS,
    TIME_SERVER,
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


TOKYO = {"timezone": "Asia/Tokyo"}
CALL = ("call_1", "time__get_current_time", TOKYO)


def _complete(llmcli, server, provider: str, *flags: str, env=None):
    return llmcli(
        "complete",
        "-m",
        MODELS[provider],
        "--api-base",
        server.url,
        "--no-stream",
        *flags,
        "What time is it in Tokyo?",
        env=env,
    )


def _check_now_in_tokyo(content: str) -> None:
    result = json.loads(content)
    assert result["timezone"] == "Asia/Tokyo"
    when = datetime.fromisoformat(result["datetime"])
    assert when.utcoffset() == timedelta(hours=9)
    assert abs(when - datetime.now(timezone.utc)) < timedelta(minutes=2)


@pytest.mark.parametrize("provider", list(MODELS))
def test_time_server_tool_in_each_providers_format(llmcli, server, cli_env, provider):
    write_config(cli_env, {"time": {"command": TIME_SERVER, "allow": ["get_current_time"]}})
    server.queue(calls(provider, CALL), answer(provider, "It is afternoon in Tokyo."))
    run = _complete(llmcli, server, provider, "--mcp-server", "time")
    assert run.code == 0, run.stderr
    assert "It is afternoon in Tokyo." in run.stdout
    first, second = (r.json for r in server.requests)
    tools = offered(provider, first)
    assert set(tools) == {"time__get_current_time", "time__convert_time"}
    assert tools["time__get_current_time"]["required"] == ["timezone"]
    assert tools["time__get_current_time"]["type"] == "object"
    assert offered(provider, second) == tools  # the same servers for every step
    (result,) = tool_results(provider, second)
    assert result["id"] == ("time__get_current_time" if provider == "ollama" else "call_1")
    _check_now_in_tokyo(result["content"])
    assert result["error"] in (None, False)
    assert "warning" not in run.stderr


def test_error_result_goes_back_as_an_error(llmcli, server, cli_env):
    write_config(cli_env, {"time": {"command": TIME_SERVER, "allow": ["get_current_time"]}})
    bad = ("toolu_1", "time__get_current_time", {"timezone": "Nowhere/Atlantis"})
    server.queue(calls("anthropic", bad), answer("anthropic", "No such place."))
    run = _complete(llmcli, server, "anthropic", "--mcp-server", "time")
    assert run.code == 0, run.stderr
    (result,) = tool_results("anthropic", server.requests[1].json)
    assert result["error"] is True
    assert "Nowhere/Atlantis" in result["content"]


# ---- approval ----------------------------------------------------------------------------


def test_refused_in_a_pipe_unless_allowed(llmcli, server, cli_env):
    write_config(cli_env, {"time": {"command": TIME_SERVER}})  # nothing allowed
    server.queue(calls("openai", CALL), openai_reply("I could not check.", stream=False))
    run = _complete(llmcli, server, "openai", "--mcp-server", "time")
    assert run.code == 0, run.stderr
    (result,) = tool_results("openai", server.requests[1].json)
    assert "needs the user's approval" in result["content"]
    assert "allow" in result["content"] and "--yes" in result["content"]
    assert "datetime" not in result["content"]


def test_yes_runs_tools_not_allowed(llmcli, server, cli_env):
    write_config(cli_env, {"time": {"command": TIME_SERVER}})
    server.queue(calls("openai", CALL), openai_reply("Done.", stream=False))
    run = _complete(llmcli, server, "openai", "--mcp-server", "time", "--yes")
    assert run.code == 0, run.stderr
    (result,) = tool_results("openai", server.requests[1].json)
    _check_now_in_tokyo(result["content"])


def test_ad_hoc_server_and_denied_tools(llmcli, server, cli_env):
    write_config(cli_env, {"time": {"command": ["false"], "deny": ["convert_time"]}})
    server.queue(calls("openai", CALL), openai_reply("Done.", stream=False))
    ad_hoc = "time=" + " ".join(TIME_SERVER)  # the config's deny still holds for its name
    run = _complete(llmcli, server, "openai", "--mcp-server", ad_hoc, "-y")
    assert run.code == 0, run.stderr
    assert set(offered("openai", server.requests[0].json)) == {"time__get_current_time"}


def test_max_steps_bounds_the_mcp_loop(llmcli, server, cli_env):
    write_config(cli_env, {"time": {"command": TIME_SERVER, "allow": ["get_current_time"]}})
    server.queue(calls("openai", CALL))  # always calls the tool
    run = _complete(llmcli, server, "openai", "--mcp-server", "time", "--max-steps", "2")
    assert run.code == 0, run.stderr
    assert len(server.requests) == 2
    assert "--max-steps reached" in run.stderr


# ---- history -------------------------------------------------------------------------------


def test_history_keeps_the_server_of_each_tool_result(llmcli, server, cli_env, tmp_path: Path):
    from llmcli.history import History
    from llmcli.request import ToolCallPart, ToolResultPart

    write_config(cli_env, {"time": {"command": TIME_SERVER, "allow": ["get_current_time"]}})
    server.queue(calls("openai", CALL), openai_reply("Afternoon.", stream=False))
    db = tmp_path / "logs.db"
    run = _complete(llmcli, server, "openai", "--mcp-server", "time", "--db", str(db))
    assert run.code == 0, run.stderr
    history = History(db).open()
    messages = history.load(history.resolve(None, True) or "")
    parts = [p for m in messages for p in m.parts]
    (call,) = [p for p in parts if isinstance(p, ToolCallPart)]
    (result,) = [p for p in parts if isinstance(p, ToolResultPart)]
    assert call.name == result.name == "time__get_current_time"
    assert result.server == "time"
    _check_now_in_tokyo(result.content)


# ---- on a terminal -------------------------------------------------------------------------


@pytest.mark.parametrize(("answer_", "runs"), [("n", False), ("s", True)])
def test_terminal_prompt_and_always_saved_in_the_config(server, cli_env, answer_, runs):
    import sys

    import pexpect

    config = write_config(cli_env, {"time": {"command": TIME_SERVER}})
    server.queue(calls("openai", CALL), openai_reply("Done.", stream=False))
    child = pexpect.spawn(
        sys.executable,
        ["-m", "llmcli", "complete", "-m", MODELS["openai"], "--api-base", server.url,
         "--no-stream", "--mcp-server", "time", "What time is it in Tokyo?"],
        env=cli_env, encoding="utf-8", timeout=60,
    )  # fmt: skip
    child.expect(
        r"run time__get_current_time \{\"timezone\": \"Asia/Tokyo\"\} \(MCP server time\)\?"
    )
    child.expect(r"\[y/n/a/s\]")
    child.sendline(answer_)
    child.expect("Done.")
    child.expect(pexpect.EOF)
    (result,) = tool_results("openai", server.requests[1].json)
    if runs:
        _check_now_in_tokyo(result["content"])
        assert 'allow = ["get_current_time"]' in config.read_text()
    else:
        assert result["content"] == "the user declined to run this tool"
        assert "allow" not in config.read_text()


def test_two_servers_together_and_tool_choice_naming_an_mcp_tool(llmcli, server, cli_env):
    from tests.mcp_helpers import FIXTURE_STDIO

    write_config(cli_env, {"time": {"command": TIME_SERVER, "allow": ["get_current_time"]}})
    server.queue(calls("openai", CALL), openai_reply("Done.", stream=False))
    fixture = "fx=" + " ".join(FIXTURE_STDIO)
    run = _complete(
        llmcli, server, "openai", "--mcp-server", "time", "--mcp-server", fixture,
        "--tool-choice", "time__get_current_time",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    first = server.requests[0].json
    assert {"time__get_current_time", "fx__shout", "fx__doze"} <= set(offered("openai", first))
    assert first["tool_choice"] == {
        "type": "function",
        "function": {"name": "time__get_current_time"},
    }
