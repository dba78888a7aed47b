"""Cost: usage x catalog price (cache reads and writes priced apart, reasoning as output),
OpenRouter's own `usage.cost` first, shown with -u and in --json, stored with each answer,
and summed by `llmcli logs cost`.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from llmcli import catalog
from llmcli.catalog import Price, image_cost, price_usage, usage_cost
from llmcli.events import Usage
from tests.servers import load_case

SONNET = Price(input=3.0, output=15.0, cache_read=0.30, cache_write=3.75)


def test_cache_reads_and_writes_are_priced_apart() -> None:
    usage = Usage(
        input_tokens=1000,  # every input token: 700 plain + 200 read + 100 written
        output_tokens=500,  # reasoning included
        reasoning_tokens=300,
        cache_read_tokens=200,
        cache_write_tokens=100,
    )
    expected = (700 * 3.0 + 200 * 0.30 + 100 * 3.75 + 500 * 15.0) / 1_000_000
    assert price_usage(SONNET, usage) == pytest.approx(expected, abs=1e-15)
    assert price_usage(SONNET, usage) == 0.010035


def test_reasoning_tokens_are_output_tokens() -> None:
    plain = Usage(input_tokens=10, output_tokens=100)
    reasoned = Usage(input_tokens=10, output_tokens=100, reasoning_tokens=90)
    assert price_usage(SONNET, plain) == price_usage(SONNET, reasoned) == 0.00153


def test_missing_cache_prices_fall_back_to_input() -> None:
    price = Price(input=2.0, output=8.0)
    usage = Usage(input_tokens=100, output_tokens=10, cache_read_tokens=40, cache_write_tokens=10)
    assert price_usage(price, usage) == (100 * 2.0 + 10 * 8.0) / 1_000_000


def test_nothing_to_price() -> None:
    assert price_usage(SONNET, Usage()) is None
    assert price_usage(Price(output=1.0), Usage(input_tokens=5)) is None  # no input price
    assert usage_cost("openai", "no-such-model", Usage(input_tokens=5)) is None
    assert usage_cost("ollama", "llama3.2", Usage(input_tokens=5, output_tokens=5)) is None


def test_catalog_prices_by_routed_model() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_read_tokens=500_000)
    # gpt-4o-mini: 0.15 in, 0.075 cached, 0.60 out; a dated snapshot id finds it too.
    assert usage_cost("openai", "gpt-4o-mini-2024-07-18", usage) == 0.7125  # .075+.0375+.6
    # DeepSeek: 0.28 miss, 0.028 hit, 0.42 out.
    assert usage_cost("deepseek", "deepseek-reasoner", usage) == pytest.approx(
        0.5 * 0.28 + 0.5 * 0.028 + 0.42
    )
    # Embeddings: input only.
    assert usage_cost("openai", "text-embedding-3-large", Usage(input_tokens=2_000)) == 0.00026


def test_per_image_prices() -> None:
    dalle3 = catalog.find("openai/dall-e-3")
    assert dalle3 is not None
    assert image_cost(dalle3, "hd", "1792x1024", 2) == 0.24
    assert image_cost(dalle3, None, None, 1) == 0.04  # standard 1024x1024
    assert image_cost(dalle3, "hd", "640x480", 1) is None


def test_json_and_usage_line_show_the_catalog_cost(server, llmcli) -> None:
    """openai/nonstream-text: 13 prompt + 31 completion tokens on gpt-3.5-turbo
    ($0.50 / $1.50 per million)."""
    server.queue(load_case("openai", "nonstream-text").reply())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-3.5-turbo",
        "--api-base",
        server.url + "/v1",
        "--no-stream",
        "--no-log",
        "--json",
        "-u",
        "hi",
    )
    assert run.code == 0, run.stderr
    assert run.json["usage"]["cost"] == pytest.approx(13 * 0.5e-6 + 31 * 1.5e-6)
    assert run.stderr == "usage: 13 input, 31 output, $0.000053\n"


def test_openrouter_cost_wins_over_the_catalog(server, llmcli) -> None:
    """openrouter/usage-cost reports usage.cost: that figure is kept, not recomputed."""
    case = load_case("openrouter", "usage-cost")
    server.queue(case.reply())
    run = llmcli(
        "complete",
        "-m",
        f"openrouter/{case.request['model']}",
        "--api-base",
        server.url + "/api/v1",
        "--no-stream",
        "--no-log",
        "--json",
        "hi",
    )
    assert run.code == 0, run.stderr
    import json

    recorded = json.loads(case.response)["usage"]["cost"]
    assert run.json["usage"]["cost"] == recorded


def _stored_costs(db: Path) -> list[tuple[str, float | None]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT model, cost FROM responses ORDER BY id"))


def test_cost_is_stored_and_summed_by_day(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    for _ in range(2):
        server.queue(load_case("openai", "nonstream-text").reply())
        run = llmcli(
            "complete",
            "-m",
            "openai/gpt-3.5-turbo",
            "--api-base",
            server.url + "/v1",
            "--no-stream",
            "--db",
            str(db),
            "hi",
        )
        assert run.code == 0, run.stderr
    server.queue(load_case("openai", "nonstream-text").reply())
    run = llmcli(
        "complete",
        "--api-base",
        server.url + "/v1",
        "-m",
        "openai/unpriced-model",
        "--no-stream",
        "--db",
        str(db),
        "hi",
    )
    assert run.code == 0, run.stderr
    one = 13 * 0.5e-6 + 31 * 1.5e-6
    costs = _stored_costs(db)
    assert [m for m, _ in costs] == ["gpt-3.5-turbo-0125"] * 3
    assert [c for _, c in costs][:2] == [pytest.approx(one)] * 2
    assert costs[2][1] is None

    run = llmcli("logs", "cost", "--db", str(db), "--json")
    assert run.code == 0, run.stderr
    today = time.strftime("%Y-%m-%d")
    (row,) = run.json["rows"]
    assert row["day"] == today
    assert row["model"] == "openai/gpt-3.5-turbo-0125"
    assert row["answers"] == 3
    assert row["input_tokens"] == 39 and row["output_tokens"] == 93
    assert row["cost"] == pytest.approx(2 * one)
    assert row["unpriced"] == 1
    assert run.json["total"] == pytest.approx(2 * one)

    run = llmcli("logs", "cost", "--db", str(db))
    # The last column is the prompt cache's (nothing was read from one here).
    assert (
        run.stdout == f"{today}\topenai/gpt-3.5-turbo-0125\t3\t39\t93\t$0.000106 (1 unpriced)\t-\n"
    )


def test_logs_cost_filters(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    server.queue(load_case("openai", "nonstream-text").reply())
    llmcli(
        "complete",
        "-m",
        "openai/gpt-3.5-turbo",
        "--api-base",
        server.url + "/v1",
        "--no-stream",
        "--db",
        str(db),
        "hi",
    )
    with sqlite3.connect(db) as conn:  # an answer from 10 days ago
        conn.execute(
            "UPDATE responses SET created_at = created_at - 10 * 86400, model = 'old-model'"
        )
    server.queue(load_case("openai", "nonstream-text").reply())
    llmcli(
        "complete",
        "-m",
        "openai/gpt-3.5-turbo",
        "--api-base",
        server.url + "/v1",
        "--no-stream",
        "--db",
        str(db),
        "hi",
    )
    everything = llmcli("logs", "cost", "--db", str(db), "--json").json["rows"]
    assert [r["model"] for r in everything] == ["openai/old-model", "openai/gpt-3.5-turbo-0125"]
    recent = llmcli("logs", "cost", "--db", str(db), "--days", "3", "--json").json["rows"]
    assert [r["model"] for r in recent] == ["openai/gpt-3.5-turbo-0125"]
    by_model = llmcli("logs", "cost", "--db", str(db), "--model", "old", "--json").json
    assert [r["model"] for r in by_model["rows"]] == ["openai/old-model"]
