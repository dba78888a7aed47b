"""Encoders report what they could not do as typed values naming `Request` fields, never as
text spelling CLI flags; and they take model facts from `providers/profiles`, not from
branches on model names. In-process: these call the pure encoders directly."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from llmcli.notes import Refused, Unsupported
from llmcli.providers import (
    anthropic,
    deepseek,
    local,
    ollama,
    openai,
    openrouter,
    profiles,
)
from llmcli.request import ImageRequest, Message, Request, ResponseFormat, TextPart, Tool
from llmcli.transport import Connection

MODULES: dict[str, ModuleType] = {
    "openai": openai,
    "deepseek": deepseek,
    "openrouter": openrouter,
    "ollama": ollama,
    "ollama_chat": ollama,
    "local": local,
    "anthropic": anthropic,
}
MODELS = {
    "openai": "gpt-4o",
    "deepseek": "deepseek-chat",
    "openrouter": "openai/gpt-4o",
    "ollama": "llama3.2",
    "ollama_chat": "llama3.2",
    "local": "qwen3",
    "anthropic": "claude-sonnet-4-5",
}
CONN = Connection(base_url="http://127.0.0.1:9/v1", api_key="k")
WEATHER = Tool(name="weather")
# Placeholders name fields of the request an encoder was given (`attachments` is the
# Request method that collects attached files).
REQUEST_FIELDS = {f.name for f in dataclasses.fields(Request)} | {"attachments"}
IMAGE_FIELDS = {f.name for f in dataclasses.fields(ImageRequest)}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def request(provider: str, model: str | None = None, **fields: Any) -> Request:
    fields.setdefault("messages", [Message(role="user", parts=[TextPart(text="hi")])])
    fields.setdefault("stream", False)
    return Request(provider=provider, model=model or MODELS[provider], **fields)


def notes(provider: str, model: str | None = None, **fields: Any) -> list[Unsupported]:
    return MODULES[provider].encode(request(provider, model, **fields), CONN).warnings


def refused(provider: str, model: str | None = None, **fields: Any) -> Refused:
    with pytest.raises(Refused) as err:
        MODULES[provider].encode(request(provider, model, **fields), CONN)
    return err.value


# ---- Unsupported: what was not sent -------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "model", "fields", "field"),
    [
        ("openai", None, {"top_k": 5}, "top_k"),
        ("openai", None, {"thinking_budget": 2048}, "thinking_budget"),
        ("openai", None, {"cache_tools": True, "cache_ttl": "5m"}, "cache_tools"),
        ("deepseek", None, {"top_k": 5}, "top_k"),
        (
            "deepseek",
            None,
            {"tools": [WEATHER], "parallel_tool_calls": False},
            "parallel_tool_calls",
        ),
        (
            "deepseek",
            None,
            {"response_format": ResponseFormat(type="json_schema", json_schema={"type": "object"})},
            "response_format",
        ),
        ("local", None, {"thinking_budget": 2048}, "thinking_budget"),
        ("ollama", None, {"user": "u1"}, "user"),
        ("ollama", None, {"cache_ttl": "5m"}, "cache_ttl"),
        ("ollama_chat", None, {"tools": [WEATHER], "tool_choice": "weather"}, "tool_choice"),
        ("openrouter", "google/gemini-2.5-pro", {"cache_tools": True}, "cache_tools"),
        ("openrouter", "anthropic/claude-sonnet-4.5", {"cache_system": True}, "cache_system"),
        ("anthropic", None, {"thinking": True, "temperature": 0.5}, "temperature"),
        ("anthropic", None, {"cache_system": True}, "cache_system"),
        ("anthropic", None, {"prefill": "x "}, "prefill"),
        ("anthropic", None, {"tool_choice": "required"}, "tool_choice"),
    ],
)
def test_encoders_return_typed_notes(
    provider: str, model: str | None, fields: dict[str, Any], field: str
) -> None:
    got = notes(provider, model, **fields)
    assert len(got) == 1 and isinstance(got[0], Unsupported)
    note = got[0]
    assert (note.field, note.provider) == (field, provider)
    named = PLACEHOLDER.findall(note.message)
    assert set(named) <= REQUEST_FIELDS
    # A front end fills every placeholder with its own spelling.
    assert "{" not in note.render(lambda name: f"<{name}>")


def test_a_note_names_the_field_for_any_front_end() -> None:
    (note,) = notes("openai", top_k=5)
    assert note.message == "OpenAI has no top_k: {top_k} was not sent"
    assert note.render(lambda name: f"`{name}`") == "OpenAI has no top_k: `top_k` was not sent"


def test_settings_that_are_sent_give_no_notes() -> None:
    assert notes("openai", temperature=0.5, max_tokens=10) == []
    assert notes("anthropic", temperature=0.5, system="s", cache_system=True) == []


# ---- Refused: what cannot be sent at all ----------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "model", "fields", "field"),
    [
        ("openai", None, {"cite": True}, "cite"),
        ("ollama", None, {"betas": ["x-2025"]}, "betas"),
        ("openrouter", None, {"prefill": "{"}, "prefill"),
        ("deepseek", None, {"suffix": "x", "tools": [WEATHER]}, "tools"),
        ("ollama", None, {"suffix": "x", "tools": [WEATHER]}, "tools"),
        ("anthropic", None, {"suffix": "x"}, "suffix"),
        ("anthropic", None, {"text_completion": True}, "text_completion"),
        ("anthropic", None, {"thinking": True, "max_tokens": 1024}, "max_tokens"),
        ("anthropic", None, {"tools": [WEATHER], "tool_choice": "nope"}, "tool_choice"),
        (
            "anthropic",
            "claude-3-opus-20240229",
            {"response_format": ResponseFormat(type="json_schema", json_schema={"type": "array"})},
            "response_format",
        ),
    ],
)
def test_encoders_refuse_with_the_field(
    provider: str, model: str | None, fields: dict[str, Any], field: str
) -> None:
    err = refused(provider, model, **fields)
    assert (err.field, err.provider) == (field, provider)
    assert "--" not in str(err)  # plain field names until a front end spells them
    # `json_schema`: the schema inside `response_format` (a JSON answer through a tool).
    assert set(PLACEHOLDER.findall(err.message)) <= REQUEST_FIELDS | {"json_schema"}


@pytest.mark.parametrize(
    ("module", "fields", "field"),
    [
        (openai, {"model": "dall-e-3", "n": 2}, "n"),
        (openai, {"model": "dall-e-2", "size": "1536x1024"}, "size"),
        (openai, {"model": "gpt-image-1", "quality": "hd"}, "quality"),
        (openrouter, {"model": "google/gemini-2.5-flash-image", "size": "256x256"}, "size"),
        (openrouter, {"model": "google/gemini-2.5-flash-image", "quality": "x"}, "quality"),
    ],
)
def test_image_encoders_refuse_with_the_field(
    module: ModuleType, fields: dict[str, Any], field: str
) -> None:
    req = ImageRequest(provider=module.NAME, prompt="a cat", **fields)
    with pytest.raises(Refused) as err:
        module.encode_image(req, CONN)
    assert err.value.field == field
    assert set(PLACEHOLDER.findall(err.value.message)) <= IMAGE_FIELDS


# ---- no flag spellings in the providers ----------------------------------------------------

# A flag as a user types it: `--top-k`, `-n 2`, `(-s)`, at a word start.
_FLAG = re.compile(r"(?:^|[\s(/'\"`])--?[a-z][a-z-]*")
PACKAGE = Path(__file__).resolve().parent.parent / "llmcli"
SOURCES = [
    *sorted((PACKAGE / "providers").rglob("*.py")),
    PACKAGE / "catalog" / "__init__.py",
]


def _message_strings(source: str) -> list[tuple[int, str]]:
    """Every string literal (f-string parts included) except docstrings."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_the_guard_sees_flag_spellings() -> None:
    source = 'def f():\n    """--doc is fine"""\n    raise E(f"--size {x}: no")\n'
    assert [text for _, text in _message_strings(source) if _FLAG.search(text)] == ["--size "]
    assert not _FLAG.search("claude-3-5-sonnet, anthropic-beta, data:image/png;base64")
    assert _FLAG.search("a system prompt (-s)") and _FLAG.search("-n 2: at most 1")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_provider_message_spells_a_flag(path: Path) -> None:
    found = [
        f"{path.name}:{line}: {text!r}"
        for line, text in _message_strings(path.read_text(encoding="utf-8"))
        if _FLAG.search(text)
    ]
    assert found == []


def _placeholders() -> set[str]:
    return {
        name
        for path in SOURCES
        for _, text in _message_strings(path.read_text(encoding="utf-8"))
        for name in PLACEHOLDER.findall(text)
    }


def test_every_placeholder_is_spelled_as_a_real_flag() -> None:
    """`flag_for` spells each field the encoders name as a flag `complete` or `image` has."""
    import typer.main

    from llmcli.cli.app import app
    from llmcli.cli.spec import flag_for

    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    declared = {
        opt
        for name in ("complete", "image")
        for param in commands[name].params
        for opt in (*param.opts, *param.secondary_opts)
    }
    names = _placeholders()
    assert {"top_k", "parallel_tool_calls", "text_completion", "n", "extra"} <= names
    unknown = {
        name: flag_for(name) for name in names if not set(flag_for(name).split("/")) <= declared
    }
    assert unknown == {}


def test_catalog_notes_name_the_field() -> None:
    from llmcli.catalog import request_warnings

    fmt = ResponseFormat(type="json_schema", json_schema={"type": "object"})
    got = request_warnings(
        request("openai", "gpt-3.5-turbo", thinking=True, response_format=fmt, cache_tools=True)
    )
    assert [note.field for note in got] == ["response_format", "thinking", "cache_tools"]
    assert "{thinking} was sent anyway" in got[1].message


# ---- model facts come from the profiles -----------------------------------------------------


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (profiles.openai("o3-mini").reasoning, True),
        (profiles.openai("gpt-5-mini").reasoning, True),
        (profiles.openai("gpt-4o").reasoning, False),
        (profiles.deepseek("deepseek-reasoner").always_reasons, True),
        (profiles.deepseek("deepseek-chat").always_reasons, False),
        (profiles.deepseek("deepseek-chat").structured_output, "json_object"),
        (profiles.anthropic("claude-opus-4-5-20251101").takes_effort, True),
        (profiles.anthropic("claude-sonnet-4-5").takes_effort, False),
        (profiles.anthropic("claude-opus-4-1").structured_output, "output_format"),
        (profiles.anthropic("claude-3-5-haiku-latest").structured_output, "tool"),
        (profiles.anthropic("claude-sonnet-4-5").default_max_tokens, 4096),
        (profiles.openrouter("anthropic/claude-sonnet-4.5").prefill, True),
        (profiles.openrouter("openai/gpt-4o").prefill, False),
        (profiles.openrouter("google/gemini-2.5-pro").cache_points, ("system",)),
        (profiles.openrouter("google/gemini-2.5-pro").cache_ttl, False),
        (profiles.ollama("llama3.2").structured_output, "format"),
        (profiles.profile("ollama_chat", "x"), profiles.ollama("x")),
        (profiles.profile("nobody", "x"), profiles.ModelProfile()),
        (profiles.openai_image("dall-e-3").most, 1),  # type: ignore[union-attr]
        (profiles.openai_image("dall-e-2").b64_json, True),  # type: ignore[union-attr]
        (profiles.openai_image("gpt-image-1").b64_json, False),  # type: ignore[union-attr]
        (profiles.openai_image("some-new-image-model"), None),
    ],
)
def test_profile_facts(got: object, expected: object) -> None:
    assert got == expected


def _pretend(monkeypatch: pytest.MonkeyPatch, name: str, **facts: Any) -> None:
    real = getattr(profiles, name)
    monkeypatch.setattr(profiles, name, lambda model: dataclasses.replace(real(model), **facts))


def test_openai_reads_reasoning_from_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "max_tokens" in openai.encode(request("openai", max_tokens=9), CONN).json
    _pretend(monkeypatch, "openai", reasoning=True)
    body = openai.encode(request("openai", max_tokens=9), CONN).json
    assert body is not None and body["max_completion_tokens"] == 9 and "max_tokens" not in body


def test_deepseek_reads_always_reasons_from_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    assert deepseek.encode(request("deepseek", thinking=True), CONN).json["thinking"]
    _pretend(monkeypatch, "deepseek", always_reasons=True)
    body = deepseek.encode(request("deepseek", thinking=True), CONN).json
    assert body is not None and "thinking" not in body


def test_anthropic_reads_effort_and_max_tokens_from_the_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _pretend(monkeypatch, "anthropic", takes_effort=True, default_max_tokens=777)
    body = anthropic.encode(request("anthropic", reasoning_effort="low"), CONN).json
    assert body is not None
    assert (body["output_config"], body["max_tokens"]) == ({"effort": "low"}, 777)


def test_openrouter_reads_prefill_and_cache_points_from_the_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _pretend(monkeypatch, "openrouter", prefill=True, cache_points=("system",))
    body = openrouter.encode(
        request("openrouter", system="S", prefill="{", cache_system=True), CONN
    ).json
    assert body is not None
    assert body["messages"][-1] == {"role": "assistant", "content": "{"}
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
