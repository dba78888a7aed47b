"""Shared by the MCP tests: servers to declare, and model answers in each provider's
recorded shape that call a tool (rewritten from tests/fixtures) or answer in text."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.samples import openai_reply
from tests.servers import Reply, load_case

FIXTURE_SERVER = Path(__file__).with_name("mcp_fixture_server.py")
TIME_SERVER = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]
FIXTURE_STDIO = [sys.executable, str(FIXTURE_SERVER), "stdio"]

MODELS = {
    "openai": "openai/gpt-4.1-mini",
    "anthropic": "anthropic/claude-haiku-4-5",
    "deepseek": "deepseek/deepseek-chat",
    "ollama": "ollama_chat/llama3.2",
    "openrouter": "openrouter/mistralai/mistral-small",
}
# A recorded answer with tool calls per provider (tests/fixtures), rewritten below.
_CALL_CASES = {
    "openai": ("openai", "tool-calls-nonstream"),
    "anthropic": ("anthropic", "tool-use-parallel-nonstream"),
    "deepseek": ("deepseek", "reasoner-tools"),
    "ollama": ("ollama", "chat-tool-calls"),
    "openrouter": ("openrouter", "tool-calling"),
}


def config_text(servers: dict[str, dict[str, Any]]) -> str:
    from llmcli.tomlfile import dumps

    return dumps({"mcp": {"servers": servers}})


def write_config(cli_env: dict[str, str], servers: dict[str, dict[str, Any]]) -> Path:
    path = Path(cli_env["XDG_CONFIG_HOME"]) / "llmcli" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(servers))
    return path


def calls(provider: str, *wanted: tuple[str, str, dict[str, Any]]) -> Reply:
    """The provider's recorded tool-call answer, calling `wanted` (id, name, arguments)."""
    case = load_case(*_CALL_CASES[provider])
    body = json.loads(case.response)
    if provider == "anthropic":
        text = [b for b in body["content"] if b["type"] == "text"]
        uses = [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in wanted]
        body["content"] = text + uses
    elif provider == "ollama":
        body["message"]["tool_calls"] = [
            {"id": i, "function": {"index": k, "name": n, "arguments": a}}
            for k, (i, n, a) in enumerate(wanted)
        ]
    else:
        message = body["choices"][0]["message"]
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, n, a in wanted
        ]
        if "index" in case.response.decode():
            for k, call in enumerate(message["tool_calls"]):
                call["index"] = k
    return Reply(body=json.dumps(body).encode(), content_type="application/json")


def answer(provider: str, text: str) -> Reply:
    if provider == "anthropic":
        body = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 9, "output_tokens": 3},
        }
        return Reply(body=json.dumps(body).encode())
    if provider == "ollama":
        body = {
            "model": "llama3.2",
            "message": {"role": "assistant", "content": text},
            "done": True,
            "done_reason": "stop",
        }
        return Reply(body=json.dumps(body).encode())
    return openai_reply(text, stream=False)


def tool_results(provider: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results of a request body, as (id or name, content, error) dicts."""
    if provider == "anthropic":
        blocks = body["messages"][-1]["content"]
        return [
            {"id": b["tool_use_id"], "content": b["content"], "error": b.get("is_error", False)}
            for b in blocks
            if b["type"] == "tool_result"
        ]
    key = "tool_name" if provider == "ollama" else "tool_call_id"
    return [
        {"id": m[key], "content": m["content"], "error": None}
        for m in body["messages"]
        if m["role"] == "tool"
    ]


def offered(provider: str, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tools of a request body by name: the schema as the provider takes it."""
    if provider == "anthropic":
        return {t["name"]: t["input_schema"] for t in body["tools"]}
    for tool in body["tools"]:
        assert tool["type"] == "function", tool
    return {t["function"]["name"]: t["function"]["parameters"] for t in body["tools"]}
