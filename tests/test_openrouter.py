"""OpenRouter through the CLI, against recorded traffic: reasoning / reasoning_details,
usage.cost, processing comments, upstream and mid-stream errors, and its request fields.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import FAKE_KEYS
from tests.provider_helpers import (
    ABSENT,
    PROMPT,
    Answer,
    Api,
    Cli,
    Long,
    Row,
    call,
    check_answer,
    check_error,
    check_request,
    replay,
    send,
    usage,
)
from tests.servers import ReplayServer, Reply, load_case

OPENROUTER = Api(
    "openrouter", "/api/v1", FAKE_KEYS["OPENROUTER_API_KEY"], always={"usage": {"include": True}}
)

SONNET_46 = "anthropic/claude-4.6-sonnet-20260217"
TOOL_SYSTEM = "You are a helpful assistant. You must call the test_tool once on every request."
CACHED_SYSTEM = load_case("openrouter", "cache-control-system").request["messages"][0]
DIVIDE_TOOLS = load_case("openrouter", "tool-calling").request["tools"]
ADVISOR_TOOLS = load_case("openrouter", "stream-tool-calls").request["tools"]

RECORDED = [
    Row(
        "cache-control-anthropic",
        "anthropic/claude-sonnet-4.6",
        Answer(
            "Distributed database systems involve tradeoffs between consistency, availability, "
            "and partition tolerance (CAP theorem), with different architectural patterns like "
            "sharding, replication, and consensus algorithms each optimizing for different "
            "combinations of performance, scalability, and reliability.",
            "stop",
            usage(3329, 53, 0, cache_read=3211, cache_write=115, cost=0.00219855),
            SONNET_46,
        ),
        flags=(
            "--max-tokens",
            "100",
            "-o",
            'provider={"order": ["anthropic"], "allow_fallbacks": false}',
        ),
        sent={"max_tokens": 100, "provider": {"order": ["anthropic"], "allow_fallbacks": False}},
    ),
    Row(
        "cache-control-system",
        "anthropic/claude-sonnet-4.6",
        Answer(
            "I specialize in caching.",
            "stop",
            usage(260, 10, 0, cache_read=0, cache_write=0, cost=0.00093),
            SONNET_46,
        ),
        flags=("-s", CACHED_SYSTEM["content"][0]["text"], "--cache-system", "--cache-ttl", "5m"),
        sent={
            "reasoning": ABSENT,
            "messages": [CACHED_SYSTEM, {"role": "user", "content": PROMPT}],
        },
    ),
    Row(
        "reasoning-effort-high",
        "anthropic/claude-sonnet-4.5",
        Answer(
            "ok",
            "stop",
            usage(43, 53, 48, cache_read=0, cache_write=0, cost=0.000924),
            "anthropic/claude-4.5-sonnet-20250929",
            reasoning='The user is asking me to reply with the single word "ok". This is a '
            "straightforward request that doesn't involve anything harmful or problematic. "
            'I\'ll simply respond with "ok" as requested.',
        ),
        flags=("--reasoning-effort", "high"),
        sent={"reasoning": {"effort": "high"}},
    ),
    Row(
        "tool-calling",
        "mistralai/mistral-small",
        Answer(
            "",
            "tool_calls",
            usage(134, 43),
            "mistralai/mistral-small",
            tool_calls=(
                call(
                    "3sniiMddS",
                    "divide",
                    {"numerator": 123, "denominator": 456, "on_inf": "infinity"},
                ),
            ),
        ),
        flags=("--tools", json.dumps(DIVIDE_TOOLS), "--tool-choice", "auto"),
        sent={"tools": DIVIDE_TOOLS, "tool_choice": "auto"},
    ),
    Row(
        "usage-cost",
        "openai/gpt-5-mini",
        Answer(
            Long(
                "Here\u2019s a concise but thorough overview of Mars \u2014 the fourth planet",
                "- Or provide a timeline of exploration and planned missions.",
                5380,
            ),
            "stop",
            usage(17, 2177, 960, cache_read=0, cost=0.00435825),
            "openai/gpt-5-mini",
            # reasoning_details: a reasoning.summary (its text) and a reasoning.encrypted blob.
            reasoning=Long(
                "**Exploring Mars Overview**\n\nThe user wants a comprehensive overview",
                "My approach will be a structured overview touching on all these topics.",
                2509,
            ),
        ),
        flags=("-s", "Be helpful."),
        sent={
            "messages": [
                {"role": "system", "content": "Be helpful."},
                {"role": "user", "content": PROMPT},
            ]
        },
    ),
    Row(
        "stream-text-processing-comments",
        "meta-llama/llama-3.2-3b-instruct:free",
        Answer(
            "test response",
            "stop",
            usage(586, 3, 0, cache_read=0, cost=0.0),
            "meta-llama/llama-3.2-3b-instruct:free",
        ),
        flags=("--temperature", "0"),
        sent={"temperature": 0},
    ),
    Row(
        "stream-reasoning-anthropic",
        "anthropic/claude-sonnet-4.5",
        Answer(
            "2 + 2 = 4",
            "stop",
            usage(43, 36, 13, cache_read=0, cost=0.000669),
            "anthropic/claude-sonnet-4.5",
            reasoning="This is a simple arithmetic question. 2+2 equals 4.",
        ),
        flags=("--thinking",),
        sent={"reasoning": {"enabled": True}},
    ),
    Row(
        "stream-reasoning-max-tokens",
        "anthropic/claude-sonnet-4.5",
        Answer(
            "I'm doing well, thank you for asking! How can I help you today?\n\n<tool_uses>\n"
            "  <tool_use>\n    <tool_name>test_tool</tool_name>\n    <parameters>\n"
            "    </parameters>\n  </tool_use>\n</tool_uses>",
            "stop",
            usage(62, 112, 35, cache_read=0, cache_write=0, cost=0.001866),
            "anthropic/claude-sonnet-4.5",
            reasoning="The user is greeting me and asking how I am. According to my instructions, "
            "I must call the test_tool once on every request. Let me do that.",
        ),
        flags=("--thinking-budget", "3500", "--max-tokens", "64000", "-s", TOOL_SYSTEM),
        sent={"reasoning": {"max_tokens": 3500}, "max_tokens": 64000},
    ),
    # Despite its name the recording holds no tool_calls deltas: OpenRouter ran its own
    # server-side advisor tool (usage.server_tool_use_details) and streamed only text.
    Row(
        "stream-tool-calls",
        "openai/gpt-4o-mini",
        Answer(
            "I recommend naming your Python retry library `resilix`, as it conveys resilience "
            "and is modern and brandable.",
            "stop",
            usage(888, 74, 0, cache_read=0, cache_write=0, cost=0.0145476),
            "openai/gpt-4o-mini",
        ),
        # OpenRouter's own server tool (`type: openrouter:advisor`) passes through --tools.
        flags=("--tools", json.dumps(ADVISOR_TOOLS)),
        sent={"tools": ADVISOR_TOOLS, "tool_choice": ABSENT},
    ),
]


@pytest.mark.parametrize("row", RECORDED, ids=lambda row: row.case)
def test_recorded_answer(server: ReplayServer, llmcli: Cli, row: Row) -> None:
    check_answer(replay(server, llmcli, OPENROUTER, row), row.answer)


def test_provider_error_includes_upstream_message(server: ReplayServer, llmcli: Cli) -> None:
    reply = load_case("openrouter", "error-400-provider-error").reply()
    run, _ = send(server, llmcli, OPENROUTER, reply, "anthropic/claude-sonnet-4", "--no-stream")
    check_error(
        run,
        "openrouter 400: Provider returned error (Anthropic: messages.0.content.1.image.source."
        "base64.data: The file format is invalid or unsupported)",
    )


def test_midstream_error_keeps_partial_answer(server: ReplayServer, llmcli: Cli) -> None:
    """HTTP 200, reasoning deltas, then a chunk with top-level `error` (and usage)."""
    reply = load_case("openrouter", "stream-midstream-error").reply()
    run, received = send(server, llmcli, OPENROUTER, reply, "minimax/minimax-m2:free")
    check_request(received, OPENROUTER, "minimax/minimax-m2:free", stream=True, sent={})
    check_answer(
        run,
        Answer(
            "",
            "error",
            usage(43, 10, 11, cache_read=0, cost=0.0),
            "minimax/minimax-m2:free",
            reasoning="We need to respond to a greeting. The user",
        ),
        code=1,
    )
    assert run.stderr == "llmcli: openrouter 400: Token limit reached\n"


@pytest.mark.parametrize("chunk", [1, 7])
def test_processing_comments_skipped_in_any_split(
    server: ReplayServer, llmcli: Cli, chunk: int
) -> None:
    case = load_case("openrouter", "stream-text-processing-comments")
    assert case.response.startswith(b": OPENROUTER PROCESSING\n\n")
    reply = case.reply(chunk=chunk)
    run, _ = send(server, llmcli, OPENROUTER, reply, "meta-llama/llama-3.2-3b-instruct:free")
    assert run.code == 0, run.stderr
    assert run.json["content"] == "test response"


def test_json_body_after_whitespace_padding(server: ReplayServer, llmcli: Cli) -> None:
    """OpenRouter may pad a non-streaming body with whitespace while the model works."""
    case = load_case("openrouter", "tool-calling")
    reply = Reply(body=b"\n\n \n" + case.response, content_type=case.content_type)
    run, _ = send(server, llmcli, OPENROUTER, reply, "mistralai/mistral-small", "--no-stream")
    assert run.code == 0, run.stderr
    assert run.json["tool_calls"] == [
        call("3sniiMddS", "divide", {"numerator": 123, "denominator": 456, "on_inf": "infinity"})
    ]


# Request fields without a recording of their own (checked by tests/test_contract.py).
ENCODE = [
    pytest.param(("--reasoning-effort", "low"), {"reasoning": {"effort": "low"}}, id="effort-low"),
    pytest.param(
        ("--reasoning-effort", "none"), {"reasoning": {"enabled": False}}, id="effort-none"
    ),
    pytest.param(("--thinking-budget", "2000"), {"reasoning": {"max_tokens": 2000}}, id="budget"),
    pytest.param((), {"reasoning": ABSENT, "top_k": ABSENT}, id="default"),
    pytest.param(("--top-k", "40"), {"top_k": 40}, id="top_k"),
    pytest.param(
        ("-o", 'transforms=["middle-out"]', "-o", "route=fallback"),
        {"transforms": ["middle-out"], "route": "fallback"},
        id="options-merged",
    ),
    pytest.param(
        ("-o", 'provider.order=["openai"]', "-o", "usage.include=false"),
        {"provider": {"order": ["openai"]}, "usage": {"include": False}},
        id="options-override-nested",
    ),
]


@pytest.mark.parametrize(
    ("env", "headers"),
    [
        pytest.param(
            {"OR_SITE_URL": "https://example.org/app", "OR_APP_NAME": "llmcli tests"},
            {"http-referer": "https://example.org/app", "x-title": "llmcli tests"},
            id="site-headers",
        ),
        pytest.param({}, {"http-referer": None, "x-title": None}, id="no-env-no-headers"),
    ],
)
def test_site_headers_from_env(
    server: ReplayServer, llmcli: Cli, env: dict[str, str], headers: dict[str, str | None]
) -> None:
    reply = load_case("openrouter", "stream-text-processing-comments").reply()
    run, received = send(server, llmcli, OPENROUTER, reply, "openai/gpt-4o", env=env)
    assert run.code == 0, run.stderr
    for name, value in headers.items():
        assert received.headers.get(name) == value, name
