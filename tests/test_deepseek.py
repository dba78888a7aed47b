"""DeepSeek through the CLI, against recorded traffic: reasoning_content, cache-hit usage,
tool calls next to reasoning, and the `thinking` / `reasoning_effort` request fields.
"""

from __future__ import annotations

import json

import pytest

from llmcli.providers import deepseek
from llmcli.request import Request, user_message
from llmcli.transport import Connection
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
    replay,
    send,
    usage,
)
from tests.servers import ReplayServer, Reply, load_case

DEEPSEEK = Api("deepseek", "", FAKE_KEYS["DEEPSEEK_API_KEY"])

DICE_SYSTEM = "You're a dice game."
DICE_TOOLS = load_case("deepseek", "reasoner-tools").request["tools"]

RECORDED = [
    Row(
        "reasoner-nonstream",
        "deepseek-reasoner",
        Answer(
            Long(
                "Crossing the street safely involves careful observation and following",
                "Prioritize safety over speed, and stay alert until you've fully crossed.",
                1568,
            ),
            "stop",
            usage(12, 789, 415, 0, cost=0.00033474),
            "deepseek-reasoner",
            reasoning=Long(
                "Okay, the user is asking how to cross the street. Let me think about",
                "I think that covers the basics. Need to present it clearly and concisely.",
                1997,
            ),
        ),
        sent={"thinking": ABSENT, "reasoning_effort": ABSENT},
    ),
    Row(
        "reasoner-stream",
        "deepseek-reasoner",
        Answer(
            "Hello there! 😊 How can I help you today?",
            "stop",
            usage(6, 212, 198, 0, cost=9.072e-05),
            "deepseek-reasoner",
            reasoning=Long(
                'Hmm, the user just said "Hello". It\'s a simple greeting',
                "If they're just being polite, they might not reply further - and that's okay too.",
                882,
            ),
        ),
        # deepseek-reasoner always reasons: no `thinking` field, even with --thinking.
        flags=("--thinking",),
        sent={"thinking": ABSENT},
    ),
    Row(
        "reasoner-tools",
        "deepseek-reasoner",
        Answer(
            "Let me load the dice rolling capability!",
            "tool_calls",
            usage(563, 116, 60, 512, cost=7.7336e-05),
            "deepseek-v4-flash",
            reasoning="The user wants to play a dice game. I need to roll a die and compare it to "
            "the user's guess of 4. But the DICE_ROLL capability is deferred - I need to load it "
            "first using the `load_capability` tool.\n\nLet me load the capability first.",
            tool_calls=(
                call("call_00_sXqYgMESDht75NCLLZtt9804", "load_capability", {"id": "DICE_ROLL"}),
            ),
        ),
        flags=("-s", DICE_SYSTEM, "--tools", json.dumps(DICE_TOOLS), "--tool-choice", "auto"),
        sent={
            "messages": [
                {"role": "system", "content": DICE_SYSTEM},
                {"role": "user", "content": PROMPT},
            ],
            "tools": DICE_TOOLS,
            "tool_choice": "auto",
        },
    ),
    Row(
        "reasoner-tool-result-turn3",
        "deepseek-chat",
        Answer(
            "🎉 **Congratulations, Anne!** You're a winner! 🎉\n\nThe die rolled exactly **4** "
            "-- matching your guess perfectly! Lucky you! 🎲",
            "stop",
            # cache_read: prompt_cache_hit_tokens (896)
            usage(976, 61, 25, 896, cost=7.3108e-05),
            "deepseek-v4-flash",
            reasoning="The player's name is Anne, and the die rolled a 4. "
            "The user guessed 4, so they win!",
        ),
        flags=("--thinking",),
        sent={"thinking": {"type": "enabled"}},
    ),
]


@pytest.mark.parametrize("row", RECORDED, ids=lambda row: row.case)
def test_recorded_answer(server: ReplayServer, llmcli: Cli, row: Row) -> None:
    check_answer(replay(server, llmcli, DEEPSEEK, row), row.answer)


def test_cache_hit_tokens_come_from_deepseek_field(server: ReplayServer, llmcli: Cli) -> None:
    """`prompt_cache_hit_tokens` is DeepSeek's own count; it wins over `cached_tokens`."""
    data = json.loads(load_case("deepseek", "reasoner-tool-result-turn3").response)
    assert data["usage"]["prompt_cache_hit_tokens"] == 896
    data["usage"]["prompt_tokens_details"]["cached_tokens"] = 0
    run, _ = send(
        server,
        llmcli,
        DEEPSEEK,
        Reply(body=json.dumps(data).encode()),
        "deepseek-chat",
        "--no-stream",
    )
    assert run.json["usage"]["cache_read_tokens"] == 896


# `thinking` per https://api-docs.deepseek.com/guides/thinking_mode (no recording has it).
# Checked in-process by tests/test_contract.py.
ENCODE = [
    pytest.param(
        "deepseek-chat", (), {"thinking": ABSENT, "reasoning_effort": ABSENT}, "", id="default"
    ),
    pytest.param(
        "deepseek-chat",
        ("--thinking",),
        {"thinking": {"type": "enabled"}, "reasoning_effort": ABSENT},
        "",
        id="thinking",
    ),
    pytest.param(
        "deepseek-chat",
        ("--reasoning-effort", "low"),
        {"thinking": {"type": "enabled"}, "reasoning_effort": "low"},
        "",
        id="effort-low",
    ),
    pytest.param(
        "deepseek-chat",
        ("--reasoning-effort", "high"),
        {"thinking": {"type": "enabled"}, "reasoning_effort": "high"},
        "",
        id="effort-high",
    ),
    pytest.param(
        "deepseek-chat",
        ("--reasoning-effort", "none"),
        {"thinking": {"type": "disabled"}, "reasoning_effort": ABSENT},
        "",
        id="effort-none",
    ),
    pytest.param(
        "deepseek-reasoner",
        ("--reasoning-effort", "low"),
        {"thinking": ABSENT, "reasoning_effort": "low"},
        "",
        id="reasoner-effort-low",
    ),
    pytest.param(
        "deepseek-chat",
        ("--thinking-budget", "2048", "--top-k", "5", "--max-tokens", "300"),
        {"thinking": {"type": "enabled"}, "top_k": ABSENT, "max_tokens": 300},
        "llmcli: warning: DeepSeek takes no thinking budget: --thinking-budget was not sent\n"
        "llmcli: warning: DeepSeek has no top_k: --top-k was not sent\n",
        id="budget-and-top_k-dropped",
    ),
    pytest.param(
        "deepseek-chat",
        ("-o", 'response_format={"type": "json_object"}'),
        {"response_format": {"type": "json_object"}},
        "",
        id="options-merged",
    ),
]


def test_error_body_is_one_line(server: ReplayServer, llmcli: Cli) -> None:
    """DeepSeek errors are OpenAI-shaped (no DeepSeek error recording exists: this is the
    OpenAI 400 recording served as DeepSeek's)."""
    reply = load_case("openai", "error-400-unsupported-value").reply()
    run, _ = send(server, llmcli, DEEPSEEK, reply, "deepseek-chat")
    check_error(
        run,
        "deepseek 400 invalid_request_error: Unsupported value: 'messages[0].role' does not "
        "support 'developer' with this model.",
    )


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.deepseek.com", "https://api.deepseek.com/beta/completions"),
        ("https://api.deepseek.com/v1", "https://api.deepseek.com/beta/completions"),
        ("http://127.0.0.1:9/proxy", "http://127.0.0.1:9/proxy/completions"),
    ],
)
def test_fim_goes_to_beta_on_deepseek_host(base: str, url: str) -> None:
    """DeepSeek serves FIM only at /beta/completions; a custom base is kept as given."""
    req = Request(
        provider="deepseek",
        model="deepseek-chat",
        messages=[user_message("def fib(a):")],
        suffix="    return fib(a-1) + fib(a-2)",
    )
    call_ = deepseek.encode(req, Connection(base_url=base, api_key="k"))
    assert call_.url == url
    assert call_.json is not None
    assert call_.json["prompt"] == "def fib(a):"
    assert call_.json["suffix"] == "    return fib(a-1) + fib(a-2)"
