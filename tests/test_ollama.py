"""Ollama's native API end to end: `llmcli complete` against recorded Ollama traffic.

Each test serves a recording from tests/fixtures/ollama over loopback HTTP and
checks both sides: what the CLI printed (`--json`) and what it sent. Expected
values are literal facts read from the recordings.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from llmcli.connection import resolve_connection
from llmcli.events import Finish, ToolCallDone, ToolCallStart, Usage
from llmcli.providers import PROVIDERS, ollama
from llmcli.providers.ollama import host_url
from llmcli.request import (
    Message,
    Request,
    Tool,
    ToolCallPart,
    ToolResultPart,
    changed,
    user_message,
)
from llmcli.transport import Connection
from tests.servers import Case, Received, ReplayServer, Reply, load_case

COUNT_PROMPT = "Count from 1 to 5"  # the prompt of the recorded streams
COUNT_ANSWER = "Okay, here we go!\n\n1, 2, 3, 4, 5\n"  # gemma3:1b, chat-stream and generate-stream
NAUTICAL_PROMPT = "How many feet are in a nautical mile? Respond with JSON containing the answer."
WEATHER_PROMPT = "What's the weather like in San Francisco?"
GET_TIME_PROMPT = "Which date do we have today?"


def serve(server: ReplayServer, name: str, **reply: Any) -> Case:
    case = load_case("ollama", name)
    server.queue(case.reply(**reply))
    return case


def complete(llmcli: Any, server: ReplayServer, model: str, *flags: str, prompt: str) -> Any:
    return llmcli("complete", "--api-base", server.url, "-m", model, *flags, "--json", prompt)


def only_request(server: ReplayServer) -> Received:
    assert len(server.requests) == 1
    received = server.requests[0]
    assert received.method == "POST"
    assert "authorization" not in received.headers  # local Ollama takes no key
    assert received.headers["content-type"] == "application/json"
    return received


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


def usage(input_tokens: int | None, output_tokens: int | None) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "reasoning_tokens": None,
        "cache_read_tokens": None,
        "cache_write_tokens": None,
        "cost": None,
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# ---- streamed answers ----------------------------------------------------------------------


def test_chat_stream(server: ReplayServer, llmcli: Any) -> None:
    case = serve(server, "chat-stream")
    run = complete(
        llmcli,
        server,
        "ollama_chat/gemma3:1b",
        "--max-tokens",
        "50",
        "--temperature",
        "0",
        prompt=COUNT_PROMPT,
    )
    assert run.code == 0, run.stderr
    assert run.json == {
        "provider": "ollama_chat",
        "model": "gemma3:1b",
        "content": COUNT_ANSWER,
        "reasoning": None,
        "tool_calls": [],
        "citations": [],
        "images": [],
        "finish_reason": "stop",
        "usage": usage(16, 22),
    }
    received = only_request(server)
    assert received.path == "/api/chat"
    # What langchaingo sent, less its empty `format`.
    assert received.json == without(case.request, "format")
    assert received.json == {
        "model": "gemma3:1b",
        "messages": [{"role": "user", "content": "Count from 1 to 5"}],
        "stream": True,
        "options": {"num_predict": 50, "temperature": 0},
    }


def test_generate_stream(server: ReplayServer, llmcli: Any) -> None:
    case = serve(server, "generate-stream")
    run = complete(
        llmcli,
        server,
        "ollama/gemma3:1b",
        "--max-tokens",
        "50",
        "--temperature",
        "0",
        prompt=COUNT_PROMPT,
    )
    assert run.code == 0, run.stderr
    result = run.json
    assert result["provider"] == "ollama"
    assert result["model"] == "gemma3:1b"
    assert result["content"] == "Okay, here we go!\n\n1, 2, 3, 4, 5\n"
    assert result["reasoning"] is None
    assert result["finish_reason"] == "stop"
    assert result["usage"] == usage(16, 22)
    received = only_request(server)
    assert received.path == "/api/generate"
    # What langchaingo sent, less its empty `system` and `template`.
    assert received.json == without(case.request, "system", "template")
    assert received.json["stream"] is True


def test_chat_thinking_stream(server: ReplayServer, llmcli: Any) -> None:
    # ollama.com answered this NDJSON stream with content-type application/json.
    case = serve(server, "chat-thinking-stream")
    assert case.content_type == "application/json"
    run = complete(llmcli, server, "ollama_chat/gpt-oss:120b", "--thinking", prompt=COUNT_PROMPT)
    assert run.code == 0, run.stderr
    result = run.json
    assert result["content"] == "1  \n2  \n3  \n4  \n5"
    assert result["reasoning"] == (
        'User asks: "Count from 1 to 5". Simple. Respond with numbers: 1 2 3 4 5. '
        "Possibly each on separate line. Provide answer."
    )
    assert result["tool_calls"] == []
    assert result["finish_reason"] == "stop"
    assert result["model"] == "gpt-oss:120b"
    assert result["usage"] == usage(74, 57)
    received = only_request(server)
    assert received.path == "/api/chat"
    assert received.json == {
        "model": "gpt-oss:120b",
        "messages": [{"role": "user", "content": "Count from 1 to 5"}],
        "stream": True,
        "think": True,  # top level: inside `options` Ollama ignores it
    }


@pytest.mark.parametrize(
    ("effort", "think"), [("low", "low"), ("medium", "medium"), ("high", "high"), ("none", False)]
)
def test_reasoning_effort_is_sent_as_think(
    server: ReplayServer, llmcli: Any, effort: str, think: str | bool
) -> None:
    serve(server, "chat-thinking-stream")
    run = complete(
        llmcli,
        server,
        "ollama_chat/gpt-oss:120b",
        "--reasoning-effort",
        effort,
        prompt=COUNT_PROMPT,
    )
    assert run.code == 0, run.stderr
    body = only_request(server).json
    assert body["think"] == think
    assert "think" not in body.get("options", {})


def test_no_thinking_flag_sends_no_think(server: ReplayServer, llmcli: Any) -> None:
    serve(server, "chat-stream")
    run = complete(llmcli, server, "ollama_chat/gemma3:1b", prompt=COUNT_PROMPT)
    assert run.code == 0, run.stderr
    assert "think" not in only_request(server).json


@pytest.mark.parametrize(
    ("name", "format_flags", "content", "tokens"),
    [
        ("chat-format-json", ("--json-mode",), '{"answer": "600"}', (25, 9)),
        (
            "chat-format-schema",
            (
                "--json-schema",
                '{"type":"object","properties":{"feet":{"type":"number","properties":{}}}}',
            ),
            '{"feet": 6076}',
            (25, 10),
        ),
    ],
)
def test_chat_format(
    server: ReplayServer,
    llmcli: Any,
    name: str,
    format_flags: tuple[str, ...],
    content: str,
    tokens: tuple[int, int],
) -> None:
    case = serve(server, name)
    run = complete(
        llmcli,
        server,
        "ollama_chat/gemma3:1b",
        "--temperature",
        "0",
        *format_flags,
        prompt=NAUTICAL_PROMPT,
    )
    assert run.code == 0, run.stderr
    assert run.json["content"] == content
    assert run.json["finish_reason"] == "stop"
    assert run.json["usage"] == usage(*tokens)
    received = only_request(server)
    assert received.path == "/api/chat"
    # Exactly what langchaingo sent, except that `stream` is always explicit.
    assert received.json == {**case.request, "stream": True}


# ---- non-streamed answers --------------------------------------------------------------------


def test_chat_tool_calls(server: ReplayServer, llmcli: Any) -> None:
    case = serve(server, "chat-tool-calls")
    tools = json.dumps(case.request["tools"])
    run = complete(
        llmcli,
        server,
        "ollama_chat/gpt-oss:120b",
        "--no-stream",
        "--tools",
        tools,
        prompt=WEATHER_PROMPT,
    )
    assert run.code == 0, run.stderr
    assert run.json == {
        "provider": "ollama_chat",
        "model": "gpt-oss:120b",
        "content": "",
        "reasoning": "User asks about weather in San Francisco. Use function getWeather.",
        "tool_calls": [
            {
                "id": "call_mo1wm122",
                "name": "getWeather",
                "arguments": {"location": "San Francisco, CA"},
            }
        ],
        "citations": [],
        "images": [],
        # Ollama said done_reason "stop"; an answer that calls tools reports "tool_calls".
        "finish_reason": "tool_calls",
        "usage": usage(145, 44),
    }
    received = only_request(server)
    assert received.path == "/api/chat"
    assert received.json["stream"] is False
    # What langchaingo sent, less its empty `format` and `options`.
    assert received.json == without(case.request, "format", "options")


def test_chat_tool_result_answer(server: ReplayServer, llmcli: Any) -> None:
    serve(server, "chat-tool-result-turn2")
    run = complete(llmcli, server, "ollama_chat/gpt-oss:120b", "--no-stream", prompt="x")
    assert run.code == 0, run.stderr
    assert run.json["content"] == "San Francisco is currently **72 °F** and **sunny**."
    assert run.json["reasoning"] is None
    assert run.json["tool_calls"] == []
    assert run.json["finish_reason"] == "stop"
    assert run.json["usage"] == usage(189, 21)
    assert only_request(server).json["stream"] is False


def test_tool_result_history_is_encoded_as_recorded() -> None:
    """The second turn of the recorded tool exchange, built from a `Request`."""
    case = load_case("ollama", "chat-tool-result-turn2")
    req = Request(
        provider="ollama_chat",
        model="gpt-oss:120b",
        stream=False,
        messages=[
            user_message(WEATHER_PROMPT),
            Message(
                role="assistant",
                parts=[
                    ToolCallPart(
                        id="call_mo1wm122",
                        name="getWeather",
                        arguments={"location": "San Francisco, CA"},
                    )
                ],
            ),
            Message(
                role="user",
                parts=[
                    ToolResultPart(
                        tool_call_id="call_mo1wm122",
                        name="getWeather",
                        content='{"temperature": 72, "condition": "sunny"}',
                    )
                ],
            ),
        ],
        tools=[
            Tool(
                name=t["function"]["name"],
                description=t["function"]["description"],
                parameters=t["function"]["parameters"],
            )
            for t in case.request["tools"]
        ],
    )
    call = ollama.encode(req, Connection(base_url="http://127.0.0.1:11434"))
    assert call.url == "http://127.0.0.1:11434/api/chat"
    assert call.framing == "json"
    assert "authorization" not in call.headers
    assert call.json is not None
    sent = call.json["messages"]
    # Ollama matches a tool result by name (it has no tool_call_id); langchaingo sent none.
    assert sent[2].pop("tool_name") == "getWeather"
    recorded = case.request["messages"]
    for wire in recorded[1]["tool_calls"]:
        del wire["function"]["index"]  # a response field langchaingo echoed back
    assert sent == recorded
    assert recorded[1]["tool_calls"][0]["function"]["arguments"] == {
        "location": "San Francisco, CA"
    }  # an object, not the OpenAI JSON string
    assert without(call.json, "messages") == without(case.request, "messages", "format", "options")


def test_tool_calls_without_ids_are_numbered() -> None:
    """Local Ollama sends tool calls without `id`: each call of the answer gets its own."""
    recorded = json.loads(load_case("ollama", "chat-tool-calls").response)
    call = recorded["message"]["tool_calls"][0]
    del call["id"]
    second = json.loads(json.dumps(call))
    second["function"]["arguments"] = {"location": "Paris"}
    recorded["message"]["tool_calls"].append(second)
    events = list(ollama.decode(json.dumps(recorded).encode()))
    starts = [e.id for e in events if isinstance(e, ToolCallStart)]
    done = [(e.id, e.arguments) for e in events if isinstance(e, ToolCallDone)]
    assert starts == ["call_0", "call_1"]
    assert done == [
        ("call_0", {"location": "San Francisco, CA"}),
        ("call_1", {"location": "Paris"}),
    ]
    assert events[-2:] == [
        Usage(input_tokens=145, output_tokens=44),
        Finish("tool_calls", model="gpt-oss:120b"),
    ]


# ---- request options ---------------------------------------------------------------------------


def test_chat_options_and_system_message(server: ReplayServer, llmcli: Any) -> None:
    serve(server, "chat-tool-result-turn2")
    run = complete(
        llmcli,
        server,
        "ollama_chat/gemma3:1b",
        "-s",
        "Answer briefly.",
        "--max-tokens",
        "7",
        "--temperature",
        "0.2",
        "--top-p",
        "0.9",
        "--top-k",
        "40",
        "--stop",
        "5",
        "--stop",
        "\n\n",
        "--no-stream",
        prompt=COUNT_PROMPT,
    )
    received = only_request(server)
    assert received.path == "/api/chat"
    assert received.json == {
        "model": "gemma3:1b",
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Count from 1 to 5"},
        ],
        "stream": False,
        "options": {
            "num_predict": 7,
            "temperature": 0.2,
            "top_p": 0.9,
            "top_k": 40,
            "stop": ["5", "\n\n"],
        },
    }
    assert run.code == 0, run.stderr
    assert run.json["content"] == "San Francisco is currently **72 °F** and **sunny**."


def test_generate_options_and_system_field(server: ReplayServer, llmcli: Any) -> None:
    serve(server, "generate-stream")
    run = complete(
        llmcli,
        server,
        "ollama/gemma3:1b",
        "--system",
        "Answer briefly.",
        "--max-tokens",
        "50",
        "--top-k",
        "1",
        "--stop",
        "6",
        prompt=COUNT_PROMPT,
    )
    assert run.code == 0, run.stderr
    assert run.json["content"] == COUNT_ANSWER
    received = only_request(server)
    assert received.path == "/api/generate"
    assert received.json == {
        "model": "gemma3:1b",
        "prompt": "Count from 1 to 5",
        "stream": True,
        "system": "Answer briefly.",
        "options": {"num_predict": 50, "top_k": 1, "stop": ["6"]},
    }


@pytest.mark.parametrize("model", ["ollama/gemma3:1b", "ollama_chat/gemma3:1b"])
def test_suffix_fills_in_the_middle_on_generate(
    server: ReplayServer, llmcli: Any, model: str
) -> None:
    serve(server, "generate-stream")
    run = complete(
        llmcli,
        server,
        model,
        "-s",
        "Code only.",
        "--suffix",
        "\n    return x\n",
        prompt="def f(x):",
    )
    assert run.code == 0, run.stderr
    assert run.json["content"] == COUNT_ANSWER
    received = only_request(server)
    # /api/chat has no suffix: ollama_chat/ falls back to /api/generate for FIM.
    assert received.path == "/api/generate"
    assert received.json == {
        "model": "gemma3:1b",
        "prompt": "def f(x):",
        "stream": True,
        "system": "Code only.",
        "suffix": "\n    return x\n",
    }


def test_api_key_is_sent_as_bearer_for_hosted_ollama(server: ReplayServer, llmcli: Any) -> None:
    serve(server, "chat-stream")
    run = complete(
        llmcli,
        server,
        "ollama_chat/gemma3:1b",
        "--api-key",
        "ollama-test-key",
        prompt=COUNT_PROMPT,
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].headers["authorization"] == "Bearer ollama-test-key"


# ---- errors --------------------------------------------------------------------------------------


def test_error_400(server: ReplayServer, llmcli: Any) -> None:
    case = serve(server, "error-400-model-no-tools")
    tools = json.dumps(case.request["tools"])
    run = complete(
        llmcli,
        server,
        "ollama_chat/gemma3:1b",
        "--no-stream",
        "--tools",
        tools,
        prompt=GET_TIME_PROMPT,
    )
    assert run.code == 1
    assert run.stdout == ""
    # The last line: the model catalog may first warn that gemma3:1b has no tool calling.
    assert run.stderr.splitlines()[-1] == (
        "llmcli: ollama 400: registry.ollama.ai/library/gemma3:1b does not support tools"
    )
    received = only_request(server)  # a 400 is not retried
    assert received.path == "/api/chat"
    assert received.json == without(case.request, "format", "options")


def test_stream_without_done_is_incomplete(server: ReplayServer, llmcli: Any) -> None:
    """The recorded stream less its final `done: true` line, cleanly ended."""
    case = load_case("ollama", "chat-stream")
    lines = case.response.splitlines(keepends=True)
    assert b'"done":true' in lines[-1]
    server.queue(Reply(body=b"".join(lines[:-1]), content_type=case.content_type))
    run = complete(llmcli, server, "ollama_chat/gemma3:1b", prompt=COUNT_PROMPT)
    assert run.code == 1
    result = run.json  # what arrived is kept
    assert result["content"] == COUNT_ANSWER
    assert result["finish_reason"] == "error"
    assert result["usage"] == usage(None, None)
    assert run.stderr.endswith("the stream ended before the answer was complete\n")
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_stream_cut_mid_line_is_incomplete(server: ReplayServer, llmcli: Any) -> None:
    """The connection drops in the middle of an NDJSON line."""
    case = load_case("ollama", "chat-stream")
    cut = case.response.index(b'"content":"3"')
    server.queue(case.reply(cut_after=cut))
    run = complete(llmcli, server, "ollama_chat/gemma3:1b", prompt=COUNT_PROMPT)
    assert run.code == 1
    assert run.json["content"] == "Okay, here we go!\n\n1, 2, "
    assert run.json["finish_reason"] == "error"
    assert run.stderr.startswith("llmcli: ")
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_error_line_inside_a_stream(server: ReplayServer, llmcli: Any) -> None:
    """A failing stream ends with an `{"error": ...}` line (constructed: none is recorded)."""
    case = load_case("ollama", "chat-stream")
    head = b"".join(case.response.splitlines(keepends=True)[:7])
    server.queue(Reply(body=head + b'{"error":"model runner has unexpectedly stopped"}\n'))
    run = complete(llmcli, server, "ollama_chat/gemma3:1b", prompt=COUNT_PROMPT)
    assert run.code == 1
    assert run.json["content"] == "Okay, here we go!\n\n"
    assert run.json["finish_reason"] == "error"
    assert run.stderr.endswith("model runner has unexpectedly stopped\n")


def test_connection_refused(llmcli: Any) -> None:
    port = closed_port()
    run = llmcli(
        "complete",
        "--api-base",
        f"http://127.0.0.1:{port}",
        "-m",
        "ollama_chat/gemma3:1b",
        "--json",
        "hi",
    )
    assert run.code == 1
    assert run.stdout == ""
    assert f"http://127.0.0.1:{port}/api/chat" in run.stderr
    assert "Ollama server" in run.stderr
    assert "ollama serve" in run.stderr
    assert run.stderr.startswith("llmcli: ")
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


# ---- where requests go -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("0.0.0.0:11434", "http://127.0.0.1:11434"),  # what `ollama serve` listens on
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("myhost", "http://myhost:11434"),
        ("myhost:8080/", "http://myhost:8080"),
        (" myhost ", "http://myhost:11434"),
        ("http://h:1234", "http://h:1234"),
        ("http://h:1234/prefix/", "http://h:1234/prefix"),
        ("https://ollama.com", "https://ollama.com"),  # port 443, not 11434
        ("http://myhost", "http://myhost"),  # port 80, as Ollama's own client reads it
        ("[::1]", "http://[::1]:11434"),
        ("::1", "http://[::1]:11434"),
        ("[::]:11434", "http://[::1]:11434"),
        ("http://localhost:11434", "http://localhost:11434"),
    ],
)
def test_host_url(value: str, url: str) -> None:
    assert host_url(value) == url


def test_ollama_host_from_environment() -> None:
    conn = resolve_connection(PROVIDERS["ollama_chat"], env={"OLLAMA_HOST": "0.0.0.0:11434"})
    assert conn.api_key is None
    req = Request(provider="ollama_chat", model="m", messages=[user_message("hi")])
    assert ollama.encode(req, conn).url == "http://127.0.0.1:11434/api/chat"
    conn = resolve_connection(PROVIDERS["ollama"], env={})
    assert ollama.encode(changed(req, provider="ollama"), conn).url == (
        "http://localhost:11434/api/generate"
    )
    # OLLAMA_API_BASE (LiteLLM's name) wins over OLLAMA_HOST; --api-base over both.
    env = {"OLLAMA_HOST": "a:1", "OLLAMA_API_BASE": "http://b:2"}
    assert resolve_connection(PROVIDERS["ollama"], env=env).base_url == "http://b:2"
    assert (
        resolve_connection(PROVIDERS["ollama"], api_base="http://c:3", env=env).base_url
        == "http://c:3"
    )


@pytest.mark.parametrize("scheme", ["", "http://"])
def test_cli_uses_ollama_host_without_api_base(
    server: ReplayServer, llmcli: Any, scheme: str
) -> None:
    serve(server, "chat-stream")
    port = server.url.rsplit(":", 1)[1]
    # 0.0.0.0 is the listen address; the request must go to 127.0.0.1 (the server).
    env = {"OLLAMA_HOST": f"{scheme}0.0.0.0:{port}"}
    run = llmcli("complete", "-m", "ollama_chat/gemma3:1b", "--json", COUNT_PROMPT, env=env)
    assert run.code == 0, run.stderr
    assert run.json["content"] == COUNT_ANSWER
    assert only_request(server).path == "/api/chat"


def test_api_base_wins_over_ollama_host(server: ReplayServer, llmcli: Any) -> None:
    serve(server, "generate-stream")
    env = {"OLLAMA_HOST": f"127.0.0.1:{closed_port()}"}
    run = llmcli("complete", "--api-base", server.url, "-m", "ollama/gemma3:1b", "hi", env=env)
    assert run.code == 0, run.stderr
    assert run.stdout == COUNT_ANSWER
    assert only_request(server).path == "/api/generate"
