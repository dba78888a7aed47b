"""Anthropic: structured output, tools, attachments, caching, prefill and the extras.

Pure `anthropic.encode` / decode checks first (the request each Request field makes, and
what the recorded responses decode to), then the same features through `llmcli complete`
flags against the loopback replay server. Where a recording exists (tests/fixtures/
anthropic, see INDEX.md) the encoded request is compared with the recorded request.json;
bodies without a recording follow the Anthropic docs cited next to them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from llmcli.errors import UsageError
from llmcli.events import Citation, TextDelta, ToolCallDone, ToolCallStart
from llmcli.framing import SSEParser
from llmcli.providers import anthropic
from llmcli.providers.anthropic import body as anthropic_body
from llmcli.providers.anthropic import tools as anthropic_tools
from llmcli.request import (
    JSON_TOOL,
    AttachmentPart,
    McpServer,
    Message,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolResultPart,
    user_message,
)
from llmcli.transport import Connection
from tests.provider_helpers import PROMPT, Cli, call, send
from tests.servers import Received, ReplayServer, Reply, load_case
from tests.spelled import refusal, said
from tests.test_anthropic import (
    ANTHROPIC,
    KEY,
    as_parts,
    encode,
    encoded_body,
    fold,
    fold_case,
    message_end,
    message_start,
    sse,
    tokens,
)

CITY_SCHEMA = load_case("anthropic", "structured-output-config-format").request["output_config"][
    "format"
]["schema"]
CITY_JSON = '{"city":"London","country":"United Kingdom","population":9002488}'
TOKYO_JSON = '{"city":"Tokyo","country":"Japan","population":14000000}'


# ---- helpers ---------------------------------------------------------------------------


def recorded(name: str) -> dict[str, Any]:
    request: dict[str, Any] = load_case("anthropic", name).request
    return request


def plain_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recorded messages in llmcli's spelling: a user message of one text block is a string
    (the same request), and `is_error: false` is left out (the default)."""
    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            content = [
                {k: v for k, v in b.items() if (k, v) != ("is_error", False)} for b in content
            ]
            if message["role"] == "user" and len(content) == 1 and content[0]["type"] == "text":
                content = content[0]["text"]
        out.append({"role": message["role"], "content": content})
    return out


def without_nulls(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if v is not None} for item in items]


def beta(**fields: Any) -> str | None:
    return encode(**fields).headers.get("anthropic-beta")


def warnings(**fields: Any) -> list[str]:
    return said(encode(**fields).warnings)


def function_tool(wire: dict[str, Any]) -> Tool:
    """A recorded Anthropic tool as the neutral Tool it comes from."""
    return Tool(
        name=wire["name"], description=wire.get("description"), parameters=wire["input_schema"]
    )


def json_tool_answer(case: str, old_name: str) -> bytes:
    """A recorded tool_use answer with its tool renamed to JSON_TOOL (llmcli's forced tool)."""
    body = load_case("anthropic", case).response
    old = f'"name": "{old_name}"' if b'"name": "' in body else f'"name":"{old_name}"'
    new = old.replace(old_name, JSON_TOOL)
    assert body.count(old.encode()) == 1
    return body.replace(old.encode(), new.encode())


def events(body: bytes, *, stream: bool) -> list[Any]:
    if not stream:
        return list(anthropic.decode(body))
    parser = SSEParser()
    return list(anthropic.decode_stream([*parser.feed(body), *parser.close()]))


# ---- structured output: the form per model ---------------------------------------------


@pytest.mark.parametrize(
    ("model", "form"),
    [
        ("claude-sonnet-4-5", "output_config"),
        ("claude-sonnet-4-5-20250929", "output_config"),
        ("claude-haiku-4-5-20251001", "output_config"),
        ("claude-opus-4-5-20251101", "output_config"),
        ("claude-opus-4-6", "output_config"),
        ("claude-sonnet-4-6", "output_config"),
        ("claude-opus-4-8", "output_config"),
        ("claude-sonnet-5", "output_config"),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "output_config"),
        ("claude-opus-4-1", "output_format"),
        ("claude-opus-4-1-20250805", "output_format"),
        ("claude-sonnet-4-20250514", "tool"),
        ("claude-sonnet-4-0", "tool"),
        ("claude-opus-4-20250514", "tool"),
        ("claude-3-7-sonnet-20250219", "tool"),
        ("claude-3-5-haiku-latest", "tool"),
        ("claude-3-opus-20240229", "tool"),
        ("my-proxy-model", "tool"),
    ],
)
def test_structured_output_form_per_model(model: str, form: str) -> None:
    assert anthropic_tools.structured_output_form(model) == form


def schema_request(model: str, text: str = "Tell me about London", **fields: Any) -> Any:
    return encode(
        model=model,
        stream=False,
        messages=[user_message(text)],
        response_format=ResponseFormat(type="json_schema", json_schema=CITY_SCHEMA),
        **fields,
    )


def test_native_output_matches_the_recorded_ga_request() -> None:
    got = schema_request("claude-sonnet-4-5")
    expected = recorded("structured-output-config-format")
    assert got.json == {**expected, "messages": plain_messages(expected["messages"])}
    assert "anthropic-beta" not in got.headers
    result = fold_case("structured-output-config-format")
    assert (result.content, result.finish_reason, result.tool_calls) == (CITY_JSON, "stop", [])


def test_opus_4_1_uses_the_recorded_beta_form_and_header() -> None:
    got = schema_request("claude-opus-4-1-20250805")
    expected = recorded("structured-output-format-beta")
    assert got.json == {
        **expected,
        "model": "claude-opus-4-1-20250805",
        "messages": plain_messages(expected["messages"]),
    }
    assert got.headers["anthropic-beta"] == "structured-outputs-2025-11-13"
    assert fold_case("structured-output-format-beta").content == CITY_JSON


def test_native_format_merges_with_opus_4_5_effort() -> None:
    body = schema_request("claude-opus-4-5-20251101", reasoning_effort="low").json
    assert body is not None
    assert body["output_config"] == {
        "effort": "low",
        "format": {"type": "json_schema", "schema": CITY_SCHEMA},
    }


def test_native_output_works_with_thinking() -> None:
    got = schema_request("claude-sonnet-4-5", thinking=True)
    assert got.json is not None
    assert got.json["output_config"]["format"]["schema"] == CITY_SCHEMA
    assert "tools" not in got.json and "tool_choice" not in got.json
    assert said(got.warnings) == []


def test_older_models_get_the_forced_json_tool() -> None:
    """The recorded forced-tool request (pydantic-ai) named its tool `final_result` with
    tool_choice any; llmcli names it JSON_TOOL and forces it by name. The schema is the same."""
    expected = recorded("structured-output-forced-tool")
    schema = expected["tools"][0]["input_schema"]
    got = encode(
        model="claude-sonnet-4-0",
        stream=False,
        messages=[user_message("Give me information about Tokyo")],
        response_format=ResponseFormat(type="json_schema", json_schema=schema),
    )
    assert got.json is not None
    assert got.json["tools"] == [
        {
            "name": JSON_TOOL,
            "description": "Respond with the answer as a JSON object matching this schema.",
            "input_schema": schema,
        }
    ]
    assert got.json["tool_choice"] == {
        "type": "tool",
        "name": JSON_TOOL,
        "disable_parallel_tool_use": True,
    }
    assert "output_config" not in got.json and "output_format" not in got.json
    rest = {k: v for k, v in got.json.items() if k not in ("tools", "tool_choice")}
    assert rest == {
        **{k: v for k, v in expected.items() if k not in ("tools", "tool_choice")},
        "model": "claude-sonnet-4-0",
        "messages": plain_messages(expected["messages"]),
    }


def test_recorded_forced_tool_answer_renamed_to_the_json_tool_is_text() -> None:
    """structured-output-forced-tool's response with `final_result` renamed to JSON_TOOL:
    the tool input becomes the answer (compact JSON), not a tool call."""
    result = fold(json_tool_answer("structured-output-forced-tool", "final_result"), stream=False)
    assert (result.content, result.tool_calls, result.finish_reason) == (TOKYO_JSON, [], "stop")
    assert result.usage.as_dict() == tokens(678, 74)
    # Unrenamed it stays what it was: a call of the client's tool.
    assert fold_case("structured-output-forced-tool").tool_calls[0].name == "final_result"


def test_streamed_json_tool_answer_is_text() -> None:
    """stream-json-tool-fixture (vercel/ai's own JSON tool, named `json`) renamed to
    JSON_TOOL: no tool events, one TextDelta of the whole input when the block ends."""
    body = json_tool_answer("stream-json-tool-fixture", "json")
    got = events(body, stream=True)
    assert not any(isinstance(e, (ToolCallStart, ToolCallDone)) for e in got)
    assert [e for e in got if isinstance(e, TextDelta)] == [
        TextDelta(
            '{"elements":[{"location":"San Francisco","temperature":58,"condition":"sunny"}]}'
        )
    ]
    assert fold(body, stream=True).finish_reason == "stop"


def test_json_tool_next_to_a_real_tool_call_keeps_tool_calls_finish() -> None:
    blocks = [
        {"type": "tool_use", "id": "t1", "name": JSON_TOOL, "input": {"a": "é"}},
        {"type": "tool_use", "id": "t2", "name": "weather", "input": {"city": "Oslo"}},
    ]
    body = json.dumps({"content": blocks, "stop_reason": "tool_use", "model": "m"}).encode()
    result = fold(body, stream=False)
    assert result.content == '{"a":"é"}'
    assert result.tool_calls == [ToolCallDone("t2", "weather", {"city": "Oslo"})]
    assert result.finish_reason == "tool_calls"


def test_json_mode_is_a_forced_tool_with_an_open_schema_on_every_model() -> None:
    body = encoded_body(response_format=ResponseFormat(type="json_object"))
    assert body["tools"] == [
        {
            "name": JSON_TOOL,
            "description": "Respond with the answer as a JSON object.",
            "input_schema": {"type": "object", "additionalProperties": True},
        }
    ]
    assert body["tool_choice"] == {
        "type": "tool",
        "name": JSON_TOOL,
        "disable_parallel_tool_use": True,
    }
    assert "output_config" not in body


def test_forced_json_tool_with_thinking_falls_back_to_auto_with_a_warning() -> None:
    got = encode(
        model="claude-sonnet-4-0",
        thinking=True,
        response_format=ResponseFormat(type="json_schema", json_schema=CITY_SCHEMA),
    )
    assert got.json is not None
    assert got.json["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert got.json["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert said(got.warnings) == [
        "anthropic cannot force tool use with thinking: tool_choice auto was sent (the model "
        f"may answer without calling {JSON_TOOL})"
    ]


def test_json_tool_with_user_tools_forces_any_tool() -> None:
    got = encode(
        model="claude-3-5-haiku-latest",
        tools=[Tool(name="weather")],
        tool_choice="auto",
        response_format=ResponseFormat(type="json_object"),
    )
    assert got.json is not None
    assert [t["name"] for t in got.json["tools"]] == ["weather", JSON_TOOL]
    assert got.json["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert said(got.warnings) == ["--tool-choice auto was replaced by the JSON answer tool"]
    searching = encoded_body(web_search=True, response_format=ResponseFormat(type="json_object"))
    assert [t["name"] for t in searching["tools"]] == ["web_search", JSON_TOOL]
    assert searching["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


def test_json_tool_schema_must_be_an_object() -> None:
    no_type = {"properties": {"a": {"type": "string"}}}
    body = encoded_body(
        model="claude-3-opus-20240229",
        response_format=ResponseFormat(type="json_schema", json_schema=no_type),
    )
    assert body["tools"][0]["input_schema"] == {**no_type, "type": "object"}
    with pytest.raises(UsageError, match=r'only an object schema .*not "array"'):
        encode(
            model="claude-3-opus-20240229",
            response_format=ResponseFormat(
                type="json_schema", json_schema={"type": "array", "items": {}}
            ),
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prefill": "{"}, "anthropic cannot prefill a JSON answer: drop --prefill"),
        ({"cite": True}, "anthropic cannot cite documents in a JSON answer: drop --cite"),
    ],
)
def test_json_output_refuses_prefill_and_citations(fields: dict[str, Any], message: str) -> None:
    """Structured outputs docs, Feature compatibility: not with citations nor prefilling."""
    with pytest.raises(UsageError) as err:
        schema_request("claude-sonnet-4-5", **fields)
    assert refusal(err.value) == message


# ---- tools -----------------------------------------------------------------------------


def test_function_tool_shape_and_strict() -> None:
    tools = [
        Tool(name="a", description="does a", parameters={"type": "object"}, strict=True),
        Tool(name="b"),
    ]
    assert encoded_body(tools=tools)["tools"] == [
        {"name": "a", "description": "does a", "input_schema": {"type": "object"}, "strict": True},
        {"name": "b", "input_schema": {"type": "object", "properties": {}}},
    ]
    # Strict tools came with the structured-outputs beta: Opus 4.1 still needs its header.
    assert beta(model="claude-opus-4-1", tools=tools) == "structured-outputs-2025-11-13"
    assert beta(tools=tools) is None


@pytest.mark.parametrize(
    ("case", "choice"),
    [("tool-choice-any", "required"), ("tool-choice-none", "none")],
)
def test_tool_choice_matches_the_recording(case: str, choice: str) -> None:
    expected = recorded(case)
    body = encoded_body(
        stream=False,
        messages=[user_message(plain_messages(expected["messages"])[0]["content"])],
        tools=[function_tool(t) for t in expected["tools"]],
        tool_choice=choice,
    )
    assert body == {**expected, "messages": plain_messages(expected["messages"])}


def test_recorded_tool_choice_answers() -> None:
    assert fold_case("tool-choice-any").tool_calls == [
        ToolCallDone("toolu_01Dxp8hdnkA8bsrVJJ8LB9q1", "get_weather", {"city": "Paris"})
    ]
    none = fold_case("tool-choice-none")
    assert (none.content, none.tool_calls) == ("Hello! 👋 How can I help you today?", [])


def test_parallel_tool_turns_match_the_recordings() -> None:
    """Turn 1 (system, tools, tool_choice auto) and turn 2 (its answer and four results)."""
    turn1, turn2 = recorded("tool-use-parallel-nonstream"), recorded("tool-result-parallel-turn2")
    fields: dict[str, Any] = {
        "model": "claude-haiku-4-5",
        "stream": False,
        "system": turn1["system"],
        "tools": [function_tool(t) for t in turn1["tools"]],
        "tool_choice": "auto",
    }
    question = user_message(turn1["messages"][0]["content"][0]["text"])
    body1 = encoded_body(messages=[question], **fields)
    assert body1 == {**turn1, "messages": plain_messages(turn1["messages"])}
    answer = fold_case("tool-use-parallel-nonstream")
    results = {
        b["tool_use_id"]: b["content"]
        for b in turn2["messages"][2]["content"]
        if b["type"] == "tool_result"
    }
    replies = Message(
        role="user",
        parts=[
            ToolResultPart(tool_call_id=c.id, name=c.name, content=results[c.id])
            for c in answer.tool_calls
        ],
    )
    messages = [question, Message(role="assistant", parts=as_parts(answer)), replies]
    body2 = encoded_body(messages=messages, **fields)
    assert body2 == {**turn2, "messages": plain_messages(turn2["messages"])}
    assert fold_case("tool-result-parallel-turn2").content.startswith("Based on the retrieved")


@pytest.mark.parametrize(
    ("choice", "parallel", "wire"),
    [
        (None, True, None),
        ("auto", True, {"type": "auto"}),
        ("required", True, {"type": "any"}),
        ("none", True, {"type": "none"}),
        ("weather", True, {"type": "tool", "name": "weather"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        ("weather", False, {"type": "tool", "name": "weather", "disable_parallel_tool_use": True}),
        # tool_choice none has no disable_parallel_tool_use field.
        ("none", False, {"type": "none"}),
    ],
)
def test_tool_choice_mapping(choice: str | None, parallel: bool, wire: Any) -> None:
    body = encoded_body(
        tools=[Tool(name="weather")], tool_choice=choice, parallel_tool_calls=parallel
    )
    assert body.get("tool_choice") == wire


def test_tool_choice_edge_cases() -> None:
    with pytest.raises(UsageError) as err:
        encode(tools=[Tool(name="weather")], tool_choice="nope")
    assert refusal(err.value) == "--tool-choice nope: no such tool (tools: weather)"
    got = encode(tool_choice="required", parallel_tool_calls=False)
    assert got.json is not None and "tool_choice" not in got.json and "tools" not in got.json
    assert said(got.warnings) == ["--tool-choice required: there are no tools: not sent"]
    thinking = encode(thinking=True, tools=[Tool(name="weather")], tool_choice="weather")
    assert thinking.json is not None
    assert thinking.json["tool_choice"] == {"type": "auto"}
    assert "without calling weather" in said(thinking.warnings)[0]


@pytest.mark.parametrize(
    ("hosted", "header"),
    [
        (
            {
                "type": "computer_20250124",
                "name": "computer",
                "display_width_px": 1024,
                "display_height_px": 768,
            },
            "computer-use-2025-01-24",
        ),
        ({"type": "computer_20241022", "name": "computer"}, "computer-use-2024-10-22"),
        ({"type": "computer_20251124", "name": "computer"}, "computer-use-2025-11-24"),
        ({"type": "bash_20250124", "name": "bash"}, "computer-use-2025-01-24"),
        ({"type": "text_editor_20250124", "name": "str_replace_editor"}, "computer-use-2025-01-24"),
        (
            {"type": "text_editor_20250429", "name": "str_replace_based_edit_tool"},
            "computer-use-2025-01-24",
        ),
        ({"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}, None),
        ({"type": "memory_20250818", "name": "memory"}, "context-management-2025-06-27"),
        (
            {"type": "code_execution_20250522", "name": "code_execution"},
            "code-execution-2025-05-22",
        ),
        (
            {"type": "code_execution_20250825", "name": "code_execution"},
            "code-execution-2025-08-25",
        ),
        ({"type": "web_fetch_20250910", "name": "web_fetch"}, "web-fetch-2025-09-10"),
        ({"type": "web_search_20250305", "name": "web_search", "max_uses": 2}, None),
    ],
)
def test_hosted_tools_pass_through_with_their_beta(hosted: dict[str, Any], header: str) -> None:
    got = encode(tools=[Tool(name=hosted["name"], hosted=hosted)], cache_tools=True)
    assert got.json is not None
    assert got.json["tools"] == [{**hosted, "cache_control": {"type": "ephemeral"}}]
    assert "cache_control" not in hosted  # the request's own dict is left alone
    assert got.headers.get("anthropic-beta") == header


def test_cache_tools_marks_only_the_last_tool() -> None:
    body = encoded_body(
        tools=[Tool(name="a"), Tool(name="b")], cache_tools=True, cache_ttl="1h", web_search=True
    )
    assert [("cache_control" in t, t["name"]) for t in body["tools"]] == [
        (False, "a"),
        (False, "b"),
        (True, "web_search"),
    ]
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert beta(tools=[Tool(name="a")], cache_tools=True, cache_ttl="1h") == (
        "extended-cache-ttl-2025-04-11"
    )
    assert warnings(cache_tools=True) == ["--cache-tools: there are no tools to cache"]


# ---- web search ------------------------------------------------------------------------


def test_web_search_matches_the_recorded_request() -> None:
    """The recording sent null allowed_domains/blocked_domains/user_location: llmcli sends
    none (the same request)."""
    expected = recorded("stream-web-search-citations")
    body = encoded_body(
        model="claude-sonnet-4-0",
        system=expected["system"],
        messages=[user_message(expected["messages"][0]["content"][0]["text"])],
        web_search=True,
        tool_choice="auto",
    )
    assert body["tools"] == without_nulls(expected["tools"])
    assert {**body, "tools": expected["tools"]} == {
        **expected,
        "messages": plain_messages(expected["messages"]),
    }
    result = fold_case("stream-web-search-citations")
    assert result.tool_calls == [] and len(result.server_tool_calls) == 2


@pytest.mark.parametrize(
    ("fields", "tools"),
    [
        ({"web_search": True}, [{"type": "web_search_20250305", "name": "web_search"}]),
        (
            {"web_search": True, "web_search_max_uses": 3},
            [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}],
        ),
        # A budget alone turns web search on, as --thinking-budget implies --thinking.
        (
            {"web_search_max_uses": 1},
            [{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}],
        ),
        # A web search tool given in --tools is not added twice.
        (
            {
                "web_search": True,
                "tools": [
                    Tool(
                        name="web_search",
                        hosted={"type": "web_search_20250305", "name": "web_search"},
                    )
                ],
            },
            [{"type": "web_search_20250305", "name": "web_search"}],
        ),
    ],
)
def test_web_search_tool(fields: dict[str, Any], tools: list[dict[str, Any]]) -> None:
    got = encode(**fields)
    assert got.json is not None
    assert got.json["tools"] == tools
    assert "anthropic-beta" not in got.headers


# ---- attachments -----------------------------------------------------------------------


def recorded_attachment(case: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """The recorded user blocks and the neutral parts that should encode to them."""
    blocks = recorded(case)["messages"][0]["content"]
    parts: list[Any] = []
    for b in blocks:
        source = b.get("source", {})
        if b["type"] == "text":
            parts.append(TextPart(text=b["text"]))
        elif source["type"] == "text":
            data = base64.b64encode(source["data"].encode()).decode()
            parts.append(AttachmentPart(mime="text/plain", data=data, name="notes.txt"))
        else:
            parts.append(AttachmentPart(mime=source["media_type"], data=source["data"]))
    return blocks, parts


@pytest.mark.parametrize(
    ("case", "fields", "content"),
    [
        (
            "image-base64",
            {"max_tokens": 8192, "temperature": 1.0},
            "Red square, green square.",
        ),
        (
            "pdf-base64",
            {"stream": False},
            'The document simply contains the text "Dummy PDF file" at the top of what appears '
            "to be an otherwise blank page.",
        ),
        ("text-document-base64", {"stream": False}, 'The text file says "Dummy TXT file".'),
    ],
)
def test_attachments_match_the_recorded_request(
    case: str, fields: dict[str, Any], content: str
) -> None:
    expected = recorded(case)
    blocks, parts = recorded_attachment(case)
    body = encoded_body(messages=[Message(role="user", parts=parts)], **fields)
    assert body["messages"] == [{"role": "user", "content": blocks}]
    assert body == expected
    assert fold_case(case).content == content


def test_url_attachments_and_citations() -> None:
    image = AttachmentPart(mime="image/png", url="https://x.test/a.png", name="a.png")
    pdf = AttachmentPart(mime="application/pdf", url="https://x.test/b.pdf", name="b.pdf")
    text = AttachmentPart(mime="text/plain", data=base64.b64encode(b"hi\n").decode(), name="n.txt")
    message = Message(role="user", parts=[image, pdf, text, TextPart(text="Summarize.")])
    assert encoded_body(messages=[message], cite=True)["messages"][0]["content"] == [
        # Images take no citations.
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
        {
            "type": "document",
            "source": {"type": "url", "url": "https://x.test/b.pdf"},
            "title": "b.pdf",
            "citations": {"enabled": True},
        },
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "hi\n"},
            "title": "n.txt",
            "citations": {"enabled": True},
        },
        {"type": "text", "text": "Summarize."},
    ]
    url_text = AttachmentPart(mime="text/plain", url="https://x.test/n.txt")
    with pytest.raises(UsageError, match="text documents inline, not by URL"):
        encode(messages=[Message(role="user", parts=[url_text])])
    only_image = Message(role="user", parts=[image, TextPart(text="hi")])
    assert warnings(messages=[only_image], cite=True) == [
        "--cite: there is no PDF or text document to cite"
    ]


def test_document_citations_decode() -> None:
    """char_location (text) and page_location (PDF) citations, as the citations docs show
    them (https://platform.claude.com/docs/en/build-with-claude/citations); no recording."""
    answer = {
        "content": [
            {"type": "text", "text": "According to the document, "},
            {
                "type": "text",
                "text": "the grass is green",
                "citations": [
                    {
                        "type": "char_location",
                        "cited_text": "The grass is green.",
                        "document_index": 0,
                        "document_title": "Example Document",
                        "start_char_index": 0,
                        "end_char_index": 20,
                    },
                    {
                        "type": "page_location",
                        "cited_text": "Sky is blue.",
                        "document_index": 1,
                        "document_title": "b.pdf",
                        "start_page_number": 1,
                        "end_page_number": 2,
                    },
                ],
            },
        ],
        "stop_reason": "end_turn",
    }
    result = fold(json.dumps(answer).encode(), stream=False)
    assert result.content == "According to the document, the grass is green"
    assert result.citations == [
        Citation("char_location", "The grass is green.", "Example Document", None, 0, 0, 20),
        Citation("page_location", "Sky is blue.", "b.pdf", None, 1, 1, 2),
    ]


# ---- prompt caching --------------------------------------------------------------------


def test_cache_system_block_has_the_recorded_cache_control() -> None:
    """prompt-cache-write put `{type: ephemeral, ttl: 5m}` on a text block; --cache-system
    puts the same on the system block."""
    block = recorded("prompt-cache-write")["messages"][3]["content"][0]
    body = encoded_body(system="Reply with OK.", cache_system=True, cache_ttl="5m")
    assert body["system"] == [
        {"type": "text", "text": "Reply with OK.", "cache_control": block["cache_control"]}
    ]
    assert encoded_body(system="S", cache_system=True)["system"][0]["cache_control"] == {
        "type": "ephemeral"
    }
    result = fold_case("prompt-cache-write")
    assert (result.usage.cache_write_tokens, result.usage.input_tokens) == (1590, 1592)


@pytest.mark.parametrize(
    ("fields", "header", "notes"),
    [
        (
            {"system": "S", "cache_system": True, "cache_ttl": "1h"},
            "extended-cache-ttl-2025-04-11",
            [],
        ),
        ({"system": "S", "cache_system": True, "cache_ttl": "5m"}, None, []),
        ({"cache_system": True}, None, ["--cache-system: there is no system prompt (-s) to cache"]),
        (
            {"system": "S", "cache_ttl": "1h"},
            None,
            ["--cache-ttl has no effect without --cache-system or --cache-tools"],
        ),
    ],
)
def test_cache_ttl_beta_and_warnings(
    fields: dict[str, Any], header: str | None, notes: list[str]
) -> None:
    got = encode(**fields)
    assert (got.headers.get("anthropic-beta"), said(got.warnings)) == (header, notes)


# ---- prefill ---------------------------------------------------------------------------


def test_prefill_matches_the_recorded_request() -> None:
    expected = recorded("stop-sequences-prefill")
    body = encoded_body(
        model="claude-haiku-4-5-20251001",
        messages=[user_message("Very short function describing a pelican")],
        prefill="```python",
        stop=["```"],
        temperature=1.0,
        max_tokens=8192,
    )
    assert body == {**expected, "messages": plain_messages(expected["messages"])}
    assert body["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "```python"}],
    }
    result = fold_case("stop-sequences-prefill")
    assert result.content.startswith("\ndef pelican():") and result.finish_reason == "stop"


def test_prefill_whitespace_and_thinking() -> None:
    got = encode(prefill="Answer: ")
    assert got.json is not None
    assert got.json["messages"][-1]["content"] == [{"type": "text", "text": "Answer:"}]
    assert said(got.warnings) == [
        "anthropic takes no trailing whitespace in --prefill: it was not sent"
    ]
    assert encoded_body(prefill="  \n")["messages"] == [{"role": "user", "content": "hi"}]
    with pytest.raises(UsageError, match="cannot prefill the answer with thinking on"):
        encode(prefill="{", thinking=True)


# ---- MCP connector -----------------------------------------------------------------------


def test_mcp_servers_and_beta() -> None:
    servers = [
        McpServer(url="https://mcp.example.com/sse", name="example", token="tok-1"),
        McpServer(url="https://other.example.com/mcp", name="other"),
    ]
    got = encode(mcp_servers=servers)
    assert got.json is not None
    assert got.json["mcp_servers"] == [
        {
            "type": "url",
            "url": "https://mcp.example.com/sse",
            "name": "example",
            "authorization_token": "tok-1",
        },
        {"type": "url", "url": "https://other.example.com/mcp", "name": "other"},
    ]
    assert got.headers["anthropic-beta"] == "mcp-client-2025-04-04"
    assert "mcp_servers" not in encoded_body()


# MCP connector docs (https://docs.claude.com/en/docs/agents-and-tools/mcp-connector):
# mcp_tool_use {id, name, server_name, input} and mcp_tool_result {tool_use_id, is_error,
# content}. No recording.
MCP_USE = {
    "type": "mcp_tool_use",
    "id": "mcptoolu_014Q35RayjACSWkSj4X2yov1",
    "name": "echo",
    "server_name": "example-mcp",
    "input": {"param1": "value1", "param2": "value2"},
}
MCP_RESULT = {
    "type": "mcp_tool_result",
    "tool_use_id": "mcptoolu_014Q35RayjACSWkSj4X2yov1",
    "is_error": False,
    "content": [{"type": "text", "text": "Hello"}],
}


def test_mcp_blocks_decode_as_server_tool_calls() -> None:
    done = ToolCallDone(
        "mcptoolu_014Q35RayjACSWkSj4X2yov1", "echo", {"param1": "value1", "param2": "value2"}, True
    )
    answer = {"content": [MCP_USE, MCP_RESULT, {"type": "text", "text": "It said Hello."}]}
    result = fold(json.dumps({**answer, "stop_reason": "end_turn"}).encode(), stream=False)
    assert (result.server_tool_calls, result.tool_calls) == ([done], [])
    assert (result.content, result.finish_reason) == ("It said Hello.", "stop")
    body = sse(
        message_start(input_tokens=5, output_tokens=1),
        {"type": "content_block_start", "index": 0, "content_block": MCP_USE},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": MCP_RESULT},
        {"type": "content_block_stop", "index": 1},
        *message_end("end_turn", output_tokens=9),
    )
    streamed = fold(body, stream=True)
    assert (streamed.server_tool_calls, streamed.tool_calls) == ([done], [])
    assert streamed.error is None


# ---- anthropic-beta --------------------------------------------------------------------


def test_betas_are_joined_deduplicated_in_order() -> None:
    conn = Connection("https://api.anthropic.com", KEY, {"Anthropic-Beta": "h1, b1", "X-Y": "z"})
    got = encode(
        conn=conn,
        betas=["b1", "b2,b3"],
        mcp_servers=[McpServer(url="https://m.test", name="m")],
        tools=[Tool(name="computer", hosted={"type": "computer_20250124", "name": "computer"})],
        model="claude-opus-4-1",
        response_format=ResponseFormat(type="json_schema", json_schema=CITY_SCHEMA),
    )
    assert got.headers["anthropic-beta"] == (
        "b1,b2,b3,structured-outputs-2025-11-13,computer-use-2025-01-24,mcp-client-2025-04-04,h1"
    )
    assert got.headers["X-Y"] == "z"
    assert "Anthropic-Beta" not in got.headers


@pytest.mark.parametrize(
    ("options", "header"),
    [
        (
            {"context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}},
            "context-management-2025-06-27",
        ),
        ({"container": "container_011CU"}, "code-execution-2025-08-25"),
        (
            {"container": {"skills": [{"type": "anthropic", "skill_id": "pptx"}]}},
            "code-execution-2025-08-25,skills-2025-10-02,files-api-2025-04-14",
        ),
        ({"service_tier": "auto"}, None),
    ],
)
def test_option_betas(options: dict[str, Any], header: str | None) -> None:
    got = encode(options=options)
    assert got.headers.get("anthropic-beta") == header
    assert got.json is not None
    assert {k: got.json[k] for k in options} == options


# ---- redacted thinking replays unchanged ---------------------------------------------------


def test_redacted_thinking_replays_as_recorded() -> None:
    expected = recorded("redacted-thinking-replay-turn2")
    first, answer, question = expected["messages"]
    parts: list[Any] = [
        ReasoningPart(redacted=answer["content"][0]["data"]),
        TextPart(text=answer["content"][1]["text"]),
    ]
    body = encoded_body(
        model="claude-sonnet-4-5-20250929",
        stream=False,
        thinking=True,
        thinking_budget=1024,
        messages=[
            user_message(first["content"][0]["text"]),
            Message(role="assistant", parts=parts),
            user_message(question["content"][0]["text"]),
        ],
    )
    assert body == {**expected, "messages": plain_messages(expected["messages"])}


def test_streamed_redacted_thinking_goes_back_unchanged() -> None:
    result = fold_case("stream-redacted-thinking")
    wire = anthropic_body.encode_messages(
        [user_message("q"), Message(role="assistant", parts=as_parts(result))]
    )[1]["content"]
    redacted = [b["data"] for b in wire if b["type"] == "redacted_thinking"]
    assert redacted == [b.redacted for b in result.reasoning_blocks if b.redacted is not None]
    assert len(redacted) == 2


# ---- through the CLI ---------------------------------------------------------------------


def cli(
    server: ReplayServer, llmcli: Cli, case: str | Reply, model: str, *flags: str
) -> tuple[Any, dict[str, Any], Received]:
    """One `llmcli complete --json` against a recorded (or given) reply."""
    reply = load_case("anthropic", case).reply() if isinstance(case, str) else case
    stream = isinstance(case, str) and load_case("anthropic", case).meta["response_file"] == (
        "response.sse"
    )
    extra = () if stream else ("--no-stream",)
    run, received = send(server, llmcli, ANTHROPIC, reply, model, *flags, *extra)
    assert run.code == 0, run.stderr
    assert (received.path, received.headers["x-api-key"]) == ("/v1/messages", KEY)
    return run, received.json, received


@pytest.mark.parametrize("form", ["inline", "@path", "path.json", "wrapped"])
def test_cli_json_schema_native(
    server: ReplayServer, llmcli: Cli, tmp_path: Path, form: str
) -> None:
    text = json.dumps(CITY_SCHEMA)
    if form == "wrapped":
        text = json.dumps({"name": "city", "schema": CITY_SCHEMA, "strict": True})
    path = tmp_path / "schema.json"
    path.write_text(text)
    spec = {"inline": text, "@path": f"@{path}", "path.json": str(path), "wrapped": text}[form]
    run, body, received = cli(
        server,
        llmcli,
        "structured-output-config-format",
        "claude-sonnet-4-5",
        "--json-schema",
        spec,
    )
    assert body["output_config"] == recorded("structured-output-config-format")["output_config"]
    assert "tools" not in body and "anthropic-beta" not in received.headers
    assert (run.json["content"], run.stderr) == (CITY_JSON, "")


def test_cli_json_schema_beta_form(server: ReplayServer, llmcli: Cli) -> None:
    run, body, received = cli(
        server,
        llmcli,
        "structured-output-format-beta",
        "claude-opus-4-1",
        "--json-schema",
        json.dumps(CITY_SCHEMA),
    )
    assert body["output_format"] == recorded("structured-output-format-beta")["output_format"]
    assert received.headers["anthropic-beta"] == "structured-outputs-2025-11-13"
    assert run.json["content"] == CITY_JSON


def test_cli_json_schema_forced_tool(server: ReplayServer, llmcli: Cli) -> None:
    """The recorded forced-tool answer, its `final_result` renamed to JSON_TOOL."""
    schema = recorded("structured-output-forced-tool")["tools"][0]["input_schema"]
    reply = Reply(body=json_tool_answer("structured-output-forced-tool", "final_result"))
    run, body, _ = cli(
        server, llmcli, reply, "claude-sonnet-4-0", "--json-schema", json.dumps(schema)
    )
    assert [(t["name"], t["input_schema"]) for t in body["tools"]] == [(JSON_TOOL, schema)]
    assert body["tool_choice"] == {
        "type": "tool",
        "name": JSON_TOOL,
        "disable_parallel_tool_use": True,
    }
    out = run.json
    assert (out["content"], out["tool_calls"], out["finish_reason"]) == (TOKYO_JSON, [], "stop")


def test_cli_json_mode(server: ReplayServer, llmcli: Cli) -> None:
    reply = Reply(body=json_tool_answer("structured-output-forced-tool", "final_result"))
    run, body, _ = cli(server, llmcli, reply, "claude-sonnet-4-5", "--json-mode")
    assert body["tools"][0]["input_schema"] == {"type": "object", "additionalProperties": True}
    assert "output_config" not in body
    assert run.json["content"] == TOKYO_JSON


def write_tools(tmp_path: Path, case: str) -> Path:
    """The recorded Anthropic tools as an OpenAI function-tool file (what --tools reads)."""
    path = tmp_path / "tools.json"
    path.write_text(
        json.dumps(
            [
                {
                    "type": "function",
                    "function": {
                        "name": t["name"],
                        "description": t["description"],
                        "parameters": t["input_schema"],
                    },
                }
                for t in recorded(case)["tools"]
            ]
        )
    )
    return path


@pytest.mark.parametrize(
    ("case", "choice"), [("tool-choice-any", "required"), ("tool-choice-none", "none")]
)
def test_cli_tools_and_tool_choice(
    server: ReplayServer, llmcli: Cli, tmp_path: Path, case: str, choice: str
) -> None:
    tools = write_tools(tmp_path, case)
    run, body, _ = cli(
        server, llmcli, case, "claude-sonnet-4-5", "--tools", str(tools), "--tool-choice", choice
    )
    expected = recorded(case)
    assert (body["tools"], body["tool_choice"]) == (expected["tools"], expected["tool_choice"])
    if case == "tool-choice-any":
        assert run.json["tool_calls"] == [
            call("toolu_01Dxp8hdnkA8bsrVJJ8LB9q1", "get_weather", {"city": "Paris"})
        ]
    else:
        assert run.json["content"] == "Hello! 👋 How can I help you today?"


def test_cli_named_tool_choice_no_parallel_and_cache_tools(
    server: ReplayServer, llmcli: Cli, tmp_path: Path
) -> None:
    tools = write_tools(tmp_path, "tool-choice-any")
    hosted = tmp_path / "hosted.json"
    hosted.write_text(json.dumps([{"type": "text_editor_20250124", "name": "str_replace_editor"}]))
    _, body, received = cli(
        server,
        llmcli,
        "tool-choice-any",
        "claude-sonnet-4-5",
        "--tools",
        str(tools),
        "--tools",
        str(hosted),
        "--tool-choice",
        "get_weather",
        "--no-parallel-tools",
        "--cache-tools",
    )
    assert body["tool_choice"] == {
        "type": "tool",
        "name": "get_weather",
        "disable_parallel_tool_use": True,
    }
    assert body["tools"][-1] == {
        "type": "text_editor_20250124",
        "name": "str_replace_editor",
        "cache_control": {"type": "ephemeral"},
    }
    assert received.headers["anthropic-beta"] == "computer-use-2025-01-24"


def test_cli_attach_image(server: ReplayServer, llmcli: Cli, tmp_path: Path) -> None:
    block = recorded("image-base64")["messages"][0]["content"][0]
    image = tmp_path / "squares.png"
    image.write_bytes(base64.b64decode(block["source"]["data"]))
    run, body, _ = cli(server, llmcli, "image-base64", "claude-sonnet-4-5", "-a", str(image))
    assert body["messages"] == [
        {"role": "user", "content": [block, {"type": "text", "text": PROMPT}]}
    ]
    assert run.json["content"] == "Red square, green square."


def test_cli_attach_documents_with_citations(
    server: ReplayServer, llmcli: Cli, tmp_path: Path
) -> None:
    pdf_block = recorded("pdf-base64")["messages"][0]["content"][1]
    pdf = tmp_path / "dummy.pdf"
    pdf.write_bytes(base64.b64decode(pdf_block["source"]["data"]))
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"Dummy TXT file\n")
    _, body, _ = cli(
        server,
        llmcli,
        "pdf-base64",
        "claude-sonnet-4-5",
        "-a",
        str(pdf),
        "-a",
        str(notes),
        "--cite",
    )
    # The recording has the text first; the CLI puts files before the prompt.
    assert body["messages"][0]["content"] == [
        {**pdf_block, "title": "dummy.pdf", "citations": {"enabled": True}},
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "Dummy TXT file\n"},
            "title": "notes.txt",
            "citations": {"enabled": True},
        },
        {"type": "text", "text": PROMPT},
    ]


@pytest.mark.parametrize(
    "flags",
    [
        ("-a", "https://x.test/paper.pdf"),
        ("-a", "https://x.test/get?id=7", "--attach-type", "application/pdf"),
    ],
)
def test_cli_attach_url(server: ReplayServer, llmcli: Cli, flags: tuple[str, ...]) -> None:
    _, body, _ = cli(server, llmcli, "pdf-base64", "claude-sonnet-4-5", *flags)
    assert body["messages"][0]["content"][0] == {
        "type": "document",
        "source": {"type": "url", "url": flags[1]},
    }


def test_cli_cache_system(server: ReplayServer, llmcli: Cli) -> None:
    run, body, received = cli(
        server,
        llmcli,
        "prompt-cache-write",
        "claude-opus-4-8",
        "-s",
        "Reply with OK.",
        "--cache-system",
        "--cache-ttl",
        "1h",
    )
    assert body["system"] == [
        {
            "type": "text",
            "text": "Reply with OK.",
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    assert received.headers["anthropic-beta"] == "extended-cache-ttl-2025-04-11"
    assert run.json["usage"]["cache_write_tokens"] == 1590


def test_cli_prefill(server: ReplayServer, llmcli: Cli) -> None:
    """The engine shows the prefill before the continuation the API sends."""
    expected = recorded("stop-sequences-prefill")
    run, body, _ = cli(
        server,
        llmcli,
        "stop-sequences-prefill",
        "claude-haiku-4-5-20251001",
        "--prefill",
        "```python",
        "--stop",
        "```",
        "--max-tokens",
        "8192",
        "--temperature",
        "1",
    )
    assert body["messages"] == [
        {"role": "user", "content": PROMPT},
        expected["messages"][1],
    ]
    assert (body["stop_sequences"], body["temperature"]) == (["```"], 1.0)
    assert run.json["content"] == (
        '```python\ndef pelican():\n    return "A large waterbird with a long bill and a throat '
        'pouch for catching fish."\n'
    )


def test_cli_web_search(server: ReplayServer, llmcli: Cli) -> None:
    run, body, _ = cli(
        server,
        llmcli,
        "stream-web-search-citations",
        "claude-sonnet-4-0",
        "--web-search",
        "--web-search-max-uses",
        "3",
        "--tool-choice",
        "auto",
    )
    assert body["tools"] == [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]
    assert body["tool_choice"] == recorded("stream-web-search-citations")["tool_choice"]
    out = run.json
    assert out["tool_calls"] == [] and len(out["citations"]) == 9


def test_cli_mcp_and_beta(server: ReplayServer, llmcli: Cli) -> None:
    _, body, received = cli(
        server,
        llmcli,
        "nonstream-text",
        "claude-sonnet-4-5",
        "--mcp",
        "https://mcp.example.com/sse",
        "--mcp-token",
        "tok-SECRET",
        "--beta",
        "custom-2025-01-01",
        "--beta",
        "mcp-client-2025-04-04",
    )
    assert body["mcp_servers"] == [
        {
            "type": "url",
            "url": "https://mcp.example.com/sse",
            "name": "mcp",
            "authorization_token": "tok-SECRET",
        }
    ]
    assert received.headers["anthropic-beta"] == "custom-2025-01-01,mcp-client-2025-04-04"


def test_cli_forced_tool_with_thinking_warns(server: ReplayServer, llmcli: Cli) -> None:
    reply = Reply(body=json_tool_answer("structured-output-forced-tool", "final_result"))
    run, body, _ = cli(server, llmcli, reply, "claude-sonnet-4-0", "--json-mode", "--thinking")
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert "anthropic cannot force tool use with thinking" in run.stderr
    assert run.json["content"] == TOKYO_JSON


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (
            ("--json-mode", "--prefill", "{"),
            "anthropic cannot prefill a JSON answer: drop --prefill",
        ),
        (
            ("--prefill", "x", "--thinking"),
            "anthropic cannot prefill the answer with thinking on: drop --prefill",
        ),
    ],
)
def test_cli_refusals_are_usage_errors(
    server: ReplayServer, llmcli: Cli, flags: tuple[str, ...], line: str
) -> None:
    run = llmcli(
        "complete", "--api-base", server.url, "-m", "anthropic/claude-sonnet-4-5", *flags, PROMPT
    )
    assert (run.code, run.stdout, run.stderr) == (2, "", f"llmcli: {line}\n")
    assert server.requests == []
