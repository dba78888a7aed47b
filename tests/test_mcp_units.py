"""MCP pieces without a model: tool names within each provider's limits, schemas, the
mapping of results, server declarations, and the `llmcli mcp` commands."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from llmcli.config import Config
from llmcli.errors import UsageError
from llmcli.mcp.names import McpTool, as_tools, input_schema, offered_name
from llmcli.mcp.results import to_part
from llmcli.mcp.servers import select
from tests.mcp_helpers import TIME_SERVER, write_config


@pytest.fixture(autouse=True)
def _fresh_process_state() -> None:
    """A test before these may have left the config cached (`settings()`) in this process."""
    from tests.harness import reset_process_state

    reset_process_state()


WIRE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # OpenAI's, the strictest


def test_names_keep_to_the_providers_pattern_and_length():
    long = "x" * 100
    assert offered_name("time", "get_current_time", 64) == "time__get_current_time"
    assert offered_name("fs", "read.file v2", 64) == "fs__read_file_v2"
    cut = offered_name("srv", long, 64)
    assert WIRE_NAME.match(cut) and len(cut) == 64
    assert cut != offered_name("srv", long + "y", 64)  # a hash keeps long names apart
    assert len(offered_name("srv", long, 128)) == len("srv__") + 100  # Anthropic takes 128


def test_each_provider_gets_names_within_its_limit():
    tool = McpTool("srv", "t" * 90, None, {"type": "object"})
    (openai,), _ = as_tools([tool], "openai")
    (anthropic,), by_name = as_tools([tool], "anthropic")
    assert len(openai.name) == 64
    assert anthropic.name == "srv__" + "t" * 90
    assert by_name[anthropic.name] is tool


def test_schema_without_properties_gets_them_and_is_not_strict():
    (tool,), _ = as_tools([McpTool("s", "ping", "Ping.", {"type": "object"})], "openai")
    assert tool.parameters == {"type": "object", "properties": {}}
    assert tool.strict is None
    assert input_schema({"type": "object", "properties": {"a": {}}}) == {
        "type": "object",
        "properties": {"a": {}},
    }


def _block(**fields):
    return SimpleNamespace(**fields)


def test_results_map_text_images_resources_and_structured_content():
    result = SimpleNamespace(
        content=[
            _block(type="text", text="first"),
            _block(type="image", data="iVBORw0K", mime_type="image/png"),
            _block(type="resource", resource=_block(uri="file:///a", text="inside a")),
            _block(type="resource_link", uri="file:///b"),
        ],
        structured_content={"ignored": True},
        is_error=False,
    )
    part = to_part(result, "c1", "s__t", "s")
    assert part.content == "first\n[image image/png, 6 bytes]\ninside a\n[resource file:///b]"
    assert part.images and part.images[0].mime == "image/png"
    assert (part.server, part.is_error) == ("s", False)
    only_structured = SimpleNamespace(content=[], structured_content={"n": 1}, is_error=True)
    part = to_part(only_structured, "c1", "s__t", "s")
    assert (part.content, part.is_error) == ('{"n": 1}', True)


def test_server_declarations():
    config = Config.model_validate(
        {"mcp": {"servers": {"time": {"command": ["t"], "allow": ["a"]}, "web": {"url": "u"}}}}
    )
    time, adhoc = select(["time", "x=uvx some-server --flag 'a b'"], config)
    assert (time.command, time.allow, time.configured) == (["t"], ["a"], True)
    assert (adhoc.command, adhoc.configured) == (["uvx", "some-server", "--flag", "a b"], False)
    with pytest.raises(UsageError, match=r"no \[mcp.servers.nope\] in the config \(time, web\)"):
        select(["nope"], config)
    with pytest.raises(UsageError, match="invalid MCP server name 'a__b'"):
        select(["a__b=cmd"], config)
    both = Config.model_validate({"mcp": {"servers": {"s": {"command": ["t"], "url": "u"}}}})
    with pytest.raises(UsageError, match="give either command"):
        select(["s"], both)


def test_unknown_key_in_a_server_table_is_refused(llmcli, cli_env):
    write_config(cli_env, {"time": {"comand": ["x"]}})
    run = llmcli("mcp", "list")
    assert run.code == 2
    assert "mcp.servers.time.comand: unknown key" in run.stderr


# ---- llmcli mcp ---------------------------------------------------------------------------


def test_mcp_list_tools_and_call(llmcli, cli_env):
    write_config(
        cli_env,
        {
            "time": {"command": TIME_SERVER},
            "broken": {"command": ["sh", "-c", "echo cannot start >&2; exit 1"]},
            "off": {"command": ["x"], "enabled": False},
        },
    )
    listed = llmcli("mcp", "list")
    assert listed.code == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert rows["time"].split()[1:3] == ["2", "tools"]
    assert "fails" in rows["broken"] and "cannot start" in rows["broken"]
    assert rows["off"].split()[1] == "disabled"
    tools = llmcli("mcp", "tools", "time")
    assert tools.stdout.startswith("get_current_time: Get current time in a specific timezone\n")
    assert '"required": [' in tools.stdout
    call = llmcli("mcp", "call", "time", "get_current_time", "--args", '{"timezone": "UTC"}')
    assert call.code == 0, call.stderr
    assert '"timezone": "UTC"' in call.stdout
    failing = llmcli("mcp", "call", "time", "get_current_time", "--args", '{"timezone": "X/Y"}')
    assert failing.code == 1
    assert "Invalid timezone" in failing.stdout
    assert failing.stderr == "llmcli: get_current_time reported an error\n"


def test_mcp_call_checks_its_input(llmcli, cli_env):
    write_config(cli_env, {"time": {"command": TIME_SERVER}})
    run = llmcli("mcp", "call", "time", "get_current_time", "--args", "{nope")
    assert (run.code, run.stderr.split(":")[1]) == (2, " invalid --args")
    run = llmcli("mcp", "call", "time", "nope")
    assert run.code == 2
    assert "time has no tool 'nope': it has get_current_time, convert_time" in run.stderr


def test_mcp_logs_of_a_server_never_run(llmcli):
    run = llmcli("mcp", "logs", "never")
    assert run.code == 2
    assert "no log for MCP server never" in run.stderr
