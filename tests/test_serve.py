"""`llmcli serve` called by the official openai and anthropic SDKs.

One server subprocess per module, in front of loopback upstreams replaying recorded
provider traffic (tests/fixtures). What each SDK gets back is compared with what
llmcli's own decoder makes of the recorded answer, so a translation that loses text,
a tool call or reasoning fails here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmcli.events import Accumulator, Result
from llmcli.framing import frames_of
from llmcli.providers.base import load
from tests.servers import ReplayServer, Reply, load_case

anthropic_sdk = pytest.importorskip("anthropic")
openai_sdk = pytest.importorskip("openai")
pytest.importorskip("starlette")

KEY = "sk-gateway-master"
UPSTREAM_KEY = "sk-upstream-secret-1234567890"

# model name → (llmcli model, path under the replay server)
MODELS = {
    "gpt": ("openai/gpt-4o-mini", "/v1"),
    "claude": ("anthropic/claude-sonnet-4-5", ""),
    "deepseek": ("deepseek/deepseek-reasoner", ""),
    "ollama": ("ollama_chat/llama3.2", ""),
    "router": ("openrouter/anthropic/claude-sonnet-4", "/api/v1"),
}
DECODER = {
    "gpt": "openai",
    "claude": "anthropic",
    "deepseek": "deepseek",
    "ollama": "ollama_chat",
    "router": "openrouter",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(config: Path, tmp: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "UPSTREAM_KEY": UPSTREAM_KEY,
        "HOME": str(tmp),
        "XDG_DATA_HOME": str(tmp / "data"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
    }
    cmd = [sys.executable, "-m", "llmcli", "serve", "--config", str(config)]
    cmd += ["--port", str(port), *extra]
    # The access log goes to a file: a pipe nobody reads would fill and stall the server.
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stderr=log)
    proc.log_path = tmp / "serve.log"  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health/readiness").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError((tmp / "serve.log").read_text())


def stop_server(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    path: Path = proc.log_path  # type: ignore[attr-defined]
    return path.read_text()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("serve")
    replay = ReplayServer().start()
    pair_a, pair_b = ReplayServer().start(), ReplayServer().start()
    lines = ["model_list:"]
    for name, (model, path) in MODELS.items():
        lines += [
            f"  - model_name: {name}",
            f"    litellm_params: {{model: {model}, api_base: '{replay.url}{path}',"
            " api_key: os.environ/UPSTREAM_KEY}",
        ]
    for server in (pair_a, pair_b):
        lines += [
            "  - model_name: pair",
            f"    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{server.url}/v1',"
            " api_key: os.environ/UPSTREAM_KEY}",
        ]
    lines += ["general_settings:", f"  master_key: {KEY}", "  database_url: ignored"]
    config = tmp / "config.yaml"
    config.write_text("\n".join(lines) + "\n")
    proc, url = start_server(config, tmp)
    yield {"url": url, "replay": replay, "a": pair_a, "b": pair_b, "proc": proc, "tmp": tmp}
    log = stop_server(proc)
    assert UPSTREAM_KEY not in log
    for server in (replay, pair_a, pair_b):
        server.stop()


def openai_client(gw: dict[str, Any], key: str = KEY) -> Any:
    return openai_sdk.OpenAI(base_url=gw["url"] + "/v1", api_key=key, max_retries=0)


def anthropic_client(gw: dict[str, Any]) -> Any:
    return anthropic_sdk.Anthropic(base_url=gw["url"], api_key=KEY, max_retries=0)


def serve(gw: dict[str, Any], provider: str, case: str) -> Result:
    """Queue the recorded answer; return what llmcli's decoder makes of it."""
    recorded = load_case(provider, case)
    server: ReplayServer = gw["replay"]
    server.replies.clear()
    server.queue(recorded.reply())
    module = load(_spec(recorded.meta, provider))
    if not streamed(provider, case):
        events = list(module.decode(recorded.response))
    else:
        kind = "ndjson" if recorded.meta["response_file"].endswith(".ndjson") else "sse"
        events = list(module.decode_stream(frames_of(recorded.response, kind)))
    acc = Accumulator(provider, "")
    for event in events:
        acc.add(event)
    return acc.finish()


def streamed(provider: str, case: str) -> bool:
    return not load_case(provider, case).meta["response_file"].endswith(".json")


def _spec(meta: dict[str, Any], provider: str) -> Any:
    from llmcli import providers

    return providers.PROVIDERS["ollama_chat" if provider == "ollama" else provider]


def upstream_body(gw: dict[str, Any]) -> dict[str, Any]:
    received: dict[str, Any] = gw["replay"].requests[-1].json
    return received


USER = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            },
        },
    }
]
SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "schema": {
            "type": "object",
            "properties": {"feet_answer": {"type": "number"}},
            "required": ["feet_answer"],
            "additionalProperties": False,
        },
    },
}

# (model name, provider fixtures dir, case) for text / stream / tools / schema / reasoning
TEXT = [
    ("gpt", "openai", "nonstream-text"),
    ("claude", "anthropic", "nonstream-text"),
    ("deepseek", "deepseek", "reasoner-nonstream"),
    ("ollama", "ollama", "chat-tool-result-turn2"),
    ("router", "openrouter", "reasoning-effort-high"),
]
STREAM = [
    ("gpt", "openai", "stream-text-usage"),
    ("claude", "anthropic", "stream-text-basic"),
    ("deepseek", "deepseek", "reasoner-stream"),
    ("ollama", "ollama", "chat-stream"),
    ("router", "openrouter", "stream-text-processing-comments"),
]
TOOL_CALLS = [
    ("gpt", "openai", "stream-tool-calls", True),
    ("claude", "anthropic", "tool-use-parallel-nonstream", False),
    ("deepseek", "deepseek", "reasoner-tools", False),
    ("ollama", "ollama", "chat-tool-calls", False),
    ("router", "openrouter", "tool-calling", False),
]
TOOL_RESULTS = [
    ("gpt", "openai", "tool-result-nonstream-turn2"),
    ("claude", "anthropic", "tool-result-parallel-turn2"),
    ("deepseek", "deepseek", "reasoner-tool-result-turn3"),
    ("ollama", "ollama", "chat-tool-result-turn2"),
    ("router", "openrouter", "usage-cost"),
]
SCHEMAS = [
    ("gpt", "openai", "structured-json-schema-strict"),
    ("claude", "anthropic", "structured-output-config-format"),
    ("deepseek", "deepseek", "reasoner-nonstream"),
    ("ollama", "ollama", "chat-format-schema"),
    ("router", "openrouter", "reasoning-effort-high"),
]
REASONING = [
    ("claude", "anthropic", "stream-thinking"),
    ("deepseek", "deepseek", "reasoner-stream"),
    ("ollama", "ollama", "chat-thinking-stream"),
    ("router", "openrouter", "stream-reasoning-anthropic"),
    ("gpt", "openai", "max-completion-tokens-o3-mini"),
]


@pytest.mark.parametrize(("name", "provider", "case"), TEXT)
def test_openai_sdk_text(gateway: dict[str, Any], name: str, provider: str, case: str) -> None:
    expected = serve(gateway, provider, case)
    answer = openai_client(gateway).chat.completions.create(model=name, messages=USER)
    assert answer.model == name
    assert answer.choices[0].message.content == (expected.content or None)
    assert UPSTREAM_KEY not in answer.model_dump_json()


@pytest.mark.parametrize(("name", "provider", "case"), STREAM)
def test_openai_sdk_stream(gateway: dict[str, Any], name: str, provider: str, case: str) -> None:
    expected = serve(gateway, provider, case)
    client = openai_client(gateway)
    with client.chat.completions.stream(model=name, messages=USER) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == expected.content
    assert expected.content


@pytest.mark.parametrize(("name", "provider", "case", "stream"), TOOL_CALLS)
def test_openai_sdk_tool_call(
    gateway: dict[str, Any], name: str, provider: str, case: str, stream: bool
) -> None:
    expected = serve(gateway, provider, case)
    client = openai_client(gateway)
    if stream:
        with client.chat.completions.stream(model=name, messages=USER, tools=TOOLS) as s:
            message = s.get_final_completion().choices[0].message
    else:
        message = client.chat.completions.create(model=name, messages=USER, tools=TOOLS)
        message = message.choices[0].message
    got = [(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls]
    assert got == [(c.name, c.arguments) for c in expected.tool_calls]
    assert got
    assert "multiply" in json.dumps(upstream_body(gateway))


@pytest.mark.parametrize(("name", "provider", "case"), TOOL_RESULTS)
def test_openai_sdk_tool_result_turn(
    gateway: dict[str, Any], name: str, provider: str, case: str
) -> None:
    expected = serve(gateway, provider, case)
    messages = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_7",
                    "type": "function",
                    "function": {"name": "multiply", "arguments": '{"a": 2, "b": 3}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_7", "content": "product-is-6"},
    ]
    answer = openai_client(gateway).chat.completions.create(
        model=name, messages=messages, tools=TOOLS
    )
    assert (answer.choices[0].message.content or "") == expected.content
    assert "product-is-6" in json.dumps(upstream_body(gateway))


@pytest.mark.parametrize(("name", "provider", "case"), SCHEMAS)
def test_openai_sdk_json_schema(
    gateway: dict[str, Any], name: str, provider: str, case: str
) -> None:
    expected = serve(gateway, provider, case)
    client = openai_client(gateway)
    if streamed(provider, case):
        with client.chat.completions.stream(
            model=name, messages=USER, response_format=SCHEMA
        ) as stream:
            content = stream.get_final_completion().choices[0].message.content
    else:
        answer = client.chat.completions.create(model=name, messages=USER, response_format=SCHEMA)
        content = answer.choices[0].message.content
    assert (content or "") == expected.content
    assert "feet_answer" in json.dumps(upstream_body(gateway))


@pytest.mark.parametrize(("name", "provider", "case"), REASONING)
def test_openai_sdk_reasoning(gateway: dict[str, Any], name: str, provider: str, case: str) -> None:
    expected = serve(gateway, provider, case)
    client = openai_client(gateway)
    stream = client.chat.completions.create(
        model=name, messages=USER, stream=streamed(provider, case), reasoning_effort="high"
    )
    if not streamed(provider, case):
        message = stream.choices[0].message
        assert message.content == expected.content
        assert (message.model_extra or {}).get("reasoning_content") == expected.reasoning
        return
    reasoning = content = ""
    for chunk in stream:
        for choice in chunk.choices:
            reasoning += (choice.delta.model_extra or {}).get("reasoning_content") or ""
            content += choice.delta.content or ""
    assert content == expected.content
    assert reasoning == (expected.reasoning or "")


def test_anthropic_sdk_to_anthropic_upstream(gateway: dict[str, Any]) -> None:
    expected = serve(gateway, "anthropic", "stream-thinking")
    client = anthropic_client(gateway)
    with client.messages.stream(model="claude", max_tokens=2000, messages=USER) as stream:
        message = stream.get_final_message()
    thinking = "".join(b.thinking for b in message.content if b.type == "thinking")
    text = "".join(b.text for b in message.content if b.type == "text")
    assert (thinking, text) == (expected.reasoning, expected.content)


def test_anthropic_sdk_to_openai_upstream(gateway: dict[str, Any]) -> None:
    expected = serve(gateway, "openai", "stream-tool-calls")
    tools = [{"name": "multiply", "input_schema": TOOLS[0]["function"]["parameters"]}]
    client = anthropic_client(gateway)
    with client.messages.stream(model="gpt", max_tokens=200, messages=USER, tools=tools) as stream:
        message = stream.get_final_message()
    calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert calls == [(c.name, c.arguments) for c in expected.tool_calls]
    assert message.stop_reason == "tool_use"
    whole = serve(gateway, "openai", "nonstream-text")
    answer = client.messages.create(model="gpt", max_tokens=200, messages=USER)
    assert answer.content[0].text == whole.content


def test_openai_sdk_to_anthropic_upstream_whole(gateway: dict[str, Any]) -> None:
    expected = serve(gateway, "anthropic", "tool-use-parallel-nonstream")
    answer = openai_client(gateway).chat.completions.create(
        model="claude", messages=USER, tools=TOOLS
    )
    assert answer.choices[0].finish_reason == "tool_calls"
    assert len(answer.choices[0].message.tool_calls) == len(expected.tool_calls)


def test_embeddings(gateway: dict[str, Any]) -> None:
    serve(gateway, "openai", "embeddings-float-dimensions")
    recorded = json.loads(load_case("openai", "embeddings-float-dimensions").response)
    answer = openai_client(gateway).embeddings.create(model="gpt", input=["a", "b"])
    # openai-python asks for base64 (float32) and decodes it: equal to float32 precision.
    got = [d.embedding for d in answer.data]
    assert got == [pytest.approx(d["embedding"], rel=1e-6) for d in recorded["data"]]


def test_images(gateway: dict[str, Any]) -> None:
    serve(gateway, "openai", "images-generations-b64-fixture")
    recorded = json.loads(load_case("openai", "images-generations-b64-fixture").response)
    answer = openai_client(gateway).images.generate(model="gpt", prompt="a cat")
    assert answer.data[0].b64_json == recorded["data"][0]["b64_json"]


def test_master_key(gateway: dict[str, Any]) -> None:
    serve(gateway, "openai", "nonstream-text")
    with pytest.raises(openai_sdk.AuthenticationError):
        openai_client(gateway, key="wrong").chat.completions.create(model="gpt", messages=USER)
    bare = httpx.get(gateway["url"] + "/v1/models")
    assert bare.status_code == 401
    assert bare.json()["error"]["code"] == "invalid_api_key"
    models = openai_client(gateway).models.list()
    assert {m.id for m in models.data} == {*MODELS, "pair"}
    sent = gateway["replay"].requests
    assert all(KEY not in json.dumps(r.headers) for r in sent)
    assert httpx.get(gateway["url"] + "/health").status_code == 200


def test_unknown_model_and_bad_bodies(gateway: dict[str, Any]) -> None:
    with pytest.raises(openai_sdk.NotFoundError) as err:
        openai_client(gateway).chat.completions.create(model="nope", messages=USER)
    assert "served: gpt, claude" in str(err.value)
    headers = {"x-api-key": KEY}
    bad = httpx.post(gateway["url"] + "/v1/messages", content=b'{"a": }', headers=headers)
    assert bad.status_code == 400
    assert bad.json()["type"] == "error"
    assert "line 1 column 7" in bad.json()["error"]["message"]
    huge = httpx.post(
        gateway["url"] + "/chat/completions", content=b" " * (33 * 1024 * 1024), headers=headers
    )
    assert huge.status_code == 413


def test_two_deployments_spread_and_fail_over(gateway: dict[str, Any]) -> None:
    a, b = gateway["a"], gateway["b"]
    ok = load_case("openai", "nonstream-text").reply()
    for server in (a, b):
        server.replies.clear()
        server.requests.clear()
        server.queue(ok)
    client = openai_client(gateway)
    for _ in range(16):
        client.chat.completions.create(model="pair", messages=USER)
    assert len(a.requests) > 0 and len(b.requests) > 0
    assert len(a.requests) + len(b.requests) == 16
    a.replies.clear()
    a.queue(Reply(status=500, body=b'{"error": {"message": "down", "type": "server_error"}}'))
    a.requests.clear()
    b.requests.clear()
    # The shuffle picks a first sooner or later (not within 64 requests: 1 in 2^64); its 500
    # moves that request to b, and the client never sees it.
    sent = 0
    while not a.requests and sent < 64:
        answer = client.chat.completions.create(model="pair", messages=USER)
        assert answer.choices[0].message.content
        sent += 1
    assert len(a.requests) == 1
    assert len(b.requests) == sent
    # Then a is cooled down: the next ones all go to b.
    for _ in range(8):
        answer = client.chat.completions.create(model="pair", messages=USER)
        assert answer.choices[0].message.content
    assert len(a.requests) == 1
    assert len(b.requests) == sent + 8


def test_upstream_failure_mid_stream_ends_with_an_error_event(gateway: dict[str, Any]) -> None:
    serve(gateway, "openrouter", "stream-midstream-error")
    client = openai_client(gateway)
    stream = client.chat.completions.create(model="router", messages=USER, stream=True)
    with pytest.raises(openai_sdk.APIError):
        for _ in stream:
            pass
    # An upstream connection cut in the middle: the Anthropic client gets `event: error`.
    recorded = load_case("anthropic", "stream-text-basic")
    gateway["replay"].replies.clear()
    gateway["replay"].queue(recorded.reply(cut_after=len(recorded.response) // 2))
    with (
        pytest.raises(anthropic_sdk.APIError),
        anthropic_client(gateway).messages.stream(
            model="claude", max_tokens=100, messages=USER
        ) as events,
    ):
        events.get_final_message()


def test_what_the_provider_cannot_take_is_said_in_a_header(gateway: dict[str, Any]) -> None:
    serve(gateway, "openai", "nonstream-text")
    raw = anthropic_client(gateway).messages.with_raw_response.create(
        model="gpt", max_tokens=50, messages=USER, extra_body={"top_k": 5}
    )
    assert "top_k" in raw.headers.get("x-llmcli-warnings", "")
    assert "top_k" not in json.dumps(upstream_body(gateway))


@pytest.mark.parametrize(("name", "provider", "case"), STREAM + TEXT)
def test_anthropic_sdk_text_from_every_provider(
    gateway: dict[str, Any], name: str, provider: str, case: str
) -> None:
    expected = serve(gateway, provider, case)
    client = anthropic_client(gateway)
    if streamed(provider, case):
        with client.messages.stream(model=name, max_tokens=300, messages=USER) as stream:
            message = stream.get_final_message()
    else:
        message = client.messages.create(model=name, max_tokens=300, messages=USER)
    text = "".join(b.text for b in message.content if b.type == "text")
    assert text == expected.content
    assert message.model == name
