"""Claude on Microsoft Azure Foundry (`azure/`, `azure_ai/`): Anthropic's Messages API and
body, another base URL and key, the key sent as both `x-api-key` and `api-key`.

Also the Anthropic custom-base rule they share: `/v1/messages` is appended unless the base
has it, or unless LLMCLI_ANTHROPIC_DISABLE_URL_SUFFIX (or LiteLLM's
LITELLM_ANTHROPIC_DISABLE_URL_SUFFIX) is 1.
"""

from __future__ import annotations

from typing import Any

import pytest

from llmcli.connection import resolve_connection
from llmcli.errors import UsageError
from llmcli.providers import PROVIDERS, anthropic
from llmcli.request import Request, Tool, user_message
from llmcli.transport import Connection
from tests.conftest import Run
from tests.servers import ReplayServer, load_case

KEY = "azure-test-SECRET-7777"
RESOURCE_BASE = "https://my-res.services.ai.azure.com/anthropic"


def connect(prefix: str, env: dict[str, str], **flags: Any) -> Connection:
    return resolve_connection(PROVIDERS[prefix], env=env, stored_keys={}, **flags)


# ---- the documented command, against a recorded Anthropic stream ------------------------


def test_complete_sends_to_the_foundry_messages_path_with_both_key_headers(
    server: ReplayServer, llmcli: Any
) -> None:
    server.queue(load_case("anthropic", "stream-text-basic").reply())
    run: Run = llmcli(
        "complete",
        "-m",
        "azure/claude-sonnet-4-5",
        "--api-base",
        server.url + "/anthropic",
        "--json",
        "hi",
        env={"AZURE_API_KEY": KEY},
    )
    assert run.code == 0, run.stderr
    assert run.json["content"] == "Hello"
    (received,) = server.requests
    assert (received.method, received.path) == ("POST", "/anthropic/v1/messages")
    assert received.headers["x-api-key"] == received.headers["api-key"] == KEY
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in received.headers
    assert received.json["model"] == "claude-sonnet-4-5"
    assert KEY not in run.stdout + run.stderr


def test_authorization_only_when_the_user_passes_it(server: ReplayServer, llmcli: Any) -> None:
    server.queue(load_case("anthropic", "stream-text-basic").reply())
    run: Run = llmcli(
        "complete",
        "-m",
        "azure_ai/claude-sonnet-4-5",
        "--api-base",
        server.url + "/anthropic",
        "-H",
        "Authorization: Bearer entra-token",
        "hi",
        env={"AZURE_AI_API_KEY": KEY},
    )
    assert run.code == 0, run.stderr
    headers = server.requests[0].headers
    assert (headers["authorization"], headers["api-key"]) == ("Bearer entra-token", KEY)


@pytest.mark.parametrize(
    ("prefix", "env", "message"),
    [
        (
            "azure",
            {"AZURE_API_BASE": "https://x.example/anthropic"},
            "llmcli: no API key for azure: set ANTHROPIC_FOUNDRY_API_KEY or AZURE_API_KEY, "
            "or pass --api-key\n",
        ),
        (
            "azure_ai",
            {"AZURE_AI_API_KEY": KEY},
            "llmcli: no base URL for azure_ai: set ANTHROPIC_FOUNDRY_BASE_URL, "
            "ANTHROPIC_FOUNDRY_RESOURCE or AZURE_AI_API_BASE, or pass --api-base\n",
        ),
    ],
)
def test_a_missing_key_or_base_is_one_line_exit_2(
    llmcli: Any, prefix: str, env: dict[str, str], message: str
) -> None:
    run: Run = llmcli("complete", "-m", f"{prefix}/claude-sonnet-4-5", "hi", env=env)
    assert (run.code, run.stdout, run.stderr) == (2, "", message)


# ---- where the base and key come from (pure) ------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "env", "base"),
    [
        (
            "azure",
            {"AZURE_API_BASE": "https://a.example/anthropic/"},
            "https://a.example/anthropic",
        ),
        (
            "azure_ai",
            {"AZURE_AI_API_BASE": "https://b.example/anthropic"},
            "https://b.example/anthropic",
        ),
        ("azure", {"ANTHROPIC_FOUNDRY_RESOURCE": "my-res"}, RESOURCE_BASE),
        (
            "azure_ai",
            {"ANTHROPIC_FOUNDRY_RESOURCE": "my-res", "AZURE_AI_API_BASE": "https://b.example"},
            RESOURCE_BASE,
        ),
        (
            "azure",
            {
                "ANTHROPIC_FOUNDRY_BASE_URL": "https://c.example/anthropic",
                "ANTHROPIC_FOUNDRY_RESOURCE": "my-res",
            },
            "https://c.example/anthropic",
        ),
        # The other prefix's variable is not read.
        (
            "azure",
            {"AZURE_AI_API_BASE": "https://b.example", "AZURE_API_BASE": "https://a.example"},
            "https://a.example",
        ),
    ],
)
def test_base_from_the_environment_in_order(prefix: str, env: dict[str, str], base: str) -> None:
    conn = connect(prefix, {**env, "AZURE_API_KEY": KEY, "AZURE_AI_API_KEY": KEY})
    assert conn.base_url == base


def test_api_base_flag_wins_over_the_environment() -> None:
    env = {"ANTHROPIC_FOUNDRY_BASE_URL": "https://c.example", "AZURE_API_KEY": KEY}
    assert connect("azure", env, api_base="https://flag.example").base_url == "https://flag.example"


@pytest.mark.parametrize(
    ("prefix", "env", "key"),
    [
        ("azure", {"AZURE_API_KEY": "k-azure"}, "k-azure"),
        ("azure_ai", {"AZURE_AI_API_KEY": "k-ai", "AZURE_API_KEY": "k-azure"}, "k-ai"),
        (
            "azure",
            {"ANTHROPIC_FOUNDRY_API_KEY": "k-foundry", "AZURE_API_KEY": "k-azure"},
            "k-foundry",
        ),
    ],
)
def test_key_from_the_environment_in_order(prefix: str, env: dict[str, str], key: str) -> None:
    conn = connect(prefix, {**env, "ANTHROPIC_FOUNDRY_RESOURCE": "r"})
    assert conn.api_key == key
    assert conn.headers == {"x-api-key": key, "api-key": key}
    assert connect(prefix, {**env, "ANTHROPIC_FOUNDRY_RESOURCE": "r"}, api_key="f").api_key == "f"


def test_the_anthropic_key_is_not_sent_to_azure() -> None:
    with pytest.raises(UsageError, match="no API key for azure"):
        connect("azure", {"ANTHROPIC_API_KEY": "k", "AZURE_API_BASE": "https://a.example"})


# ---- the URL rule shared with Anthropic -----------------------------------------------------


def _url(prefix: str, base: str, env: dict[str, str]) -> str:
    conn = connect(prefix, {**env, "AZURE_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY}, api_base=base)
    req = Request(provider=prefix, model="claude-sonnet-4-5", messages=[user_message("hi")])
    return anthropic.encode(req, conn).url


@pytest.mark.parametrize("prefix", ["anthropic", "azure"])
@pytest.mark.parametrize(
    ("base", "env", "url"),
    [
        ("https://host/api", {}, "https://host/api/v1/messages"),
        ("https://host/api/v1/messages", {}, "https://host/api/v1/messages"),
        ("https://host/api", {"LLMCLI_ANTHROPIC_DISABLE_URL_SUFFIX": "1"}, "https://host/api"),
        ("https://host/api/", {"LITELLM_ANTHROPIC_DISABLE_URL_SUFFIX": "1"}, "https://host/api"),
        (
            "https://host/api",
            {"LLMCLI_ANTHROPIC_DISABLE_URL_SUFFIX": "0"},
            "https://host/api/v1/messages",
        ),
    ],
)
def test_messages_path_appended_unless_disabled(
    prefix: str, base: str, env: dict[str, str], url: str
) -> None:
    assert _url(prefix, base, env) == url


def test_the_suffix_switch_is_not_read_for_openai_shaped_providers() -> None:
    env = {"LLMCLI_ANTHROPIC_DISABLE_URL_SUFFIX": "1", "OPENAI_API_KEY": KEY}
    assert resolve_connection(PROVIDERS["openai"], env=env).append_path


# ---- every Anthropic feature, encoded unchanged ----------------------------------------------


def test_thinking_and_tools_are_encoded_as_for_anthropic() -> None:
    tool = Tool(name="roll", description="Roll a die.", parameters={"type": "object"})
    fields: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "messages": [user_message("hi")],
        "thinking": True,
        "thinking_budget": 2048,
        "tools": [tool],
        "cache_system": True,
        "system": "Be brief.",
    }
    base = "https://my-res.services.ai.azure.com/anthropic"
    ours = anthropic.encode(
        Request(provider="azure", **fields), connect("azure", {"AZURE_API_KEY": KEY}, api_base=base)
    )
    theirs = anthropic.encode(
        Request(provider="anthropic", **fields),
        resolve_connection(PROVIDERS["anthropic"], api_key=KEY, env={}),
    )
    assert ours.json == theirs.json
    assert ours.json is not None and ours.json["thinking"] == {
        "type": "enabled",
        "budget_tokens": 2048,
    }
    assert ours.json["tools"][0]["name"] == "roll"
    assert ours.url == base + "/v1/messages"
    assert {k: v for k, v in ours.headers.items() if k not in ("x-api-key", "api-key")} == {
        k: v for k, v in theirs.headers.items() if k != "x-api-key"
    }
