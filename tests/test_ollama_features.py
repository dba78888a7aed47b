"""Structured output, tools, attachments, caching and Anthropic-only refusals for Ollama's
native API: pure `encode` checks (against the recordings where they exist), then the same
through `llmcli complete` and its real flags.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from llmcli.errors import UsageError
from llmcli.providers import ollama
from llmcli.request import (
    AttachmentPart,
    McpServer,
    Message,
    Part,
    Request,
    ResponseFormat,
    TextPart,
    Tool,
    user_message,
)
from llmcli.transport import Connection
from tests.samples import PNG
from tests.servers import Received, ReplayServer, load_case
from tests.spelled import refusal, said

CONN = Connection(base_url="http://127.0.0.1:11434")
PROMPT = "Describe this."
NAUTICAL_PROMPT = "How many feet are in a nautical mile? Respond with JSON containing the answer."
WEATHER_PROMPT = "What's the weather like in San Francisco?"
PNG_B64 = base64.b64encode(PNG).decode()
NOTES = "line one\nline two\n"
NOTES_PART = AttachmentPart(
    mime="text/plain", data=base64.b64encode(NOTES.encode()).decode(), name="notes.txt"
)
IMAGE_PART = AttachmentPart(mime="image/png", data=PNG_B64, name="dot.png")
WEATHER = Tool(
    name="get_weather",
    description="Get weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    strict=True,
)


def request(provider: str = "ollama_chat", **fields: Any) -> Request:
    fields.setdefault("messages", [user_message(PROMPT)])
    fields.setdefault("stream", False)
    return Request(provider=provider, model="gemma3:1b", **fields)


def encode(req: Request) -> tuple[dict[str, Any], list[str]]:
    call = ollama.encode(req, CONN)
    assert call.json is not None
    return call.json, said(call.warnings)


def with_parts(*parts: Part) -> list[Message]:
    return [Message(role="user", parts=list(parts))]


def tools_from(recorded: list[dict[str, Any]]) -> list[Tool]:
    return [
        Tool(
            name=t["function"]["name"],
            description=t["function"].get("description"),
            parameters=t["function"]["parameters"],
        )
        for t in recorded
    ]


# ---- structured output -----------------------------------------------------------------------


@pytest.mark.parametrize("case", ["chat-format-json", "chat-format-schema"])
def test_format_as_recorded(case: str) -> None:
    recorded = load_case("ollama", case).request
    fmt = (
        ResponseFormat(type="json_object")
        if recorded["format"] == "json"
        else ResponseFormat(type="json_schema", json_schema=recorded["format"])
    )
    req = request(
        messages=[user_message(NAUTICAL_PROMPT)], temperature=0, stream=True, response_format=fmt
    )
    body, warnings = encode(req)
    # Exactly what langchaingo sent, except that `stream` is always explicit.
    assert body == {**recorded, "stream": True}
    assert warnings == []


def test_format_on_generate() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    fmt = ResponseFormat(type="json_schema", json_schema=schema)
    body, _ = encode(request("ollama", response_format=fmt))
    assert body == {"model": "gemma3:1b", "prompt": PROMPT, "stream": False, "format": schema}


# ---- tools ---------------------------------------------------------------------------------------


def test_tools_as_recorded() -> None:
    recorded = load_case("ollama", "chat-tool-calls").request
    req = request(messages=[user_message(WEATHER_PROMPT)], tools=tools_from(recorded["tools"]))
    body, warnings = encode(req)
    # What langchaingo sent, less its empty `format` and `options`.
    assert body == {k: v for k, v in recorded.items() if k not in ("format", "options")} | {
        "model": "gemma3:1b"
    }
    assert warnings == []


def test_tool_shape_drops_strict() -> None:
    body, _ = encode(request(tools=[WEATHER], tool_choice="auto"))
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
    assert "tool_choice" not in body


def test_tool_choice_none_leaves_the_tools_out() -> None:
    body, warnings = encode(request(tools=[WEATHER], tool_choice="none"))
    assert "tools" not in body
    assert warnings == []


@pytest.mark.parametrize("choice", ["required", "get_weather"])
def test_forced_tool_choice_is_a_warning(choice: str) -> None:
    body, warnings = encode(request(tools=[WEATHER], tool_choice=choice))
    assert len(body["tools"]) == 1
    assert "tool_choice" not in body
    assert warnings == [f"Ollama has no tool_choice: --tool-choice {choice} was not sent"]


def test_no_parallel_tools_is_a_warning() -> None:
    body, warnings = encode(request(tools=[WEATHER], parallel_tool_calls=False))
    assert "parallel_tool_calls" not in body
    assert warnings == ["Ollama has no parallel_tool_calls: --no-parallel-tools was not sent"]


def test_hosted_tool_is_refused() -> None:
    computer = Tool(name="computer", hosted={"type": "computer_20250124", "name": "computer"})
    with pytest.raises(UsageError) as err:
        encode(request(tools=[WEATHER, computer]))
    assert refusal(err.value) == (
        "tool 'computer' (computer_20250124) is an Anthropic hosted tool: Anthropic-only "
        "(use an anthropic/ model, or give a function tool)"
    )


@pytest.mark.parametrize(
    ("provider", "suffix"), [("ollama", None), ("ollama_chat", "    return x")]
)
def test_tools_need_the_chat_endpoint(provider: str, suffix: str | None) -> None:
    with pytest.raises(UsageError) as err:
        encode(request(provider, tools=[WEATHER], suffix=suffix))
    assert refusal(err.value) == (
        "tools need Ollama's chat endpoint: use -m ollama_chat/MODEL (without --suffix)"
    )


# ---- attachments -----------------------------------------------------------------------------


def test_image_goes_to_the_message_as_raw_base64() -> None:
    body, _ = encode(request(messages=with_parts(IMAGE_PART, TextPart(text=PROMPT))))
    assert body["messages"] == [{"role": "user", "content": PROMPT, "images": [PNG_B64]}]


def test_data_url_prefix_is_stripped() -> None:
    part = AttachmentPart(mime="image/png", data=f"data:image/png;base64,{PNG_B64}")
    body, _ = encode(request(messages=with_parts(part, TextPart(text=PROMPT))))
    assert body["messages"][0]["images"] == [PNG_B64]


def test_text_files_are_inlined_in_order() -> None:
    req = request(messages=with_parts(NOTES_PART, IMAGE_PART, TextPart(text=PROMPT)))
    body, _ = encode(req)
    assert body["messages"] == [
        {
            "role": "user",
            "content": f"File: notes.txt\n\n{NOTES}\n\n{PROMPT}",
            "images": [PNG_B64],
        }
    ]


def test_generate_takes_images_and_text_files() -> None:
    req = request(
        "ollama", system="S", messages=with_parts(NOTES_PART, IMAGE_PART, TextPart(text=PROMPT))
    )
    body, _ = encode(req)
    assert body == {
        "model": "gemma3:1b",
        "prompt": f"File: notes.txt\n\n{NOTES}\n\n{PROMPT}",
        "stream": False,
        "system": "S",
        "images": [PNG_B64],
    }


@pytest.mark.parametrize("provider", ["ollama", "ollama_chat"])
def test_pdf_is_refused(provider: str) -> None:
    pdf = AttachmentPart(mime="application/pdf", data="JVBERi0=", name="doc.pdf")
    with pytest.raises(UsageError) as err:
        encode(request(provider, messages=with_parts(pdf, TextPart(text=PROMPT))))
    assert refusal(err.value) == "Ollama takes no PDFs: doc.pdf (attach images or text files)"


def test_image_url_not_downloaded_is_refused() -> None:
    url = "https://example.com/cat.png"
    part = AttachmentPart(mime="image/png", url=url, name="cat.png")
    with pytest.raises(UsageError) as err:
        encode(request(messages=with_parts(part, TextPart(text=PROMPT))))
    assert refusal(err.value) == (
        f"{url}: Ollama takes images as data only and this one was not downloaded"
    )


def test_downloaded_image_url_is_sent_as_data() -> None:
    """The CLI downloads a URL for Ollama: `data` filled in, `url` kept for history."""
    part = AttachmentPart(mime="image/png", url="https://example.com/cat.png", data=PNG_B64)
    body, _ = encode(request(messages=with_parts(part, TextPart(text=PROMPT))))
    assert body["messages"][0]["images"] == [PNG_B64]


# ---- caching and Anthropic-only features -------------------------------------------------------


def test_cache_flags_are_a_warning() -> None:
    body, warnings = encode(request(system="S", cache_system=True, cache_ttl="1h"))
    assert body["messages"][0] == {"role": "system", "content": "S"}
    assert warnings == [
        "Ollama has no prompt cache control: --cache-system, --cache-tools and "
        "--cache-ttl have no effect"
    ]


@pytest.mark.parametrize("provider", ["ollama", "ollama_chat"])
@pytest.mark.parametrize(
    ("fields", "flag"),
    [
        ({"cite": True}, "--cite"),
        ({"prefill": "{"}, "--prefill"),
        ({"web_search": True}, "--web-search"),
        ({"mcp_servers": [McpServer(url="https://m.example/sse", name="m")]}, "--mcp"),
        ({"betas": ["files-api-2025-04-14"]}, "--beta"),
    ],
)
def test_anthropic_only_is_refused(provider: str, fields: dict[str, Any], flag: str) -> None:
    with pytest.raises(UsageError) as err:
        encode(request(provider, **fields))
    assert refusal(err.value) == f"{flag} is Anthropic-only: use an anthropic/ model"


# ---- through the CLI (--json-mode, --json-schema and --tools on the recordings: test_ollama.py)


def complete(
    llmcli: Any, server: ReplayServer, case: str, model: str, *flags: str, prompt: str
) -> tuple[Any, Received]:
    server.queue(load_case("ollama", case).reply())
    result = llmcli("complete", "--api-base", server.url, "-m", model, *flags, "--json", prompt)
    assert len(server.requests) == 1
    return result, server.requests[0]


def test_cli_tools_and_tool_choice_none(server: ReplayServer, llmcli: Any, tmp_path: Path) -> None:
    recorded = load_case("ollama", "chat-tool-calls").request
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(recorded["tools"]))
    result, received = complete(
        llmcli, server, "chat-tool-calls", "ollama_chat/gpt-oss:120b", "--no-stream",
        "--tools", str(path), "--tool-choice", "required", prompt=WEATHER_PROMPT,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert received.json["tools"] == recorded["tools"]
    assert result.stderr == (
        "llmcli: warning: Ollama has no tool_choice: --tool-choice required was not sent\n"
    )
    assert result.json["tool_calls"][0]["name"] == "getWeather"


def test_cli_tool_choice_none_sends_no_tools(
    server: ReplayServer, llmcli: Any, tmp_path: Path
) -> None:
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(load_case("ollama", "chat-tool-calls").request["tools"]))
    result, received = complete(
        llmcli, server, "chat-tool-result-turn2", "ollama_chat/gpt-oss:120b", "--no-stream",
        "--tools", str(path), "--tool-choice", "none", prompt=WEATHER_PROMPT,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "tools" not in received.json


def test_cli_attach_image_and_text(server: ReplayServer, llmcli: Any, tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(PNG)
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES)
    result, received = complete(
        llmcli, server, "chat-stream", "ollama_chat/gemma3:1b",
        "-a", str(image), "-a", str(notes), prompt=PROMPT,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert received.json["messages"] == [
        {"role": "user", "content": f"File: notes.txt\n\n{NOTES}\n\n{PROMPT}", "images": [PNG_B64]}
    ]


def test_cli_pdf_is_refused(server: ReplayServer, llmcli: Any, tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = llmcli(
        "complete", "--api-base", server.url, "-m", "ollama_chat/gemma3:1b",
        "-a", str(pdf), PROMPT,
    )  # fmt: skip
    assert result.code == 2
    assert result.stdout == ""
    # The last line (the model catalog may warn about the PDF first).
    assert result.stderr.splitlines()[-1] == (
        "llmcli: Ollama takes no PDFs: doc.pdf (attach images or text files)"
    )
    assert server.requests == []


def test_cli_cache_flags_warn(server: ReplayServer, llmcli: Any) -> None:
    result, _ = complete(
        llmcli, server, "chat-stream", "ollama_chat/gemma3:1b", "-s", "S", "--cache-system",
        prompt=PROMPT,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    # (the model catalog may add its own line about caching)
    assert (
        "llmcli: warning: Ollama has no prompt cache control: --cache-system, --cache-tools "
        "and --cache-ttl have no effect\n"
    ) in result.stderr


def test_cli_prefill_is_refused(server: ReplayServer, llmcli: Any) -> None:
    result = llmcli(
        "complete", "--api-base", server.url, "-m", "ollama_chat/gemma3:1b",
        "--prefill", "{", PROMPT,
    )  # fmt: skip
    assert result.code == 2
    assert result.stderr == "llmcli: --prefill is Anthropic-only: use an anthropic/ model\n"
    assert server.requests == []


def test_cli_url_image_is_downloaded_for_ollama(server, llmcli) -> None:
    """Ollama takes images only inline: llmcli fetches a URL attachment first."""
    from tests.servers import Reply

    answer = {
        "model": "llava",
        "message": {"role": "assistant", "content": "A dot."},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 3,
        "eval_count": 2,
    }
    server.queue(
        Reply(body=PNG, content_type="image/png"),
        Reply(body=json.dumps(answer).encode()),
    )
    result = llmcli(
        "complete",
        "-m",
        "ollama_chat/llava",
        "--api-base",
        server.url,
        "--no-stream",
        "-a",
        server.url + "/dot.png",
        "What is this?",
    )
    assert result.code == 0, result.stderr
    assert result.stdout == "A dot.\n"
    fetched, chat = server.requests
    assert (fetched.method, fetched.path) == ("GET", "/dot.png")
    assert chat.json["messages"][-1]["images"] == [base64.b64encode(PNG).decode()]
