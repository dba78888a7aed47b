"""Structured output, tools, attachments, caching and Anthropic-only refusals for the
OpenAI-shaped providers (openai, deepseek, openrouter).

Pure `encode(Request, Connection)` checks for every mapping and refusal; where a recording
exists, the neutral Request that represents it must encode to the recorded request fields.
The CLI tests at the end send the same through `llmcli complete` and its real flags.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from llmcli.errors import UsageError
from llmcli.events import Usage
from llmcli.providers import deepseek, openai, openrouter
from llmcli.request import (
    AttachmentPart,
    McpServer,
    Message,
    Part,
    ReasoningPart,
    Request,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
    changed,
    user_message,
)
from llmcli.transport import Connection
from tests.conftest import FAKE_KEYS
from tests.provider_helpers import PROMPT, Cli
from tests.servers import Received, ReplayServer, load_case
from tests.spelled import refusal, said

CONN = Connection(base_url="http://127.0.0.1:9/v1", api_key="k")
MODULES: dict[str, ModuleType] = {"openai": openai, "deepseek": deepseek, "openrouter": openrouter}
MODELS = {"openai": "gpt-4o", "deepseek": "deepseek-chat", "openrouter": "openai/gpt-4o"}
WEATHER = Tool(
    name="get_weather",
    description="Get weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.b64encode(PNG).decode()
NOTES = "line one\nline two\n"


def request(provider: str, model: str | None = None, **fields: Any) -> Request:
    fields.setdefault("messages", [user_message(PROMPT)])
    fields.setdefault("stream", False)
    return Request(provider=provider, model=model or MODELS[provider], **fields)


def encode(req: Request) -> tuple[dict[str, Any], list[str]]:
    call = MODULES[req.provider].encode(req, CONN)
    assert call.json is not None
    return call.json, said(call.warnings)


def body_of(req: Request) -> dict[str, Any]:
    return encode(req)[0]


def tools_from(recorded: list[dict[str, Any]]) -> list[Tool]:
    """The neutral tools for a recorded `tools` list (function tools or hosted ones)."""
    tools = []
    for item in recorded:
        if item["type"] != "function":
            tools.append(Tool(name=item["type"], hosted=item))
            continue
        function = item["function"]
        tools.append(
            Tool(
                name=function["name"],
                description=function.get("description"),
                parameters=function["parameters"],
                strict=function.get("strict"),
            )
        )
    return tools


def parsed_arguments(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with tool-call arguments parsed: the recorded strings echo each model's own
    spacing (`{"a": 1}` vs `{"a":1}`), which no single serialisation reproduces."""
    out = json.loads(json.dumps(messages))
    for message in out:
        for call in message.get("tool_calls") or []:
            call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return out


def attachment(kind: str, **fields: Any) -> AttachmentPart:
    if kind == "image":
        return AttachmentPart(mime="image/png", data=PNG_B64, name="dot.png", **fields)
    if kind == "pdf":
        data = base64.b64encode(b"%PDF-1.4 tiny").decode()
        return AttachmentPart(mime="application/pdf", data=data, name="doc.pdf", **fields)
    data = base64.b64encode(NOTES.encode()).decode()
    return AttachmentPart(mime="text/plain", data=data, name="notes.txt", **fields)


def with_parts(*parts: Part) -> list[Message]:
    return [Message(role="user", parts=list(parts))]


# ---- JSON output -------------------------------------------------------------------------


def test_json_schema_as_recorded() -> None:
    """openai/structured-json-schema-strict: the request's schema, name and strict flag."""
    recorded = load_case("openai", "structured-json-schema-strict").request
    spec = recorded["response_format"]["json_schema"]
    req = request(
        "openai",
        "gpt-4o-2024-08-06",
        system=recorded["messages"][0]["content"],
        messages=[user_message(recorded["messages"][1]["content"])],
        temperature=0,
        response_format=ResponseFormat(
            type="json_schema", name=spec["name"], strict=spec["strict"], json_schema=spec["schema"]
        ),
    )
    body, warnings = encode(req)
    assert body["response_format"] == recorded["response_format"]
    assert body["messages"] == recorded["messages"]
    assert body["temperature"] == recorded["temperature"]
    assert warnings == []


def test_json_object_as_recorded() -> None:
    recorded = load_case("openai", "json-object-mode").request
    req = request(
        "openai",
        "gpt-3.5-turbo",
        messages=[user_message(recorded["messages"][0]["content"])],
        response_format=ResponseFormat(type="json_object"),
    )
    body = body_of(req)
    assert body["response_format"] == recorded["response_format"] == {"type": "json_object"}
    assert body["messages"] == recorded["messages"]


SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


@pytest.mark.parametrize("provider", ["openai", "openrouter"])
@pytest.mark.parametrize("strict", [True, False])
def test_json_schema_is_native(provider: str, strict: bool) -> None:
    fmt = ResponseFormat(type="json_schema", name="count", strict=strict, json_schema=SCHEMA)
    body, warnings = encode(request(provider, response_format=fmt))
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "count", "strict": strict, "schema": SCHEMA},
    }
    assert warnings == []


@pytest.mark.parametrize("system", [None, "Be terse."])
def test_deepseek_json_schema_goes_to_the_system_prompt(system: str | None) -> None:
    fmt = ResponseFormat(type="json_schema", json_schema=SCHEMA)
    body, warnings = encode(request("deepseek", system=system, response_format=fmt))
    assert body["response_format"] == {"type": "json_object"}
    instruction = f"{deepseek.SCHEMA_INSTRUCTION}\n{json.dumps(SCHEMA)}"
    expected = f"{system}\n\n{instruction}" if system else instruction
    assert body["messages"] == [
        {"role": "system", "content": expected},
        {"role": "user", "content": PROMPT},
    ]
    assert "JSON" in expected  # DeepSeek's json_object needs the word in the prompt
    assert warnings == [
        "DeepSeek has no JSON schema output: sent response_format json_object "
        "with the schema in the system prompt"
    ]


@pytest.mark.parametrize(
    ("prompt", "system"),
    [
        pytest.param(PROMPT, deepseek.JSON_INSTRUCTION, id="adds-json-instruction"),
        pytest.param("Give me json with a name", None, id="prompt-says-json"),
    ],
)
def test_deepseek_json_object(prompt: str, system: str | None) -> None:
    fmt = ResponseFormat(type="json_object")
    body, warnings = encode(
        request("deepseek", messages=[user_message(prompt)], response_format=fmt)
    )
    assert body["response_format"] == {"type": "json_object"}
    expected = [{"role": "user", "content": prompt}]
    if system:
        expected.insert(0, {"role": "system", "content": system})
    assert body["messages"] == expected
    assert warnings == []


# ---- tools -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "case", "model"),
    [
        ("openai", "tool-calls-nonstream", "gpt-4.1-mini"),
        ("openai", "tool-choice-none", "gpt-5-mini"),
        ("openai", "tool-choice-required", "gpt-5-mini"),
        ("openai", "stream-tool-calls", "gpt-4o-mini"),
        ("deepseek", "reasoner-tools", "deepseek-reasoner"),
        ("openrouter", "tool-calling", "mistralai/mistral-small"),
        ("openrouter", "stream-tool-calls", "openai/gpt-4o-mini"),  # an openrouter: tool
    ],
)
def test_tools_as_recorded(provider: str, case: str, model: str) -> None:
    recorded = load_case(provider, case).request
    req = request(
        provider,
        model,
        tools=tools_from(recorded["tools"]),
        tool_choice=recorded.get("tool_choice"),
        stream=recorded["stream"],
    )
    body, warnings = encode(req)
    assert body["tools"] == recorded["tools"]
    assert body.get("tool_choice") == recorded.get("tool_choice")
    assert "parallel_tool_calls" not in body
    assert warnings == []


@pytest.mark.parametrize("provider", ["openai", "deepseek", "openrouter"])
@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        (None, None),
    ],
)
def test_tool_choice(provider: str, choice: str | None, sent: Any) -> None:
    body = body_of(request(provider, tools=[WEATHER], tool_choice=choice))
    assert body.get("tool_choice") == sent
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get weather for a city",
                "parameters": WEATHER.parameters,
            },
        }
    ]


@pytest.mark.parametrize("provider", ["openai", "deepseek", "openrouter"])
def test_tool_choice_without_tools_is_not_sent(provider: str) -> None:
    body = body_of(request(provider, tool_choice="required", parallel_tool_calls=False))
    assert "tools" not in body
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body


@pytest.mark.parametrize("provider", ["openai", "openrouter"])
def test_no_parallel_tool_calls(provider: str) -> None:
    body, warnings = encode(request(provider, tools=[WEATHER], parallel_tool_calls=False))
    assert body["parallel_tool_calls"] is False
    assert warnings == []


def test_deepseek_has_no_parallel_tool_calls() -> None:
    body, warnings = encode(request("deepseek", tools=[WEATHER], parallel_tool_calls=False))
    assert "parallel_tool_calls" not in body
    assert warnings == ["DeepSeek has no parallel_tool_calls: --no-parallel-tools was not sent"]


COMPUTER = Tool(
    name="computer",
    hosted={"type": "computer_20250124", "name": "computer", "display_width_px": 1024},
)


@pytest.mark.parametrize("provider", ["openai", "deepseek", "openrouter"])
def test_hosted_tool_is_refused(provider: str) -> None:
    with pytest.raises(UsageError) as err:
        encode(request(provider, tools=[WEATHER, COMPUTER]))
    assert refusal(err.value) == (
        "tool 'computer' (computer_20250124) is an Anthropic hosted tool: Anthropic-only "
        "(use an anthropic/ model, or give a function tool)"
    )


# ---- replaying tool turns ----------------------------------------------------------------


def test_openai_tool_result_turn2_as_recorded() -> None:
    recorded = load_case("openai", "tool-result-nonstream-turn2").request
    call_id = "call_bhZkmIKKItNGJ41whHUHB7p9"
    req = request(
        "openai",
        "gpt-4.1-mini",
        system="You are a helpful assistant.",
        messages=[
            user_message("What is the temperature in Tokyo?"),
            Message(
                role="assistant",
                parts=[
                    ToolCallPart(id=call_id, name="get_temperature", arguments={"city": "Tokyo"})
                ],
            ),
            Message(
                role="user",
                parts=[
                    ToolResultPart(tool_call_id=call_id, name="get_temperature", content="20.0")
                ],
            ),
        ],
        tools=tools_from(recorded["tools"]),
        tool_choice="auto",
    )
    body = body_of(req)
    # An assistant message with calls and no text has no `content` at all, as recorded.
    assert "content" not in body["messages"][2]
    assert parsed_arguments(body["messages"]) == parsed_arguments(recorded["messages"])
    assert body["tools"] == recorded["tools"]
    assert body["tool_choice"] == "auto"


def test_openai_stream_tool_result_turn2_as_recorded() -> None:
    """simonw/llm sent an empty assistant text message, then one with the call."""
    recorded = load_case("openai", "stream-tool-result-turn2").request
    call_id = "call_1EYWDzueHEp8OsB8jJSEp7WB"
    req = request(
        "openai",
        "gpt-4o-mini",
        stream=True,
        messages=[
            user_message("What is 1231 * 2331?"),
            Message(role="assistant", parts=[TextPart(text="")]),
            Message(
                role="assistant",
                parts=[ToolCallPart(id=call_id, name="multiply", arguments={"a": 1231, "b": 2331})],
            ),
            Message(
                role="user",
                parts=[ToolResultPart(tool_call_id=call_id, name="multiply", content="2869461")],
            ),
        ],
        tools=tools_from(recorded["tools"]),
    )
    body = body_of(req)
    assert parsed_arguments(body["messages"]) == parsed_arguments(recorded["messages"])
    assert body["messages"][1] == {"role": "assistant", "content": ""}
    assert body["tools"] == recorded["tools"]
    assert body["stream_options"] == recorded["stream_options"]


def test_deepseek_reasoner_tool_result_turn3_as_recorded() -> None:
    """Three assistant turns with reasoning and tool calls, and their results.

    The recording has two system messages; a Request has one system prompt, so only the
    conversation after them is compared. A tool-call message without reasoning still
    carries `reasoning_content: ""` and `content: null`, as DeepSeek's thinking mode wants.
    """
    recorded = load_case("deepseek", "reasoner-tool-result-turn3").request
    conversation = recorded["messages"][2:]
    assistants = [m for m in conversation if m["role"] == "assistant"]
    results = {m["tool_call_id"]: m["content"] for m in conversation if m["role"] == "tool"}

    def assistant(wire: dict[str, Any], reasoning: bool = True) -> Message:
        parts: list[Part] = []
        if reasoning:
            parts.append(ReasoningPart(text=wire["reasoning_content"]))
        if wire["content"] is not None:
            parts.append(TextPart(text=wire["content"]))
        for call in wire["tool_calls"]:
            function = call["function"]
            parts.append(
                ToolCallPart(
                    id=call["id"],
                    name=function["name"],
                    arguments=json.loads(function["arguments"]),
                )
            )
        return Message(role="assistant", parts=parts)

    def answers(wire: dict[str, Any]) -> Message:
        return Message(
            role="user",
            parts=[
                ToolResultPart(
                    tool_call_id=call["id"],
                    name=call["function"]["name"],
                    content=results[call["id"]],
                )
                for call in wire["tool_calls"]
            ],
        )

    messages = [user_message(conversation[0]["content"])]
    for index, wire in enumerate(assistants):
        # The middle turn was added by the client: no reasoning part at all.
        messages += [assistant(wire, reasoning=index != 1), answers(wire)]
    req = request(
        "deepseek",
        "deepseek-reasoner",
        system="\n\n".join(m["content"] for m in recorded["messages"][:2]),
        messages=messages,
        tools=tools_from(recorded["tools"]),
        tool_choice="auto",
    )
    body = body_of(req)
    assert body["messages"][0]["role"] == "system"
    assert parsed_arguments(body["messages"][1:]) == parsed_arguments(conversation)
    assert body["tools"] == recorded["tools"]
    assert body["tool_choice"] == recorded["tool_choice"]


def test_raw_arguments_are_replayed_as_given() -> None:
    """Arguments that did not parse as JSON are kept as the raw text, not re-encoded."""
    req = request(
        "openai",
        messages=[
            user_message(PROMPT),
            Message(role="assistant", parts=[ToolCallPart(id="c1", name="f", arguments="{oops")]),
        ],
    )
    assert body_of(req)["messages"][1]["tool_calls"][0]["function"]["arguments"] == "{oops"


# ---- attachments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "mime", "name"),
    [("image-base64", "image/png", None), ("pdf-file-part", "application/pdf", "filename.pdf")],
)
def test_attachment_as_recorded(case: str, mime: str, name: str | None) -> None:
    recorded = load_case("openai", case).request
    text, wire = recorded["messages"][0]["content"]
    url = wire["image_url"]["url"] if mime.startswith("image/") else wire["file"]["file_data"]
    data = url.split(",", 1)[1]
    req = request(
        "openai",
        messages=with_parts(
            TextPart(text=text["text"]), AttachmentPart(mime=mime, data=data, name=name)
        ),
    )
    assert body_of(req)["messages"] == recorded["messages"]


@pytest.mark.parametrize("provider", ["openai", "openrouter"])
def test_attachments_become_parts_in_order(provider: str) -> None:
    req = request(
        provider,
        messages=with_parts(
            attachment("image"), attachment("pdf"), attachment("text"), TextPart(text=PROMPT)
        ),
    )
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    assert body_of(req)["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                {
                    "type": "file",
                    "file": {
                        "filename": "doc.pdf",
                        "file_data": f"data:application/pdf;base64,{pdf}",
                    },
                },
                {"type": "text", "text": f"File: notes.txt\n\n{NOTES}"},
                {"type": "text", "text": PROMPT},
            ],
        }
    ]


@pytest.mark.parametrize("provider", ["openai", "openrouter"])
def test_image_url_is_sent_as_url(provider: str) -> None:
    url = "https://example.com/cat.png"
    part = AttachmentPart(mime="image/png", url=url, name="cat.png")
    content = body_of(request(provider, messages=with_parts(part, TextPart(text=PROMPT))))[
        "messages"
    ][0]["content"]
    assert content[0] == {"type": "image_url", "image_url": {"url": url}}


def test_openrouter_takes_a_pdf_url() -> None:
    """https://openrouter.ai/docs/features/multimodal/pdfs: `file_data` may be a public URL."""
    url = "https://bitcoin.org/bitcoin.pdf"
    part = AttachmentPart(mime="application/pdf", url=url, name="bitcoin.pdf")
    content = body_of(request("openrouter", messages=with_parts(part, TextPart(text=PROMPT))))[
        "messages"
    ][0]["content"]
    assert content[0] == {"type": "file", "file": {"filename": "bitcoin.pdf", "file_data": url}}


def test_openai_refuses_a_pdf_url() -> None:
    url = "https://bitcoin.org/bitcoin.pdf"
    part = AttachmentPart(mime="application/pdf", url=url, name="bitcoin.pdf")
    with pytest.raises(UsageError) as err:
        encode(request("openai", messages=with_parts(part, TextPart(text=PROMPT))))
    assert refusal(err.value) == (
        f"{url}: this provider takes PDFs only as file data, not URLs: "
        "download the file and attach it"
    )


@pytest.mark.parametrize("kind", ["image", "pdf"])
def test_deepseek_refuses_images_and_files(kind: str) -> None:
    part = attachment(kind)
    with pytest.raises(UsageError) as err:
        encode(request("deepseek", messages=with_parts(part, TextPart(text=PROMPT))))
    assert refusal(err.value) == (
        f"DeepSeek takes no images or files: {part.name} is {part.mime} "
        "(only text files can be attached)"
    )


def test_deepseek_inlines_text_files_into_a_string() -> None:
    req = request("deepseek", messages=with_parts(attachment("text"), TextPart(text=PROMPT)))
    assert body_of(req)["messages"] == [
        {"role": "user", "content": f"File: notes.txt\n\n{NOTES}\n\n{PROMPT}"}
    ]


@pytest.mark.parametrize("provider", ["openai", "deepseek", "openrouter"])
def test_text_url_is_refused(provider: str) -> None:
    part = AttachmentPart(mime="text/plain", url="https://example.com/a.txt", name="a.txt")
    with pytest.raises(UsageError, match="a text attachment must be a local file"):
        encode(request(provider, messages=with_parts(part, TextPart(text=PROMPT))))


@pytest.mark.parametrize("provider", ["openai", "deepseek", "openrouter"])
@pytest.mark.parametrize(
    ("fields", "flag"),
    [
        ({"tools": [WEATHER]}, "--tools"),
        ({"messages": with_parts(attachment("text"), TextPart(text=PROMPT))}, "--attach"),
        ({"response_format": ResponseFormat(type="json_object")}, "--json-schema/--json-mode"),
    ],
)
def test_legacy_completions_refuse_features(
    provider: str, fields: dict[str, Any], flag: str
) -> None:
    with pytest.raises(UsageError) as err:
        encode(request(provider, suffix="return x", **fields))
    assert (
        refusal(err.value)
        == f"{flag} cannot be used with --suffix (the legacy completions endpoint)"
    )


# ---- caching -----------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "name"), [("openai", "OpenAI"), ("deepseek", "DeepSeek")])
def test_automatic_caching_warns(provider: str, name: str) -> None:
    req = request(provider, system="S", cache_system=True, cache_tools=True, cache_ttl="1h")
    body, warnings = encode(req)
    assert warnings == [
        f"{name} caches prompts automatically: --cache-system, --cache-tools, --cache-ttl "
        "has no effect"
    ]
    assert body["messages"][0] == {"role": "system", "content": "S"}


def test_openrouter_cache_system_as_recorded() -> None:
    recorded = load_case("openrouter", "cache-control-system").request
    system = recorded["messages"][0]["content"][0]["text"]
    req = request(
        "openrouter",
        "anthropic/claude-sonnet-4.6",
        system=system,
        messages=[user_message(recorded["messages"][1]["content"])],
        cache_system=True,
        cache_ttl="5m",
    )
    body, warnings = encode(req)
    assert body["messages"] == recorded["messages"]
    assert warnings == []


@pytest.mark.parametrize("ttl", [None, "1h"])
def test_openrouter_anthropic_caches_system_and_last_tool(ttl: str | None) -> None:
    other = Tool(name="roll_dice", parameters={"type": "object", "properties": {}})
    req = request(
        "openrouter",
        "anthropic/claude-sonnet-4.5",
        system="Long rules.",
        tools=[WEATHER, other, changed(COMPUTER, hosted={"type": "openrouter:x"})],
        cache_system=True,
        cache_tools=True,
        cache_ttl=ttl,
    )
    body, warnings = encode(req)
    control = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
    assert body["messages"][0] == {
        "role": "system",
        "content": [{"type": "text", "text": "Long rules.", "cache_control": control}],
    }
    # The breakpoint goes on the last function tool (server tools come after it).
    assert [t.get("cache_control") for t in body["tools"]] == [None, control, None]
    assert warnings == []


def test_openrouter_gemini_caches_system_without_ttl() -> None:
    req = request(
        "openrouter",
        "google/gemini-2.5-pro",
        system="Long rules.",
        tools=[WEATHER],
        cache_system=True,
        cache_tools=True,
        cache_ttl="1h",
    )
    body, warnings = encode(req)
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "Long rules.", "cache_control": {"type": "ephemeral"}}
    ]
    assert "cache_control" not in body["tools"][0]
    assert warnings == [
        "Gemini takes no cache TTL: --cache-ttl was not sent",
        "OpenRouter caches tool definitions only for anthropic/ models: "
        "--cache-tools has no effect",
    ]


def test_openrouter_other_models_cache_automatically() -> None:
    req = request("openrouter", "openai/gpt-4o", system="S", cache_system=True)
    body, warnings = encode(req)
    assert body["messages"][0] == {"role": "system", "content": "S"}
    assert warnings == [
        "OpenRouter (openai/gpt-4o) caches prompts automatically: --cache-system has no effect"
    ]


def test_openrouter_cache_flags_with_nothing_to_cache() -> None:
    req = request("openrouter", "anthropic/claude-sonnet-4.5", cache_system=True, cache_tools=True)
    body, warnings = encode(req)
    assert body["messages"] == [{"role": "user", "content": PROMPT}]
    assert warnings == [
        "--cache-system has no effect: there is no system prompt (-s)",
        "--cache-tools has no effect: no --tools to cache",
    ]


@pytest.mark.parametrize(
    ("case", "read", "write"),
    [("cache-control-anthropic", 3211, 115), ("cache-control-system", 0, 0)],
)
def test_openrouter_cache_usage(case: str, read: int, write: int) -> None:
    """`prompt_tokens_details.cached_tokens` / `cache_write_tokens`, as recorded."""
    events = list(openrouter.decode(load_case("openrouter", case).response))
    usage = next(e for e in events if isinstance(e, Usage))
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (read, write)


# ---- Anthropic-only features -------------------------------------------------------------

ANTHROPIC_ONLY = [
    pytest.param({"cite": True}, "--cite", id="cite"),
    pytest.param({"prefill": "{"}, "--prefill", id="prefill"),
    pytest.param({"web_search": True}, "--web-search", id="web-search"),
    pytest.param({"web_search_max_uses": 3}, "--web-search-max-uses", id="web-search-max-uses"),
    pytest.param(
        {"mcp_servers": [McpServer(url="https://m.example/sse", name="m")]}, "--mcp", id="mcp"
    ),
    pytest.param({"betas": ["files-api-2025-04-14"]}, "--beta", id="beta"),
]


@pytest.mark.parametrize("provider", ["openai", "deepseek", "openrouter"])
@pytest.mark.parametrize(("fields", "flag"), ANTHROPIC_ONLY)
def test_anthropic_only_is_refused(provider: str, fields: dict[str, Any], flag: str) -> None:
    if provider == "openrouter" and flag == "--prefill":
        with pytest.raises(UsageError) as err:
            encode(request(provider, **fields))
        assert refusal(err.value) == "--prefill on OpenRouter works only with anthropic/ models"
        return
    with pytest.raises(UsageError) as err:
        encode(request(provider, **fields))
    assert refusal(err.value) == f"{flag} is Anthropic-only: use an anthropic/ model"


def test_openrouter_prefill_for_anthropic_models() -> None:
    """OpenRouter's "Assistant Prefill": a final assistant message the answer continues."""
    body = body_of(request("openrouter", "anthropic/claude-sonnet-4.5", prefill='{"name":'))
    assert body["messages"][-2:] == [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": '{"name":'},
    ]


# ---- through the CLI ---------------------------------------------------------------------

BASES = {"openai": "/v1", "deepseek": "", "openrouter": "/api/v1"}
KEYS = {
    "openai": FAKE_KEYS["OPENAI_API_KEY"],
    "deepseek": FAKE_KEYS["DEEPSEEK_API_KEY"],
    "openrouter": FAKE_KEYS["OPENROUTER_API_KEY"],
}


def run(
    server: ReplayServer,
    llmcli: Cli,
    provider: str,
    case: str,
    model: str,
    *flags: str,
    code: int = 0,
    input: str | bytes | None = None,
    content: str | None = None,
) -> tuple[Any, Received]:
    """`llmcli complete --json --no-stream` against a recorded JSON answer (its text
    replaced by `content` when given)."""
    reply = load_case(provider, case).reply()
    if content is not None:
        data = json.loads(reply.body)
        data["choices"][0]["message"]["content"] = content
        reply.body = json.dumps(data).encode()
    server.queue(reply)
    result = llmcli(
        "complete",
        "--api-base",
        server.url + BASES[provider],
        "-m",
        f"{provider}/{model}",
        "--no-stream",
        "--json",
        *flags,
        PROMPT,
        input=input,
    )
    assert result.code == code, result.stderr
    assert KEYS[provider] not in result.stdout + result.stderr
    assert len(server.requests) == 1
    return result, server.requests[0]


@pytest.fixture
def schema_spec() -> dict[str, Any]:
    recorded = load_case("openai", "structured-json-schema-strict").request
    return dict(recorded["response_format"]["json_schema"])


@pytest.mark.parametrize("form", ["inline", "@path", "path.json"])
def test_cli_json_schema(
    server: ReplayServer, llmcli: Cli, tmp_path: Path, schema_spec: dict[str, Any], form: str
) -> None:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema_spec))
    value = {"inline": json.dumps(schema_spec), "@path": f"@{path}", "path.json": str(path)}[form]
    result, received = run(
        server, llmcli, "openai", "structured-json-schema-strict", "gpt-4o-2024-08-06",
        "--json-schema", value,
    )  # fmt: skip
    recorded = load_case("openai", "structured-json-schema-strict").request
    assert received.json["response_format"] == recorded["response_format"]
    assert result.json["content"] == '{"final_answer":"4"}'


def test_cli_json_mode(server: ReplayServer, llmcli: Cli) -> None:
    result, received = run(
        server, llmcli, "openai", "json-object-mode", "gpt-3.5-turbo", "--json-mode"
    )
    assert received.json["response_format"] == {"type": "json_object"}
    assert json.loads(result.json["content"]) == {"greeting": "hello"}


def test_cli_deepseek_json_schema_warns(
    server: ReplayServer, llmcli: Cli, schema_spec: dict[str, Any]
) -> None:
    result, received = run(
        server, llmcli, "deepseek", "reasoner-nonstream", "deepseek-chat",
        "-s", "Be terse.", "--json-schema", json.dumps(schema_spec["schema"]),
        content='{"final_answer": "4"}',
    )  # fmt: skip
    assert received.json["response_format"] == {"type": "json_object"}
    system = received.json["messages"][0]["content"]
    assert system.startswith(f"Be terse.\n\n{deepseek.SCHEMA_INSTRUCTION}\n")
    assert json.loads(system.split("\n", 3)[3]) == schema_spec["schema"]
    assert result.stderr == (
        "llmcli: warning: DeepSeek has no JSON schema output: sent response_format json_object "
        "with the schema in the system prompt\n"
    )
    assert result.json["content"] == '{"final_answer": "4"}'


def test_cli_tools(server: ReplayServer, llmcli: Cli, tmp_path: Path) -> None:
    """openai/tool-choice-required: the request's tools from a --tools file."""
    recorded = load_case("openai", "tool-choice-required").request
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(recorded["tools"]))
    result, received = run(
        server, llmcli, "openai", "tool-choice-required", "gpt-5-mini",
        "--tools", str(path), "--tool-choice", "required", "--no-parallel-tools",
    )  # fmt: skip
    assert received.json["tools"] == recorded["tools"]
    assert received.json["tool_choice"] == "required"
    assert received.json["parallel_tool_calls"] is False
    assert result.json["tool_calls"] == [
        {
            "id": "call_injwxidE5XUzmiKVfOH3rxf2",
            "name": "get_weather",
            "arguments": {"city": "Paris"},
        }
    ]


def test_cli_tool_choice_name(server: ReplayServer, llmcli: Cli, tmp_path: Path) -> None:
    recorded = load_case("openrouter", "tool-calling").request
    path = tmp_path / "tools.json"
    path.write_text(json.dumps({"tools": recorded["tools"]}))
    _, received = run(
        server, llmcli, "openrouter", "tool-calling", "mistralai/mistral-small",
        "--tools", str(path), "--tool-choice", "divide",
    )  # fmt: skip
    assert received.json["tools"] == recorded["tools"]
    assert received.json["tool_choice"] == {"type": "function", "function": {"name": "divide"}}
    assert "parallel_tool_calls" not in received.json


def test_cli_attach_image_file(server: ReplayServer, llmcli: Cli, tmp_path: Path) -> None:
    """openai/image-base64: the recorded PNG attached with -a (files come before the text)."""
    recorded = load_case("openai", "image-base64").request
    url = recorded["messages"][0]["content"][1]["image_url"]["url"]
    path = tmp_path / "kiwi.png"
    path.write_bytes(base64.b64decode(url.split(",", 1)[1]))
    result, received = run(server, llmcli, "openai", "image-base64", "gpt-4o", "-a", str(path))
    assert received.json["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": url}},
                {"type": "text", "text": PROMPT},
            ],
        }
    ]
    assert result.json["content"] == "The fruit in the image is a kiwi."


def test_cli_attach_pdf(server: ReplayServer, llmcli: Cli, tmp_path: Path) -> None:
    """openai/pdf-file-part: the recorded PDF attached with -a."""
    recorded = load_case("openai", "pdf-file-part").request
    file_part = recorded["messages"][0]["content"][1]
    path = tmp_path / "filename.pdf"
    path.write_bytes(base64.b64decode(file_part["file"]["file_data"].split(",", 1)[1]))
    _, received = run(server, llmcli, "openai", "pdf-file-part", "gpt-4o", "-a", str(path))
    assert received.json["messages"][0]["content"] == [file_part, {"type": "text", "text": PROMPT}]


def test_cli_attach_stdin_text(server: ReplayServer, llmcli: Cli) -> None:
    _, received = run(server, llmcli, "openai", "nonstream-text", "gpt-4o", "-a", "-", input=NOTES)
    assert received.json["messages"][0]["content"] == [
        {"type": "text", "text": f"File: stdin\n\n{NOTES}"},
        {"type": "text", "text": PROMPT},
    ]


def test_cli_attach_type(server: ReplayServer, llmcli: Cli, tmp_path: Path) -> None:
    """--attach-type forces the type: a .dat file of text sent as text."""
    path = tmp_path / "notes.dat"
    path.write_text(NOTES)
    _, received = run(
        server, llmcli, "deepseek", "reasoner-nonstream", "deepseek-chat",
        "-a", str(path), "--attach-type", "text/markdown",
    )  # fmt: skip
    assert received.json["messages"] == [
        {"role": "user", "content": f"File: notes.dat\n\n{NOTES}\n\n{PROMPT}"}
    ]


def test_cli_deepseek_refuses_an_image(llmcli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    result = llmcli(
        "complete", "--api-base", "http://127.0.0.1:9", "-m", "deepseek/deepseek-chat",
        "-a", str(path), PROMPT,
    )  # fmt: skip
    assert result.code == 2
    assert result.stdout == ""
    # The last line (the model catalog may warn about the image first).
    assert result.stderr.splitlines()[-1] == (
        "llmcli: DeepSeek takes no images or files: dot.png is image/png "
        "(only text files can be attached)"
    )


def test_cli_openrouter_cache_flags(server: ReplayServer, llmcli: Cli, tmp_path: Path) -> None:
    """openrouter/cache-control-system: the recorded system part from -s and cache flags."""
    recorded = load_case("openrouter", "cache-control-system").request
    tools = tmp_path / "tools.json"
    tools.write_text(
        json.dumps([{"type": "function", "function": {"name": "t", "parameters": {}}}])
    )
    result, received = run(
        server, llmcli, "openrouter", "cache-control-system", "anthropic/claude-sonnet-4.6",
        "-s", recorded["messages"][0]["content"][0]["text"],
        "--cache-system", "--cache-tools", "--cache-ttl", "5m", "--tools", str(tools),
    )  # fmt: skip
    assert received.json["messages"][0] == recorded["messages"][0]
    assert received.json["tools"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
    assert result.json["usage"]["cache_write_tokens"] == 0
    assert result.stderr == ""


def test_cli_openai_cache_flag_warns(server: ReplayServer, llmcli: Cli) -> None:
    result, _ = run(server, llmcli, "openai", "nonstream-text", "gpt-4o", "--cache-system")
    assert result.stderr == (
        "llmcli: warning: OpenAI caches prompts automatically: --cache-system has no effect\n"
    )


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (("--prefill", "{"), "--prefill is Anthropic-only: use an anthropic/ model"),
        (("--cite",), "--cite is Anthropic-only: use an anthropic/ model"),
        (("--web-search",), "--web-search is Anthropic-only: use an anthropic/ model"),
        (("--beta", "x-2025"), "--beta is Anthropic-only: use an anthropic/ model"),
    ],
)
def test_cli_anthropic_only_flags(
    server: ReplayServer, llmcli: Cli, flags: tuple[str, ...], line: str
) -> None:
    result = llmcli(
        "complete", "--api-base", server.url + "/v1", "-m", "openai/gpt-4o", *flags, PROMPT
    )
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr == f"llmcli: {line}\n"
    assert server.requests == []
