"""`llmcli models`: the shipped catalog (coverage and shape), list/show filters, live
lists against documented list bodies, the default model and aliases, and the
capability warnings the request layer gives from the catalog.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from llmcli import catalog
from llmcli.providers import PROVIDERS
from tests.conftest import FAKE_KEYS
from tests.servers import Reply, load_case

# OpenAI API reference, "List models": {object: list, data: [{id, object, created, owned_by}]}.
OPENAI_LIST = {
    "object": "list",
    "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
        {
            "id": "text-embedding-3-small",
            "object": "model",
            "created": 1705948997,
            "owned_by": "system",
        },
        {"id": "ft:gpt-4o-mini:acme::abc", "object": "model", "created": 1, "owned_by": "user-abc"},
    ],
}
# Ollama API docs, "List local models" (GET /api/tags).
OLLAMA_TAGS = {
    "models": [
        {
            "name": "deepseek-r1:latest",
            "model": "deepseek-r1:latest",
            "modified_at": "2025-05-10T08:06:48.639712648-07:00",
            "size": 4683075271,
            "digest": "0a8c266910232fd3291e71e5ba1e058cc5af9d411192cf88b6d30e92b6e73163",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "qwen2",
                "families": ["qwen2"],
                "parameter_size": "7.6B",
                "quantization_level": "Q4_K_M",
            },
        },
        {
            "name": "llama3.2:latest",
            "model": "llama3.2:latest",
            "modified_at": "2025-05-04T17:37:44.706015396-07:00",
            "size": 2019393189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "llama",
                "families": ["llama"],
                "parameter_size": "3.2B",
                "quantization_level": "Q4_K_M",
            },
        },
    ]
}
# https://openrouter.ai/docs/models (Model object: pricing in USD per token, as strings).
OPENROUTER_LIST = {
    "data": [
        {
            "id": "openai/gpt-4",
            "canonical_slug": "openai/gpt-4",
            "name": "GPT-4",
            "created": 1692901234,
            "pricing": {"prompt": "0.00003", "completion": "0.00006"},
            "context_length": 8192,
            "architecture": {
                "modality": "text->text",
                "input_modalities": ["text"],
                "output_modalities": ["text"],
                "tokenizer": "GPT",
            },
            "top_provider": {"is_moderated": True},
            "per_request_limits": None,
            "supported_parameters": [
                "temperature",
                "top_p",
                "max_tokens",
                "frequency_penalty",
                "presence_penalty",
            ],
        },
        {
            "id": "anthropic/claude-sonnet-4.5",
            "name": "Anthropic: Claude Sonnet 4.5",
            "pricing": {
                "prompt": "0.000003",
                "completion": "0.000015",
                "input_cache_read": "0.0000003",
                "input_cache_write": "0.00000375",
                "request": "0",
            },
            "context_length": 1000000,
            "architecture": {
                "input_modalities": ["text", "image", "file"],
                "output_modalities": ["text"],
            },
            "top_provider": {"context_length": 1000000, "max_completion_tokens": 64000},
            "supported_parameters": ["tools", "reasoning", "structured_outputs", "max_tokens"],
        },
        {
            "id": "google/gemini-2.5-flash-image",
            "name": "Google: Gemini 2.5 Flash Image",
            "pricing": {"prompt": "0.0000003", "completion": "0.0000025", "image": "0.001238"},
            "context_length": 32768,
            "architecture": {
                "input_modalities": ["image", "text"],
                "output_modalities": ["image", "text"],
            },
            "top_provider": {"max_completion_tokens": 8192},
            "supported_parameters": ["max_tokens", "temperature", "structured_outputs"],
        },
    ]
}


# ---- the catalog itself --------------------------------------------------------------


REQUIRED = [
    "deepseek/deepseek-chat",
    "deepseek/deepseek-coder",
    "deepseek/deepseek-reasoner",
    "anthropic/claude-opus-4-5",
    "anthropic/claude-sonnet-4-5",
    "anthropic/claude-haiku-4-5",
    "anthropic/claude-sonnet-4-5-20250929",
    "openrouter/meta-llama/llama-3.3-70b-instruct",
    "openrouter/anthropic/claude-sonnet-4.5",
    "openrouter/openai/gpt-4o-mini",
    "ollama/llama3.2",
    "ollama/gemma3:1b",
    "ollama/nomic-embed-text",
    "openai/gpt-5",
    "openai/gpt-4.1",
    "openai/gpt-4o-mini",
    "openai/o3",
    "openai/text-embedding-3-small",
    "openai/text-embedding-3-large",
    "openai/gpt-image-1",
    "openai/dall-e-3",
]


@pytest.mark.parametrize("model", REQUIRED)
def test_catalog_covers(model: str) -> None:
    assert catalog.find(model) is not None


def test_catalog_entries_are_well_formed() -> None:
    seen: set[str] = set()
    for entry in catalog.models():
        assert entry.provider in PROVIDERS and entry.provider != "ollama_chat", entry.id
        for key in (entry.id, *entry.aliases):
            assert key.lower() not in seen, f"{key} twice"
            seen.add(key.lower())
            assert key.split("/", 1)[0] == entry.provider
        assert entry.capabilities <= set(catalog.CAPABILITIES)
        if entry.price is not None:
            for value in entry.price.as_dict().values():
                assert value is None or (math.isfinite(value) and value >= 0)
        if entry.has("embeddings"):
            assert entry.embedding_dimensions and entry.embedding_dimensions > 0
        if entry.per_image:
            assert entry.has("image_generation")
    raw = catalog.catalog()
    assert raw["checked"] and raw["sources"]


def test_catalog_is_package_data() -> None:
    toml = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert '"catalog/models.json"' in toml


def test_lookup_normalises_ids() -> None:
    assert catalog.lookup("openai", "gpt-4o-mini-2024-07-18").id == "openai/gpt-4o-mini"
    assert catalog.lookup("openai", "gpt-4o-mini-2099-01-01").id == "openai/gpt-4o-mini"
    assert catalog.lookup("anthropic", "claude-haiku-4-5-20251001").id == (
        "anthropic/claude-haiku-4-5"
    )
    assert catalog.lookup("ollama_chat", "llama3.2:latest").id == "ollama/llama3.2"
    assert catalog.lookup("openrouter", "meta-llama/llama-3.2-3b-instruct:free") is not None
    assert catalog.lookup("openai", "no-such-model") is None
    assert catalog.find("claude-sonnet-4-5").id == "anthropic/claude-sonnet-4-5"  # bare


# ---- list and show -------------------------------------------------------------------


def test_list_is_tsv_when_piped(llmcli) -> None:
    run = llmcli("models", "list")
    assert run.code == 0, run.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in run.stdout.splitlines()}
    assert len(rows) == len(catalog.models())
    assert rows["openai/gpt-4o-mini"] == [
        "openai/gpt-4o-mini",
        "128000",
        "16384",
        "vision,pdf,tools,json_schema,prompt_cache",
        "0.15",
        "0.6",
        "0.075",
        "",
    ]
    assert rows["deepseek/deepseek-reasoner"][4:] == ["0.28", "0.42", "0.028", ""]


def test_list_filters(llmcli) -> None:
    run = llmcli("models", "list", "--provider", "anthropic", "-c", "thinking", "--json")
    assert run.code == 0, run.stderr
    found = run.json
    assert found and all(m["provider"] == "anthropic" for m in found)
    assert all("thinking" in m["capabilities"] for m in found)
    assert "anthropic/claude-3-5-haiku-latest" not in {m["id"] for m in found}
    run = llmcli("models", "list", "-c", "embeddings", "--query", "3-small", "--json")
    assert {m["id"] for m in run.json} == {
        "openai/text-embedding-3-small",
        "openrouter/openai/text-embedding-3-small",
    }
    run = llmcli("models", "list", "--provider", "ollama_chat", "--json")
    assert {m["provider"] for m in run.json} == {"ollama"}


def test_list_bad_filters_exit_2(llmcli) -> None:
    assert llmcli("models", "list", "-c", "telepathy").code == 2
    assert llmcli("models", "list", "--provider", "nope").code == 2


def test_show_by_alias(llmcli) -> None:
    run = llmcli("models", "show", "deepseek/deepseek-coder", "--json")
    assert run.code == 0, run.stderr
    assert run.json["id"] == "deepseek/deepseek-chat"
    assert run.json["price"] == {
        "input": 0.28,
        "output": 0.42,
        "cache_read": 0.028,
        "cache_write": None,
    }
    run = llmcli("models", "show", "claude-sonnet-4-5-20250929")
    assert run.code == 0
    assert "anthropic/claude-sonnet-4-5" in run.stdout
    assert "price cache write  $3.75 / million tokens" in run.stdout
    run = llmcli("models", "show", "openai/text-embedding-ada-002")
    assert "dimensions         1536 (fixed)" in run.stdout
    assert llmcli("models", "show", "openai/unheard-of").code == 1


def test_pull_is_still_there(llmcli) -> None:
    run = llmcli("models", "--help")
    assert run.code == 0
    for command in ("pull", "list", "show", "default", "alias", "aliases"):
        assert command in run.stdout


# ---- live lists ----------------------------------------------------------------------


def test_live_openai_compatible(server, llmcli) -> None:
    server.queue(Reply(body=json.dumps(OPENAI_LIST).encode()))
    run = llmcli(
        "models",
        "list",
        "--live",
        "--provider",
        "openai",
        "--api-base",
        server.url + "/v1",
        "--json",
    )
    assert run.code == 0, run.stderr
    received = server.requests[0]
    assert (received.method, received.path) == ("GET", "/v1/models")
    assert received.headers["authorization"] == f"Bearer {FAKE_KEYS['OPENAI_API_KEY']}"
    found = {m["id"]: m for m in run.json}
    assert list(found) == [
        "openai/gpt-4o-mini",
        "openai/text-embedding-3-small",
        "openai/ft:gpt-4o-mini:acme::abc",
    ]
    assert found["openai/gpt-4o-mini"]["price"]["input"] == 0.15  # filled from the catalog
    assert found["openai/ft:gpt-4o-mini:acme::abc"]["price"] is None
    assert found["openai/ft:gpt-4o-mini:acme::abc"]["note"] == "user-abc"


def test_live_ollama_tags(server, llmcli) -> None:
    server.queue(Reply(body=json.dumps(OLLAMA_TAGS).encode()))
    run = llmcli(
        "models",
        "list",
        "--live",
        "--provider",
        "ollama",
        "--json",
        env={"OLLAMA_HOST": server.url},
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].path == "/api/tags"
    found = {m["id"]: m for m in run.json}
    assert list(found) == ["ollama/deepseek-r1:latest", "ollama/llama3.2:latest"]
    assert found["ollama/llama3.2:latest"]["note"] == "llama 3.2B Q4_K_M"
    assert found["ollama/llama3.2:latest"]["capabilities"] == ["tools"]  # from the catalog
    assert found["ollama/deepseek-r1:latest"]["capabilities"] == ["thinking"]


def test_live_openrouter_with_pricing(server, llmcli) -> None:
    server.queue(Reply(body=json.dumps(OPENROUTER_LIST).encode()))
    run = llmcli(
        "models",
        "list",
        "--live",
        "--provider",
        "openrouter",
        "--api-base",
        server.url + "/api/v1",
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].path == "/api/v1/models"
    rows = {line.split("\t")[0]: line.split("\t") for line in run.stdout.splitlines()}
    assert rows["openrouter/openai/gpt-4"] == [
        "openrouter/openai/gpt-4",
        "8192",
        "",
        "",
        "30",
        "60",
        "",
        "",
    ]
    assert rows["openrouter/anthropic/claude-sonnet-4.5"] == [
        "openrouter/anthropic/claude-sonnet-4.5",
        "1000000",
        "64000",
        "vision,pdf,tools,json_schema,thinking",
        "3",
        "15",
        "0.3",
        "3.75",
    ]
    assert rows["openrouter/google/gemini-2.5-flash-image"][3] == (
        "vision,json_schema,image_generation"
    )


def test_live_filters_apply(server, llmcli) -> None:
    server.queue(Reply(body=json.dumps(OPENROUTER_LIST).encode()))
    run = llmcli(
        "models",
        "list",
        "--live",
        "--provider",
        "openrouter",
        "--api-base",
        server.url + "/api/v1",
        "-c",
        "image_generation",
        "--json",
    )
    assert [m["id"] for m in run.json] == ["openrouter/google/gemini-2.5-flash-image"]


def test_live_needs_a_provider(llmcli) -> None:
    run = llmcli("models", "list", "--live")
    assert run.code == 2
    assert "--provider" in run.stderr


# ---- default model and aliases -------------------------------------------------------


def test_default_and_alias_round_trip(llmcli, server, tmp_path) -> None:
    home = {"LLMCLI_HOME": str(tmp_path / "home")}
    run = llmcli("models", "alias", "fast", "openai/gpt-4o-mini", env=home)
    assert run.code == 0, run.stderr
    assert llmcli("models", "alias", "fast", env=home).stdout == "openai/gpt-4o-mini\n"
    assert llmcli("models", "aliases", env=home).stdout == "fast\topenai/gpt-4o-mini\n"
    assert llmcli("models", "default", "fast", env=home).code == 0
    assert llmcli("models", "default", env=home).stdout == "fast\n"
    config = (tmp_path / "home" / "config.toml").read_text()
    assert 'model = "fast"' in config and 'fast = "openai/gpt-4o-mini"' in config
    # The default (an alias) is what complete uses without -m.
    server.queue(load_case("openai", "nonstream-text").reply())
    run = llmcli(
        "complete", "--api-base", server.url + "/v1", "--no-stream", "--no-log", "hi", env=home
    )
    assert run.code == 0, run.stderr
    assert server.requests[0].json["model"] == "gpt-4o-mini"
    assert llmcli("models", "alias", "fast", "--rm", env=home).code == 0
    assert llmcli("models", "alias", "fast", env=home).code == 1
    assert llmcli("models", "default", "--unset", env=home).code == 0
    assert "model =" not in (tmp_path / "home" / "config.toml").read_text()


def test_default_refuses_an_unroutable_model(llmcli, tmp_path) -> None:
    run = llmcli("models", "default", "mystery/model", env={"LLMCLI_HOME": str(tmp_path)})
    assert run.code == 2
    assert "unknown provider" in run.stderr
    assert not (tmp_path / "config.toml").exists()


# ---- capability warnings in the request layer ----------------------------------------


def test_image_on_a_text_only_model_warns_and_is_sent(server, llmcli, tmp_path) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    server.queue(load_case("openai", "nonstream-text").reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-3.5-turbo",
        "--api-base",
        server.url + "/v1",
        "--no-stream",
        "--no-log",
        "-a",
        str(image),
        "what is this?",
    )
    assert run.code == 0, run.stderr
    assert (
        "llmcli: warning: openai/gpt-3.5-turbo has no image input (model catalog): --attach IMAGE "
        "was sent anyway and may be refused or ignored\n"
    ) in run.stderr
    parts = server.requests[0].json["messages"][-1]["content"]
    assert parts[0]["type"] == "image_url"  # not silently dropped


def test_thinking_on_a_model_without_it_warns(server, llmcli) -> None:
    server.queue(load_case("openai", "nonstream-text").reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url + "/v1",
        "--no-stream",
        "--no-log",
        "--thinking",
        "hi",
    )
    assert run.code == 0, run.stderr
    assert "openai/gpt-4o-mini has no thinking/reasoning (model catalog): --thinking" in run.stderr


def test_capable_model_gets_no_warning(server, llmcli) -> None:
    server.queue(load_case("openai", "nonstream-text").reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/o3-mini",
        "--api-base",
        server.url + "/v1",
        "--no-stream",
        "--no-log",
        "--reasoning-effort",
        "low",
        "hi",
    )
    assert run.code == 0, run.stderr
    assert "model catalog" not in run.stderr


def test_embedding_model_in_complete_warns(server, llmcli) -> None:
    server.queue(load_case("openai", "nonstream-text").reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/text-embedding-3-small",
        "--api-base",
        server.url + "/v1",
        "--no-stream",
        "--no-log",
        "hi",
    )
    assert "is an embedding model (model catalog): use `llmcli embed`" in run.stderr


def test_help_does_not_load_the_catalog(cli_env) -> None:
    import subprocess

    code = (
        "import sys, runpy; sys.argv = ['llmcli', '--help']\n"
        "try:\n    runpy.run_module('llmcli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in sys.modules if m in "
        "('llmcli.catalog', 'llmcli.images', 'llmcli.tasks', 'httpx')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env, check=True
    ).stdout
    assert "LOADED []" in out
