"""MCP servers in `llmcli chat` (issue 16): `/tools off` takes the MCP servers' tools out of
the requests too, and `/tools on` brings them back without restarting the servers."""

from __future__ import annotations

import pytest

from tests.mcp_helpers import FIXTURE_STDIO, calls, tool_results
from tests.samples import openai_reply


@pytest.fixture(autouse=True)
def _fresh_process_state():
    from tests.harness import reset_process_state

    reset_process_state()
    yield
    reset_process_state()


def test_tools_off_and_on_cover_the_mcp_servers_tools(server, cli_env, monkeypatch, tmp_path):
    import json

    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags
    from llmcli.mcp import client

    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    tools = tmp_path / "t.json"
    tools.write_text(json.dumps([{"name": "get_temperature", "parameters": {"type": "object"}}]))
    flags = Flags(model="openai/gpt-4o-mini", log=False, api_base=server.url, stream=False)
    flags.mcp_server, flags.yes, flags.tools = ["fx=" + " ".join(FIXTURE_STDIO)], True, [str(tools)]
    said: list[str] = []
    repl = Repl(Session(flags=flags), said.append)

    repl.handle("/tools off")
    assert said[-1] == "no tools (MCP servers' tools off too)"
    server.queue(openai_reply("No tools here.", False))
    repl.ask("one")
    assert "tools" not in server.requests[-1].json
    assert repl.s.messages[-1].text == "No tools here."

    repl.handle("/tools on")
    assert said[-1] == "tools on: 1 tool file, MCP servers' tools"
    assert flags.tools == [str(tools)]  # the tool file set aside by /tools off is back
    server.replies.clear()  # the replay server keeps repeating its last reply
    server.queue(calls("openai", ("c", "fx__shout", {"text": "two"})), openai_reply("ok", False))
    repl.ask("two")
    names = {t["function"]["name"] for t in server.requests[-2].json["tools"]}
    assert {"get_temperature", "fx__shout"} <= names
    assert tool_results("openai", server.requests[-1].json)[-1]["content"] == "TWO"
    assert client._hub is not None and list(client._hub.servers) == ["fx"]  # started once


def test_help_says_tools_off_covers_mcp(monkeypatch):
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags

    said: list[str] = []
    Repl(Session(flags=Flags(model="openai/gpt-4o-mini", log=False)), said.append).handle("/help")
    (line,) = [s for s in said if s.strip().startswith("/tools")]
    assert "MCP" in line and "on" in line
