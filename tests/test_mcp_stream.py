"""MCP tools called from a streamed answer (issue 16): the model's tool call arrives in
pieces (OpenAI chat-completion chunks with tool-call deltas, Anthropic's input_json_delta
events), replayed from a loopback server in small writes; the real mcp-server-time runs
the call and the next request carries its result. The other MCP tests use --no-stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.mcp_helpers import MODELS, TIME_SERVER, offered, tool_results, write_config
from tests.samples import openai_reply
from tests.servers import Reply, load_case
from tests.test_mcp import _check_now_in_tokyo

TOKYO = {"timezone": "Asia/Tokyo"}


@pytest.fixture(autouse=True)
def _fresh_process_state() -> None:
    from tests.harness import reset_process_state

    reset_process_state()


def _sse(events: list[tuple[str | None, Any]]) -> bytes:
    lines = [
        (f"event: {name}\n" if name else "")
        + f"data: {json.dumps(data) if not isinstance(data, str) else data}\n\n"
        for name, data in events
    ]
    return "".join(lines).encode()


def _pieces(arguments: str) -> list[str]:
    """The arguments cut the way the recordings cut them: a few characters at a time."""
    return [arguments[i : i + 4] for i in range(0, len(arguments), 4)]


def _openai_call(call_id: str, name: str, args: dict[str, Any]) -> Reply:
    """tests/fixtures/openai/stream-tool-calls (a recorded stream) calling `name`."""
    case = load_case("openai", "stream-tool-calls")
    chunks = [json.loads(line[6:]) for line in case.response.decode().splitlines()
              if line.startswith("data: {")]  # fmt: skip
    first, *deltas, finish, usage = chunks
    call = first["choices"][0]["delta"]["tool_calls"][0]
    call["id"], call["function"]["name"] = call_id, name
    template = deltas[0]
    out = [first]
    for piece in _pieces(json.dumps(args)):
        chunk = json.loads(json.dumps(template))
        chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] = piece
        out.append(chunk)
    body = _sse([(None, c) for c in [*out, finish, usage]] + [(None, "[DONE]")])
    return Reply(body=body, content_type="text/event-stream", chunk=37)


def _anthropic_call(call_id: str, name: str, args: dict[str, Any]) -> Reply:
    """tests/fixtures/anthropic/stream-tool-use-parallel (a recorded stream) calling `name`
    once, its input sent as input_json_delta pieces."""
    case = load_case("anthropic", "stream-tool-use-parallel")
    events = []
    for block in case.response.decode().split("\n\n"):
        if block.strip():
            name_line, data_line = block.strip().splitlines()
            events.append((name_line[7:], json.loads(data_line[6:])))
    by_type: dict[str, list[Any]] = {}
    for kind, data in events:
        by_type.setdefault(kind, []).append(data)
    start = by_type["content_block_start"][0]
    start["content_block"].update(id=call_id, name=name)
    delta = by_type["content_block_delta"][0]
    pieces = []
    for piece in _pieces(json.dumps(args)):
        one = json.loads(json.dumps(delta))
        one["delta"]["partial_json"] = piece
        pieces.append(("content_block_delta", one))
    body = _sse([
        ("message_start", by_type["message_start"][0]),
        ("content_block_start", start),
        ("ping", by_type["ping"][0]),
        *pieces,
        ("content_block_stop", by_type["content_block_stop"][0]),
        ("message_delta", by_type["message_delta"][0]),
        ("message_stop", by_type["message_stop"][0]),
    ])  # fmt: skip
    return Reply(body=body, content_type="text/event-stream", chunk=37)


def _ollama_call(call_id: str, name: str, args: dict[str, Any]) -> Reply:
    """NDJSON as tests/fixtures/ollama/chat-stream streams it, the call as chat-tool-calls
    has it: Ollama sends a tool call whole in a `done: false` line, never in fragments
    (/work/shared/research/wire-formats.md, "Stream grammar")."""
    lines = load_case("ollama", "chat-stream").response.decode().splitlines()
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    first["message"]["content"] = ""
    first["message"]["tool_calls"] = [
        {"id": call_id, "function": {"index": 0, "name": name, "arguments": args}}
    ]
    body = "".join(json.dumps(x) + "\n" for x in (first, last)).encode()
    return Reply(body=body, content_type="application/x-ndjson", chunk=37)


def _ollama_text() -> Reply:
    return load_case("ollama", "chat-stream").reply(chunk=37)


def _anthropic_text() -> Reply:
    return load_case("anthropic", "stream-text-basic").reply(chunk=37)


REPLIES = {
    "openai": (_openai_call, lambda: openai_reply("It is afternoon in Tokyo.")),
    "anthropic": (_anthropic_call, _anthropic_text),
    "ollama": (_ollama_call, _ollama_text),
}


@pytest.mark.parametrize("provider", list(REPLIES))
def test_a_streamed_tool_call_runs_the_mcp_tool(llmcli, server, cli_env, provider):
    write_config(cli_env, {"time": {"command": TIME_SERVER, "allow": ["get_current_time"]}})
    call, text = REPLIES[provider]
    server.queue(call("call_1", "time__get_current_time", TOKYO), text())
    run = llmcli(
        "complete",
        "-m",
        MODELS[provider],
        "--api-base",
        server.url,
        "--mcp-server",
        "time",
        "What time is it in Tokyo?",
    )
    assert run.code == 0, run.stderr
    first, second = (r.json for r in server.requests)
    for body in (first, second):  # Ollama streams unless told not to
        assert body.get("stream", provider == "ollama") is True
    assert "time__get_current_time" in offered(provider, first)
    (result,) = tool_results(provider, second)
    assert result["id"] == ("time__get_current_time" if provider == "ollama" else "call_1")
    assert result["error"] in (None, False)
    _check_now_in_tokyo(result["content"])
    # The streamed call itself goes back as the assistant turn, its arguments whole.
    if provider == "ollama":  # arguments as a JSON object (wire-formats.md)
        (sent,) = second["messages"][-2]["tool_calls"]
        assert sent["function"]["arguments"] == TOKYO
    elif provider == "anthropic":
        (use,) = [b for b in second["messages"][-2]["content"] if b["type"] == "tool_use"]
        assert use["input"] == TOKYO and use["name"] == "time__get_current_time"
    else:
        (sent,) = second["messages"][-2]["tool_calls"]
        assert json.loads(sent["function"]["arguments"]) == TOKYO
    assert "warning" not in run.stderr


def test_a_streamed_tool_call_in_chat(server, cli_env, monkeypatch, capsys):
    from llmcli.cli.repl import Repl, Session
    from llmcli.cli.spec import Flags

    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    flags = Flags(model=MODELS["anthropic"], log=False, api_base=server.url)
    flags.mcp_server, flags.yes = ["time=" + " ".join(TIME_SERVER)], True
    said: list[str] = []
    repl = Repl(Session(flags=flags), said.append)
    server.queue(_anthropic_call("toolu_1", "time__get_current_time", TOKYO), _anthropic_text())
    repl.ask("What time is it in Tokyo?")
    assert said == []
    (result,) = tool_results("anthropic", server.requests[1].json)
    _check_now_in_tokyo(result["content"])
    assert repl.s.messages[-1].text == "Hello"
    assert "Hello" in capsys.readouterr().out
    from tests.harness import reset_process_state

    reset_process_state()
