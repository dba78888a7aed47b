"""Request bodies as the official SDKs build them (and as recorded clients sent them)
→ the gateway's Request → each provider's encoder: what the client asked survives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmcli.errors import UsageError
from llmcli.gateway.anthropic_in import messages_call
from llmcli.gateway.errors import GatewayError, from_provider_error
from llmcli.gateway.fields import openai_field
from llmcli.gateway.openai_in import chat_call
from tests.gateway_sdk import anthropic_body, encode, openai_body
from tests.servers import FIXTURES, load_case

PROVIDERS5 = ["openai", "anthropic", "deepseek", "ollama_chat", "openrouter"]
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
    "AAAABJRU5ErkJggg=="
)
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
TURNS: list[Any] = [
    {"role": "system", "content": "Be terse."},
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]


def chat(body: dict[str, Any], provider: str) -> dict[str, Any]:
    return encode(
        provider, chat_call(body, provider=provider, model="m", model_name="alias").request
    )


def dig(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


# Where each provider's body holds a setting (checked against the encoders' output).
STOP = {
    "openai": "stop",
    "anthropic": "stop_sequences",
    "deepseek": "stop",
    "ollama_chat": "options.stop",
    "openrouter": "stop",
}
MAX = {
    "openai": "max_tokens",
    "anthropic": "max_tokens",
    "deepseek": "max_tokens",
    "ollama_chat": "options.num_predict",
    "openrouter": "max_tokens",
}
TOOL = {"anthropic": "tools.0.name"}
TEMP = {"ollama_chat": "options.temperature"}


@pytest.mark.parametrize("provider", PROVIDERS5)
def test_openai_sdk_tool_turn_reaches_every_provider(provider: str) -> None:
    body = openai_body(
        model="alias",
        messages=TURNS,
        tools=[WEATHER],
        tool_choice="auto",
        stop=["END", "STOP"],
        max_completion_tokens=300,
        temperature=0.25,
        user="user-7",
    )
    wire = chat(body, provider)
    text = json.dumps(wire)
    assert dig(wire, STOP[provider]) == ["END", "STOP"]
    assert dig(wire, MAX[provider]) == 300
    assert dig(wire, TEMP.get(provider, "temperature")) == 0.25
    assert dig(wire, TOOL.get(provider, "tools.0.function.name")) == "get_weather"
    assert "Be terse." in text and "sunny" in text and "Paris" in text
    if provider != "ollama_chat":  # Ollama's tool results carry no call id
        assert text.count("call_1") >= 2


@pytest.mark.parametrize("provider", ["openai", "anthropic", "openrouter", "ollama_chat"])
def test_openai_sdk_images_reach_providers_that_see(provider: str) -> None:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]
    if provider != "ollama_chat":  # Ollama takes inline data only (the server downloads URLs)
        parts.append({"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}})
    wire = chat(openai_body(model="alias", messages=[{"role": "user", "content": parts}]), provider)
    text = json.dumps(wire)
    assert PNG in text
    assert ("https://example.com/cat.jpg" in text) == (provider != "ollama_chat")


def test_images_to_a_blind_provider_are_a_400_naming_the_part() -> None:
    body = openai_body(
        model="alias",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}
                ],
            }
        ],
    )
    with pytest.raises(UsageError) as caught:
        chat(body, "deepseek")
    err = from_provider_error(caught.value, spell=openai_field)
    assert err.status == 400 and "messages[0].content[0]" in err.message


REASONING = {
    "openai": ("reasoning_effort", "high"),
    "anthropic": ("thinking.budget_tokens", 4096),
    "openrouter": ("reasoning.effort", "high"),
    "ollama_chat": ("think", "high"),
    "deepseek": ("thinking.type", "enabled"),
}


@pytest.mark.parametrize("provider", sorted(REASONING))
def test_reasoning_effort_reaches_every_provider(provider: str) -> None:
    wire = chat(
        openai_body(
            model="alias", messages=[{"role": "user", "content": "2+2?"}], reasoning_effort="high"
        ),
        provider,
    )
    path, value = REASONING[provider]
    assert dig(wire, path) == value


SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "string"}},
    "required": ["a"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("provider", PROVIDERS5)
def test_json_schema_reaches_every_provider(provider: str) -> None:
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
    }
    wire = chat(
        openai_body(
            model="alias", messages=[{"role": "user", "content": "a?"}], response_format=fmt
        ),
        provider,
    )
    if provider == "deepseek":  # no schema output: json_object, the schema in the prompt
        assert wire["response_format"] == {"type": "json_object"}
        assert json.dumps(SCHEMA) in wire["messages"][0]["content"]
    else:
        assert json.dumps(SCHEMA)[1:-1] in json.dumps(wire)  # the schema, whatever wraps it


def test_openai_stream_options_and_passthrough() -> None:
    body = openai_body(
        model="alias",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
        seed=5,
        extra_body={"provider": {"order": ["anthropic"]}},
    )
    call = chat_call(body, provider="openrouter", model="m", model_name="alias")
    assert call.stream and call.include_usage and call.model_name == "alias"
    wire = encode("openrouter", call.request)
    assert wire["seed"] == 5 and wire["provider"] == {"order": ["anthropic"]}
    dropped = chat_call(body, provider="anthropic", model="m", model_name="alias")
    assert "seed" not in encode("anthropic", dropped.request)
    assert any("seed" in w for w in dropped.warnings)


def test_anthropic_sdk_body_reaches_anthropic_intact() -> None:
    body = anthropic_body(
        model="alias",
        max_tokens=5000,
        system=[
            {
                "type": "text",
                "text": "You are terse.",
                "cache_control": {"type": "ephemeral", "ttl": "1h"},
            }
        ],
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                    },
                    {
                        "type": "document",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "JVBERi0xLjQK",
                        },
                        "title": "Doc",
                    },
                    {"type": "text", "text": "Weather?"},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Need the tool.", "signature": "SIG=="},
                    {"type": "redacted_thinking", "data": "OPAQUE"},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [{"type": "text", "text": "sunny"}],
                    }
                ],
            },
        ],
        tools=[
            {
                "name": "get_weather",
                "description": "Weather",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
                "cache_control": {"type": "ephemeral"},
            }
        ],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        thinking={"type": "enabled", "budget_tokens": 2048},
        stop_sequences=["END"],
        metadata={"user_id": "user-7"},
    )
    call = messages_call(body, provider="anthropic", model="claude-x", model_name="alias")
    wire = encode("anthropic", call.request)
    assert (
        wire["system"][0]["text"] == "You are terse."
        and wire["system"][0]["cache_control"]["ttl"] == "1h"
    )
    assert wire["tools"][-1]["cache_control"]["type"] == "ephemeral"
    assert wire["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert wire["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert wire["stop_sequences"] == ["END"] and wire["metadata"] == {"user_id": "user-7"}
    assert wire["max_tokens"] == 5000
    assistant = wire["messages"][1]["content"]
    assert assistant[0] == {"type": "thinking", "thinking": "Need the tool.", "signature": "SIG=="}
    assert assistant[1] == {"type": "redacted_thinking", "data": "OPAQUE"}
    assert assistant[2]["input"] == {"city": "Paris"}
    first = wire["messages"][0]["content"]
    assert [b["type"] for b in first] == ["image", "document", "text"]
    assert wire["messages"][2]["content"][0]["content"] == "sunny"


@pytest.mark.parametrize("provider", PROVIDERS5)
def test_anthropic_sdk_body_reaches_every_provider(provider: str) -> None:
    body = anthropic_body(
        model="alias",
        max_tokens=300,
        system="Be terse.",
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}],
            },
        ],
        tools=[
            {
                "name": "get_weather",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            }
        ],
        stop_sequences=["END"],
        # Clients of API version 2023-06-01 send temperature; SDK 2.x has no argument.
        extra_body={"temperature": 0.25},
    )
    wire = encode(
        provider, messages_call(body, provider=provider, model="m", model_name="alias").request
    )
    text = json.dumps(wire)
    assert dig(wire, STOP[provider]) == ["END"]
    assert dig(wire, MAX[provider]) == 300
    assert dig(wire, TEMP.get(provider, "temperature")) == 0.25
    assert dig(wire, TOOL.get(provider, "tools.0.function.name")) == "get_weather"
    assert "Be terse." in text and "sunny" in text and "Paris" in text


def test_anthropic_thinking_reaches_openai_shaped_providers() -> None:
    body = anthropic_body(
        model="alias",
        max_tokens=8000,
        messages=[{"role": "user", "content": "hi"}],
        thinking={"type": "enabled", "budget_tokens": 2048},
    )
    call = messages_call(body, provider="openrouter", model="m", model_name="alias")
    assert call.request.thinking and call.request.thinking_budget == 2048
    assert "reasoning" in encode("openrouter", call.request)


def test_a_final_assistant_text_is_a_prefill() -> None:
    body = anthropic_body(
        model="alias",
        max_tokens=50,
        messages=[{"role": "user", "content": "Count"}, {"role": "assistant", "content": "1, 2,"}],
    )
    call = messages_call(body, provider="anthropic", model="m", model_name="alias")
    assert call.request.prefill == "1, 2," and len(call.request.messages) == 1
    assert encode("anthropic", call.request)["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "1, 2,"}],
    }


# ---- recorded client requests ---------------------------------------------------------


def _openai_view(messages: list[dict[str, Any]]) -> list[Any]:
    """What a chat history says, whatever the spelling: roles, texts, images, calls."""
    systems = [_texts(m.get("content")) for m in messages if m["role"] in ("system", "developer")]
    view: list[Any] = [("system", "\n\n".join(t for ts in systems for t in ts))] if systems else []
    for m in messages:
        if m["role"] in ("system", "developer"):
            continue
        items = [("text", t) for t in _texts(m.get("content")) if t]
        items += [
            ("image", p["image_url"]["url"])
            for p in _parts(m.get("content"))
            if p.get("type") == "image_url"
        ]
        items += [
            ("call", c["id"], c["function"]["name"], json.loads(c["function"]["arguments"] or "{}"))
            for c in m.get("tool_calls") or []
        ]
        if m["role"] == "tool":
            items = [("result", m["tool_call_id"], m["content"])]
        if items:
            view.append((m["role"], items))
    return view


def _parts(content: Any) -> list[dict[str, Any]]:
    return content if isinstance(content, list) else []


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    return [p["text"] for p in _parts(content) if p.get("type") == "text"]


def _anthropic_view(body: dict[str, Any]) -> list[Any]:
    view: list[Any] = []
    for m in body["messages"]:
        content = m["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        items = [_block_view(b) for b in blocks]
        if view and view[-1][0] == m["role"]:
            view[-1][1].extend(items)
        else:
            view.append((m["role"], items))
    return [(role, sorted(items, key=lambda i: i[0] != "tool_result")) for role, items in view]


def _block_view(block: dict[str, Any]) -> Any:
    kind = block["type"]
    if kind == "tool_result":
        content = block.get("content")
        return (
            kind,
            block["tool_use_id"],
            content if isinstance(content, str) else "\n\n".join(_texts(content)),
        )
    keep = {
        "text": ("text",),
        "image": ("source",),
        "document": ("source",),
        "tool_use": ("id", "name", "input"),
        "thinking": ("thinking", "signature"),
        "redacted_thinking": ("data",),
    }
    return (kind, *(json.dumps(block.get(k), sort_keys=True) for k in keep[kind]))


def _cases(provider: str) -> list[str]:
    return [
        p.parent.name
        for p in sorted((FIXTURES / provider).glob("*/request.json"))
        if "messages" in json.loads(p.read_text())
    ]


@pytest.mark.parametrize(
    "case_id", [f"{p}/{n}" for p in ("openai", "deepseek", "openrouter") for n in _cases(p)]
)
def test_recorded_openai_shaped_requests_survive(case_id: str) -> None:
    provider, name = case_id.split("/")
    body = load_case(provider, name).request
    assert body is not None
    call = chat_call(body, provider=provider, model=body["model"], model_name=body["model"])
    wire = encode(provider, call.request)
    assert _openai_view(wire["messages"]) == _openai_view(body["messages"])
    for key in (
        "tools",
        "tool_choice",
        "response_format",
        "stop",
        "temperature",
        "top_p",
        "user",
        "reasoning_effort",
        "reasoning",
        "provider",
    ):
        if key in body:
            assert wire.get(key) == body[key], key
    wanted = body.get("max_completion_tokens") or body.get("max_tokens")
    assert wanted is None or wanted in (wire.get("max_tokens"), wire.get("max_completion_tokens"))


@pytest.mark.parametrize("name", _cases("anthropic"))
def test_recorded_anthropic_requests_survive(name: str) -> None:
    body = load_case("anthropic", name).request
    assert body is not None
    call = messages_call(body, provider="anthropic", model=body["model"], model_name=body["model"])
    wire = encode("anthropic", call.request)
    if not any(m["role"] == "system" for m in body["messages"]):
        assert _anthropic_view(wire) == _anthropic_view(body)
    for key in (
        "tool_choice",
        "thinking",
        "stop_sequences",
        "metadata",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
    ):
        if key in body:
            assert wire.get(key) == body[key], key
    assert [t.get("name") for t in wire.get("tools", [])] == [
        t.get("name") for t in body.get("tools", [])
    ]
    system = body.get("system")
    if system is not None:
        want = system if isinstance(system, str) else "\n\n".join(b["text"] for b in system)
        got = (
            wire["system"]
            if isinstance(wire["system"], str)
            else "\n\n".join(b["text"] for b in wire["system"])
        )
        assert got.startswith(want)


# ---- validation ---------------------------------------------------------------------------


OPENAI_BAD = [
    ({}, "messages"),
    ({"messages": "hi"}, "messages"),
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    (
        {"messages": [{"role": "user", "content": [{"type": "audio"}]}]},
        "messages[0].content[0].type",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}],
                }
            ]
        },
        "messages[0].content[0].image_url.url",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@"}}
                    ],
                }
            ]
        },
        "messages[0].content[0].image_url.url",
    ),
    (
        {"messages": [{"role": "tool", "tool_call_id": "nope", "content": "x"}]},
        "messages[0].tool_call_id",
    ),
    ({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, "temperature"),
    ({"messages": [{"role": "user", "content": "x"}], "temperature": 3}, "temperature"),
    ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "n"),
    ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
    ({"messages": [{"role": "user", "content": "x"}], "stop": [1]}, "stop[0]"),
    ({"messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
    (
        {
            "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {}}],
        },
        "tools[0].function.name",
    ),
    (
        {
            "messages": [{"role": "user", "content": "x"}],
            "tool_choice": {"type": "function", "function": {"name": "z"}},
        },
        "tool_choice",
    ),
    (
        {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}},
        "response_format.type",
    ),
    (
        {"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "extreme"},
        "reasoning_effort",
    ),
]


@pytest.mark.parametrize(("body", "param"), OPENAI_BAD)
def test_bad_openai_bodies_are_400_naming_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as caught:
        chat_call(body, provider="anthropic", model="m", model_name="a")
    assert caught.value.status == 400 and caught.value.param == param


ANTHROPIC_BAD = [
    ({"messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
    ({"max_tokens": 10}, "messages"),
    (
        {
            "max_tokens": 10,
            "messages": [
                {"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]}
            ],
        },
        "messages[0].content[0].source.type",
    ),
    (
        {
            "max_tokens": 10,
            "messages": [
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}]}
            ],
        },
        "messages[0].content[0].tool_use_id",
    ),
    (
        {
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x"}],
            "thinking": {"type": "enabled", "budget_tokens": 10},
        },
        "thinking.budget_tokens",
    ),
    (
        {
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x"}],
            "tool_choice": {"type": "tool", "name": "z"},
        },
        "tool_choice.name",
    ),
    (
        {"max_tokens": 10, "messages": [{"role": "user", "content": "x"}], "temperature": 1.5},
        "temperature",
    ),
    (
        {
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x"}],
            "system": [{"type": "image"}],
        },
        "system[0].type",
    ),
    (
        {
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": "t"}],
        },
        "tools[0].input_schema",
    ),
]


@pytest.mark.parametrize(("body", "param"), ANTHROPIC_BAD)
def test_bad_anthropic_bodies_are_400_naming_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as caught:
        messages_call(body, provider="openai", model="m", model_name="a")
    assert caught.value.status == 400 and caught.value.param == param


def test_what_cannot_be_placed_is_dropped_with_a_warning() -> None:
    body: dict[str, Any] = {
        "max_tokens": 100,
        "container": "container_1",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "q", "cache_control": {"type": "ephemeral"}}],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {}},
                    {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": []},
                    {"type": "text", "text": "found"},
                    {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "content": [{"type": "image", "source": {}}],
                    }
                ],
            },
        ],
        "tools": [{"name": "f", "input_schema": {"type": "object"}}],
    }
    to_claude = messages_call(body, provider="anthropic", model="m", model_name="a")
    assert encode("anthropic", to_claude.request)["container"] == "container_1"
    warned = " ".join(to_claude.warnings)
    assert "cache_control" in warned and "server_tool_use" in warned and "image" in warned
    to_gpt = messages_call(body, provider="openai", model="m", model_name="a")
    assert "container" not in encode("openai", to_gpt.request)
    assert any(w.startswith("container was dropped") for w in to_gpt.warnings)


def test_openrouter_server_tools_pass_through_whole() -> None:
    body = load_case("openrouter", "stream-tool-calls").request
    assert body is not None
    wire = chat(body, "openrouter")
    assert wire["tools"] == body["tools"]
    with pytest.raises(GatewayError) as caught:
        chat_call(body, provider="anthropic", model="m", model_name="a")
    assert caught.value.param == "tools[0].type"


def test_anthropic_only_headers_and_citations_do_not_stop_other_providers() -> None:
    body: dict[str, Any] = {
        "max_tokens": 100,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "source": {
                            "type": "text",
                            "media_type": "text/plain",
                            "data": "The sky is blue.",
                        },
                        "citations": {"enabled": True},
                    },
                    {"type": "text", "text": "What colour?"},
                ],
            }
        ],
    }
    betas = ["interleaved-thinking-2025-05-14"]
    claude = messages_call(body, provider="anthropic", model="m", model_name="a", betas=betas)
    assert claude.request.cite and claude.request.betas == betas
    gpt = messages_call(body, provider="openai", model="m", model_name="a", betas=betas)
    wire = encode("openai", gpt.request)  # refused before: betas and cite are Anthropic-only
    assert "The sky is blue." in json.dumps(wire)
    assert len(gpt.warnings) == 2
