"""Cost before sending: --estimate (Anthropic's count_tokens on a loopback server, and
offline), --max-cost, the daily budget with stored spend, and the prompt cache's hit
ratio and savings in -u and `logs cost`.

No recording of `POST /v1/messages/count_tokens` exists in the shared corpus: the mock
answers with the documented shape, `{"input_tokens": N}`
(https://platform.claude.com/docs/en/api/messages/count_tokens)."""

from __future__ import annotations

import json

import pytest

from llmcli.events import Usage
from llmcli.providers.anthropic import encode
from llmcli.providers.anthropic.count import count_tokens_call, decode_count
from llmcli.render import usage_line
from llmcli.request import Message, Request, TextPart
from llmcli.transport import Connection
from tests.servers import Reply

SONNET = "anthropic/claude-sonnet-4-5"  # $3 in, $15 out per million; 4096 output by default


def openai_answer(prompt_tokens: int, cached: int = 0, completion: int = 10) -> Reply:
    """A chat.completion (the shape of tests/fixtures/openai/nonstream-text)."""
    body = {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "ok"},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }
    return Reply(body=json.dumps(body).encode())


def test_the_count_request_is_the_messages_body_cut_down() -> None:
    req = Request(
        provider="anthropic",
        model="claude-sonnet-4-5",
        system="Be brief",
        messages=[Message(role="user", parts=[TextPart(text="hi")])],
        stream=True,
        temperature=0.5,
    )
    conn = Connection(base_url="https://api.anthropic.com", api_key="k", headers={"x-api-key": "k"})
    call = count_tokens_call(encode(req, conn))
    assert call.url == "https://api.anthropic.com/v1/messages/count_tokens"
    assert call.method == "POST" and call.framing == "json"
    assert set(call.json or {}) == {"model", "messages", "system"}
    assert call.headers["x-api-key"] == "k" and "anthropic-version" in call.headers
    assert decode_count(b'{"input_tokens": 42}') == 42


def test_estimate_asks_anthropic_to_count(server, llmcli) -> None:
    server.queue(Reply(body=b'{"input_tokens": 1234}'))
    run = llmcli("complete", "-m", SONNET, "--api-base", server.url, "--estimate", "hi")
    assert run.code == 0, run.stderr
    low, high = 1234 * 3 / 1e6, (1234 * 3 + 4096 * 15) / 1e6
    assert run.stdout == (
        f"{SONNET}: 1,234 input tokens (counted by the provider), at most 4,096 output tokens\n"
        f"cost: ${low:.6f} to ${high:.6f} (catalog prices)\n".replace("0 to", " to")
    )
    (sent,) = server.requests  # the count only: the answer was never asked for
    assert sent.path == "/v1/messages/count_tokens"
    assert sent.json == {"model": "claude-sonnet-4-5", "messages": sent.json["messages"]}
    assert sent.headers["x-api-key"] == "sk-ant-test-SECRET-2222"


def test_estimate_offline_is_labelled(server, llmcli) -> None:
    run = llmcli(
        "complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "--estimate", "x" * 400
    )
    assert run.code == 0, run.stderr
    assert "100 input tokens (estimate: 4 characters a token)" in run.stdout
    assert "at most 16,384 output tokens" in run.stdout  # the catalog's most
    assert server.requests == []


def test_estimate_without_an_anthropic_key_is_local(server, llmcli) -> None:
    env = {"ANTHROPIC_API_KEY": ""}
    run = llmcli(
        "complete",
        "-m",
        SONNET,
        "--api-base",
        server.url,
        "--estimate",
        "--json",
        "abcd",
        env=env,
    )
    assert run.code == 0, run.stderr
    assert run.json["input_counted"] is False and server.requests == []


def test_a_failed_count_falls_back_to_the_estimate(server, llmcli) -> None:
    server.queue(
        Reply(
            status=404, body=b'{"type":"error","error":{"type":"not_found_error","message":"no"}}'
        )
    )
    run = llmcli("complete", "-m", SONNET, "--api-base", server.url, "--estimate", "hi")
    assert run.code == 0, run.stderr
    assert "estimate: 4 characters a token" in run.stdout


def test_max_cost_refuses_before_sending(server, llmcli) -> None:
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--no-stream",
        "--api-base",
        server.url,
        "--max-cost",
        "0.001",
        "hi",
    )
    assert run.code == 2
    assert run.stderr.startswith("llmcli: this request may cost up to $0.00983")
    assert "over --max-cost $0.001" in run.stderr and run.stderr.count("\n") == 1
    assert server.requests == []
    server.queue(openai_answer(10))
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--no-stream",
        "--api-base",
        server.url,
        "--max-cost",
        "0.001",
        "--max-tokens",
        "100",
        "hi",
    )
    assert run.code == 0, run.stderr
    assert len(server.requests) == 1


def test_max_cost_needs_a_price(server, llmcli) -> None:
    run = llmcli(
        "complete", "-m", "ollama/llama3.2", "--api-base", server.url, "--max-cost", "1", "hi"
    )
    assert run.code == 2
    assert "--max-cost cannot be checked: the model has no price in the catalog" in run.stderr


def test_cmd_takes_max_cost(server, llmcli) -> None:
    run = llmcli(
        "cmd",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "--max-cost",
        "0.0001",
        "list files",
    )
    assert run.code == 2 and "over --max-cost" in run.stderr
    assert server.requests == []


def test_the_daily_budget_counts_todays_stored_spend(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    assert llmcli("config", "set", "budget.daily_usd", "0.1").code == 0
    # 1,000,000 input and 10 output tokens of gpt-4o-mini: $0.150006 spent today.
    server.queue(openai_answer(1_000_000))
    first = ["complete", "-m", "openai/gpt-4o-mini", "--no-stream", "--api-base", server.url]
    first += ["--db", str(db)]
    assert llmcli(*first, "--max-tokens", "10", "hi").code == 0
    run = llmcli(*first, "--max-tokens", "10", "again")
    assert run.code == 2
    assert run.stderr.startswith("llmcli: over the daily budget of $0.1 (budget.daily_usd):")
    assert "$0.150006 spent today" in run.stderr and "resets at local midnight (in " in run.stderr
    assert len(server.requests) == 1
    run = llmcli(*first, "--max-tokens", "10", "--force", "again")
    assert run.code == 0, run.stderr
    assert len(server.requests) == 2


def test_usage_shows_the_cache_hit_ratio_and_saving(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    server.queue(openai_answer(1_000_000, cached=400_000))
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--no-stream",
        "--api-base",
        server.url,
        "--db",
        str(db),
        "-u",
        "hi",
    )
    assert run.code == 0, run.stderr
    # 400,000 reads at $0.075 instead of $0.15 a million: $0.03 saved.
    assert "1,000,000 input (400,000 cached, 40% cache hit)" in run.stderr
    assert "caching saved $0.03" in run.stderr
    rows = llmcli("logs", "cost", "--db", str(db), "--json").json["rows"]
    assert rows[0]["cache_hit"] == 0.4 and rows[0]["cache_saved"] == pytest.approx(0.03)
    table = llmcli("logs", "cost", "--db", str(db)).stdout
    assert table.rstrip("\n").endswith("\t40% hit, saved $0.03")


def test_usage_line_without_cache_reads_is_unchanged() -> None:
    line = usage_line(Usage(input_tokens=10, output_tokens=5, cost=0.01))
    assert line == "usage: 10 input, 5 output, $0.01"
