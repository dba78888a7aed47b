"""Issue-3 flags at the CLI: schema and tool files, attachments, the tool-exec loop,
answer validation and prefill. Provider mappings are tested in test_*_features.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from llmcli.errors import UsageError
from llmcli.inputs import load_attachment, load_schema, load_tools, sniff, validate_answer
from tests.samples import PNG, SCHEMA, TOOLS, openai_reply
from tests.servers import ReplayServer, load_case

# ---- loaders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        ("héllo wörld".encode(), "text/plain"),
        (b"\x00\xff\xfe\x80binary", None),
    ],
)
def test_sniff(data, mime):
    assert sniff(data) == mime


def test_attachment_from_file_keeps_name_hash_and_base64(tmp_path: Path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    part = load_attachment(str(path))
    assert (part.mime, part.name, part.url) == ("image/png", "dot.png", None)
    assert base64.b64decode(part.data or "") == PNG
    assert part.sha256 and len(part.sha256) == 64
    assert part.path == str(path.resolve())


def test_attachment_url_is_kept_as_url():
    part = load_attachment("https://example.com/files/report.pdf?x=1")
    assert (part.mime, part.url, part.data) == (
        "application/pdf",
        "https://example.com/files/report.pdf?x=1",
        None,
    )


@pytest.mark.parametrize(
    ("spec", "mime", "message"),
    [
        ("missing.png", None, "attachment not found: missing.png"),
        ("https://example.com/noext", None, "cannot tell the type of https://example.com/noext"),
        ("https://example.com/a.png", "video/mp4", "unsupported type video/mp4"),
    ],
)
def test_attachment_errors(spec, mime, message):
    with pytest.raises(UsageError, match=message.replace(".", r"\.")):
        load_attachment(spec, mime)


def test_schema_forms(tmp_path: Path):
    bare = load_schema(json.dumps(SCHEMA))
    assert (bare.type, bare.name, bare.json_schema, bare.strict) == (
        "json_schema",
        "response",
        SCHEMA,
        True,
    )
    wrapped = tmp_path / "person.json"
    wrapped.write_text(json.dumps({"name": "person", "schema": SCHEMA, "strict": False}))
    for spec in (str(wrapped), "@" + str(wrapped)):
        loaded = load_schema(spec)
        assert (loaded.name, loaded.json_schema, loaded.strict) == ("person", SCHEMA, False)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{not json", "--json-schema is not valid JSON"),
        ('{"type": 12}', "--json-schema is not a valid JSON Schema"),
        ("[1, 2]", "--json-schema must be a JSON object"),
        ("@/nonexistent/schema.json", "--json-schema file /nonexistent/schema.json does not exist"),
    ],
)
def test_bad_schemas(spec, message):
    with pytest.raises(UsageError, match=message):
        load_schema(spec)


def test_tools_file_forms_and_hosted_tools(tmp_path: Path):
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(TOOLS["tools"]))
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"tools": [{"type": "text_editor_20250728", "name": "editor"}]}))
    tools = load_tools([str(listed), str(wrapped)])
    assert tools[0].name == "get_temperature" and tools[0].strict is True
    assert tools[0].parameters["required"] == ["city"]
    assert tools[1].hosted == {"type": "text_editor_20250728", "name": "editor"}
    with pytest.raises(UsageError, match="defined twice"):
        load_tools([str(listed), str(listed)])


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ({"name": "f", "description": 5}, "its description must be a string"),
        ({"name": "f", "parameters": ["x"]}, "its parameters must be a JSON Schema object"),
        ({"name": "f", "strict": "yes"}, "strict must be true or false"),
        ({"description": "no name"}, "a function tool needs a name"),
    ],
)
def test_a_tool_of_the_wrong_shape_is_refused_before_sending(
    tmp_path: Path, function: dict, message: str
) -> None:
    path = tmp_path / "tools.json"
    path.write_text(json.dumps([{"type": "function", "function": function}]))
    with pytest.raises(UsageError, match=message):
        load_tools([str(path)])


def test_validate_answer():
    from llmcli.request import ResponseFormat

    schema = ResponseFormat(type="json_schema", json_schema=SCHEMA)
    assert validate_answer('{"name": "Ada", "age": 36}', schema) is None
    assert validate_answer('{"name": "Ada", "age": "old"}', schema) == (
        "the answer does not match the schema at age: 'old' is not of type 'integer'"
    )
    assert validate_answer("Sure! {", schema).startswith("the answer is not valid JSON")
    assert validate_answer("[1]", ResponseFormat(type="json_object")) is None


# ---- the CLI ---------------------------------------------------------------------------


def complete(llmcli, server: ReplayServer, *args: str, **kwargs):
    return llmcli("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, *args, **kwargs)


def test_schema_is_sent_and_answer_validated(llmcli, server, tmp_path: Path):
    server.queue(openai_reply('{"name": "Ada", "age": 36}'))
    run = complete(llmcli, server, "--json-schema", json.dumps(SCHEMA), "Who?")
    assert run.code == 0, run.stderr
    assert run.stdout == '{"name": "Ada", "age": 36}\n'
    assert server.requests[-1].json["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "strict": True, "schema": SCHEMA},
    }


def test_invalid_answer_is_printed_then_one_error_line(llmcli, server):
    server.queue(openai_reply('{"name": "Ada"}'))
    run = complete(llmcli, server, "--json-schema", json.dumps(SCHEMA), "Who?")
    assert run.code == 1
    assert run.stdout == '{"name": "Ada"}\n'
    assert run.stderr == (
        "llmcli: the answer does not match the schema at (root): 'age' is a required property\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--json-schema", "{bad"), "llmcli: --json-schema is not valid JSON"),
        (("--json-mode", "--json-schema", "{}"), "llmcli: --json-schema and --json-mode exclude"),
        (("-a", "nope.png"), "llmcli: attachment not found: nope.png"),
        (("--tool-choice", "missing"), "llmcli: --tool-choice missing: no such tool in --tools"),
        (("--tool-exec", "noequals"), "llmcli: invalid --tool-exec 'noequals': use NAME=COMMAND"),
        (("--cache-ttl", "2h"), "llmcli: invalid --cache-ttl 2h: use 5m or 1h"),
    ],
)
def test_bad_feature_flags_exit_2(llmcli, server, args, message):
    run = complete(llmcli, server, *args, "hi")
    assert run.code == 2
    assert run.stderr.startswith(message)
    assert run.stderr.count("\n") == 1
    assert server.requests == []


def test_tool_exec_loop_sends_results_back(llmcli, server, tmp_path: Path):
    """Turn 1 (recorded tool call) → run the bound command → turn 2 as recorded."""
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    first = load_case("openai", "tool-calls-nonstream")
    second = load_case("openai", "tool-result-nonstream-turn2")
    server.queue(first.reply(), second.reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4.1-mini",
        "--api-base",
        server.url,
        "--no-stream",
        "-s",
        "You are a helpful assistant.",
        "--tools",
        str(tools),
        "--tool-choice",
        "auto",
        "--tool-exec",
        "get_temperature=printf 20.0",
        "--yes",
        "--json",
        "What is the temperature in Tokyo?",
    )
    assert run.code == 0, run.stderr
    assert len(server.requests) == 2
    sent = server.requests[1].json["messages"]
    recorded = second.request["messages"]
    assert sent[3] == recorded[3]  # {"role": "tool", "tool_call_id": ..., "content": "20.0"}
    assert sent[2]["tool_calls"] == recorded[2]["tool_calls"]
    answer = json.loads(second.response)["choices"][0]["message"]["content"]
    assert run.json["content"] == answer
    assert run.json["tool_calls"] == []


def test_unbound_tool_calls_end_the_run_printed(llmcli, server, tmp_path: Path):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    server.queue(load_case("openai", "tool-calls-nonstream").reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4.1-mini",
        "--api-base",
        server.url,
        "--no-stream",
        "--tools",
        str(tools),
        "What is the temperature in Tokyo?",
    )
    assert run.code == 0, run.stderr
    assert len(server.requests) == 1
    assert 'tool call: get_temperature {"city": "Tokyo"}' in run.stderr


def test_failing_tool_is_reported_as_error_to_the_model(llmcli, server, tmp_path: Path):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    first = load_case("openai", "tool-calls-nonstream")
    server.queue(first.reply(), openai_reply("It failed.", stream=False))
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4.1-mini",
        "--api-base",
        server.url,
        "--no-stream",
        "--tools",
        str(tools),
        "--tool-exec",
        "get_temperature=echo boom >&2; exit 3",
        "--yes",
        "What is the temperature in Tokyo?",
    )
    assert run.code == 0, run.stderr
    tool_message = server.requests[1].json["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "(exit status 3) boom" in tool_message["content"]


def test_bound_tools_need_approval_without_a_terminal(llmcli, server, tmp_path: Path):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    server.queue(load_case("openai", "tool-calls-nonstream").reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4.1-mini",
        "--api-base",
        server.url,
        "--no-stream",
        "--tools",
        str(tools),
        "--tool-exec",
        "get_temperature=printf 20",
        "Tokyo?",
        env={"LLMCLI_NO_TTY": "1"},
    )
    # Under pytest there is no controlling terminal: llmcli must ask for --yes.
    assert run.code in (2,)
    assert "pass --yes" in run.stderr


def test_max_steps_stops_a_tool_loop(llmcli, server, tmp_path: Path):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    server.queue(load_case("openai", "tool-calls-nonstream").reply())  # always calls the tool
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4.1-mini",
        "--api-base",
        server.url,
        "--no-stream",
        "--tools",
        str(tools),
        "--tool-exec",
        "get_temperature=printf 20",
        "--yes",
        "--max-steps",
        "3",
        "Tokyo?",
    )
    assert run.code == 0
    assert len(server.requests) == 3
    assert "--max-steps reached" in run.stderr


def test_attachment_goes_into_the_user_message(llmcli, server, tmp_path: Path):
    image = tmp_path / "dot.png"
    image.write_bytes(PNG)
    server.queue(openai_reply("A dot."))
    run = complete(llmcli, server, "-a", str(image), "What is this?")
    assert run.code == 0, run.stderr
    content = server.requests[-1].json["messages"][-1]["content"]
    assert content[-1] == {"type": "text", "text": "What is this?"}
    assert content[0]["type"] == "image_url"
    assert (
        content[0]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    )


def test_prefill_is_printed_before_the_answer(llmcli, server):
    case = load_case("anthropic", "stop-sequences-prefill")
    server.queue(case.reply())
    prefill = case.request["messages"][-1]["content"][0]["text"]
    run = llmcli(
        "complete",
        "-m",
        "anthropic/claude-3-5-sonnet-latest",
        "--api-base",
        server.url,
        "--prefill",
        prefill,
        "--json",
        "hi",
    )
    assert run.code == 0, run.stderr
    assert run.json["content"].startswith(prefill)
    last = server.requests[-1].json["messages"][-1]
    assert last["role"] == "assistant"
    assert last["content"] in (prefill, [{"type": "text", "text": prefill}])
