"""What `llmcli serve` tells about a call: its cost (to the client, the history and
/metrics), the settings the provider could not take (on the access-log line), the
errors that got no answer (in the history); and Ollama's image URLs, downloaded as the
CLI downloads them. The gateway runs in this process (tests/serve_inproc.py)."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette")

from llmcli.catalog import usage_cost
from llmcli.events import Accumulator
from llmcli.framing import frames_of
from llmcli.providers.base import load
from tests.serve_inproc import CHAT, UPSTREAM_KEY, USER, gateway, home, queue_ok, replay
from tests.servers import ReplayServer, Reply, load_case

__all__ = ["home", "replay"]  # fixtures

GPT = {"gpt": "openai/gpt-4o-mini"}


def _rows(home: Path) -> list[sqlite3.Row]:
    """The served calls in the history (read once the gateway stopped: it writes behind)."""
    found = list((home / "home").rglob("*.db"))
    if not found:
        return []
    db = sqlite3.connect(found[0])
    db.row_factory = sqlite3.Row
    return db.execute(
        "SELECT r.provider, r.model, r.cost, r.error, r.finish_reason, r.request, r.status,"
        " r.deployment FROM responses r JOIN conversations c ON c.id = r.conversation_id"
        " WHERE c.source = 'serve' ORDER BY r.id"
    ).fetchall()


def _catalog_cost(case: str) -> float:
    recorded = load_case("openai", case)
    module = load(__import__("llmcli.providers", fromlist=["PROVIDERS"]).PROVIDERS["openai"])
    if recorded.meta["response_file"].endswith(".json"):
        events = list(module.decode(recorded.response))
    else:
        events = list(module.decode_stream(frames_of(recorded.response, "sse")))
    acc = Accumulator("openai", "gpt-4o-mini")
    for event in events:
        acc.add(event)
    cost = usage_cost("openai", "gpt-4o-mini", acc.finish().usage)
    assert cost, "the catalog prices gpt-4o-mini"
    return cost


# ---- 2. cost --------------------------------------------------------------------------


def test_catalog_priced_answers_carry_their_cost(home: Path, replay: ReplayServer) -> None:
    whole, streamed = _catalog_cost("nonstream-text"), _catalog_cost("stream-text-usage")
    with gateway(home, GPT, replay.url) as (url, _):
        queue_ok(replay)
        answer = httpx.post(url + "/v1/chat/completions", json=CHAT).json()
        assert answer["usage"]["cost"] == pytest.approx(whole)
        replay.replies.clear()
        replay.queue(load_case("openai", "stream-text-usage").reply())
        body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
        sse = httpx.post(url + "/v1/chat/completions", json=body).text
        chunks = [json.loads(x[6:]) for x in sse.split("\n") if x.startswith("data: {")]
        assert chunks[-1]["usage"]["cost"] == pytest.approx(streamed)
        metrics = httpx.get(url + "/metrics").text
        line = next(x for x in metrics.splitlines() if x.startswith("llmcli_cost_usd_total"))
        assert float(line.split()[-1]) == pytest.approx(whole + streamed)
    costs = [row["cost"] for row in _rows(home)]
    assert costs == [pytest.approx(whole), pytest.approx(streamed)]


# ---- 3. warnings on the access-log line ----------------------------------------------


def test_what_the_provider_cannot_take_is_logged(
    home: Path, replay: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with gateway(home, GPT, replay.url) as (url, _):
        queue_ok(replay)
        body = {"model": "gpt", "max_tokens": 50, "messages": USER, "top_k": 5}
        answer = httpx.post(url + "/v1/messages", json=body)
        assert "top_k" in answer.headers["x-llmcli-warnings"]
    line = next(x for x in capsys.readouterr().err.splitlines() if x.startswith("POST /v1/m"))
    assert "200 gpt" in line and "warnings:" in line and "top_k" in line


# ---- 4. Ollama and image URLs ----------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture
def images() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != "/cat.png":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "image/png")
            self.send_header("content-length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ollama_gets_image_urls_downloaded(home: Path, replay: ReplayServer, images: str) -> None:
    replay.queue(load_case("ollama", "chat-tool-result-turn2").reply())
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": images + "/cat.png"}},
    ]
    body = {"model": "llama", "messages": [{"role": "user", "content": content}]}
    with gateway(home, {"llama": "ollama_chat/llama3.2"}, replay.url) as (url, _):
        answer = httpx.post(url + "/v1/chat/completions", json=body)
        assert answer.status_code == 200, answer.text
        sent = replay.requests[-1].json["messages"][-1]
        assert sent["images"] == [base64.b64encode(PNG).decode()]
        missing = {
            **body,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        content[0],
                        {"type": "image_url", "image_url": {"url": images + "/none.png"}},
                    ],
                }
            ],
        }
        refused = httpx.post(url + "/v1/chat/completions", json=missing)
        assert refused.status_code == 400
        assert "cannot download" in refused.json()["error"]["message"]


# ---- 5. errors that got no answer ------------------------------------------------------


def test_upstream_errors_are_recorded(home: Path, replay: ReplayServer) -> None:
    bad = b'{"error": {"message": "bad thing asked", "type": "invalid_request_error"}}'
    down = b'{"error": {"message": "down for now", "type": "server_error"}}'
    with gateway(home, GPT, replay.url) as (url, _):
        replay.queue(Reply(status=400, body=bad), Reply(status=500, body=down))
        refused = httpx.post(url + "/v1/chat/completions", json=CHAT)
        assert refused.status_code == 400
        failed = httpx.post(url + "/v1/chat/completions", json=CHAT)
        assert failed.status_code >= 500
        unknown = httpx.post(url + "/v1/chat/completions", json={**CHAT, "model": "nope"})
        assert unknown.status_code == 404  # nothing was sent: nothing to record
    rows = _rows(home)
    assert [r["status"] for r in rows] == [400, failed.status_code]
    assert "bad thing asked" in rows[0]["error"] and "down for now" in rows[1]["error"]
    assert {r["finish_reason"] for r in rows} == {"error"}
    assert {(r["provider"], r["model"], r["deployment"]) for r in rows} == {
        ("openai", "gpt-4o-mini", "gpt#0")
    }
    request = json.loads(rows[0]["request"])
    assert request["body"]["messages"] == USER
    assert UPSTREAM_KEY not in json.dumps([dict(r) for r in rows])


def test_no_log_records_nothing(home: Path, replay: ReplayServer) -> None:
    with gateway(home, GPT, replay.url, record=False) as (url, _):
        replay.queue(Reply(status=400, body=b'{"error": {"message": "no"}}'))
        assert httpx.post(url + "/v1/chat/completions", json=CHAT).status_code == 400
        queue_ok(replay)  # (clears the queue first)
        assert httpx.post(url + "/v1/chat/completions", json=CHAT).status_code == 200
    assert _rows(home) == []


# ---- 6. embeddings and images: cost and warnings as for chat -----------------------------


def test_embeddings_carry_their_cost_everywhere(home: Path, replay: ReplayServer) -> None:
    tokens = json.loads(load_case("openai", "embeddings-float-dimensions").response)["usage"]
    cost = 0.02 * tokens["prompt_tokens"] / 1_000_000  # catalog: $0.02 per million
    models = {"emb": "openai/text-embedding-3-small"}
    with gateway(home, models, replay.url) as (url, _):
        replay.queue(load_case("openai", "embeddings-float-dimensions").reply())
        answer = httpx.post(url + "/v1/embeddings", json={"model": "emb", "input": ["a", "b"]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["usage"]["cost"] == pytest.approx(cost)
        assert "x-llmcli-warnings" not in answer.headers  # an embedding model: nothing to say
        metrics = httpx.get(url + "/metrics").text
    assert f'llmcli_cost_usd_total{{model="emb"}} {cost:.8f}' in metrics
    assert 'llmcli_tokens_total{model="emb",type="input"} 2' in metrics
    rows = _rows(home)
    assert [(r["model"], r["status"]) for r in rows] == [("text-embedding-3-small", 200)]
    assert rows[0]["cost"] == pytest.approx(cost)
    assert UPSTREAM_KEY not in json.dumps([dict(r) for r in rows])


def test_images_are_priced_per_image(home: Path, replay: ReplayServer) -> None:
    with gateway(home, {"dalle": "openai/dall-e-3"}, replay.url) as (url, _):
        replay.queue(load_case("openai", "images-generations-b64-fixture").reply())
        answer = httpx.post(url + "/v1/images/generations", json={"model": "dalle", "prompt": "x"})
        assert answer.status_code == 200, answer.text
        assert "usage" not in answer.json()  # OpenAI has no usage for dall-e: no place for it
        metrics = httpx.get(url + "/metrics").text
    made = len(json.loads(load_case("openai", "images-generations-b64-fixture").response)["data"])
    each = 0.04  # catalog: dall-e-3, standard 1024x1024
    assert f'llmcli_cost_usd_total{{model="dalle"}} {each * made:.8f}' in metrics
    assert [r["cost"] for r in _rows(home)] == [pytest.approx(each * made)]


def test_embeddings_and_images_say_what_they_warn(
    home: Path, replay: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with gateway(home, GPT, replay.url) as (url, _):
        replay.queue(load_case("openai", "embeddings-float-dimensions").reply())
        emb = httpx.post(url + "/v1/embeddings", json={"model": "gpt", "input": "a"})
        assert emb.status_code == 200, emb.text
        assert "not an embedding model" in emb.headers["x-llmcli-warnings"]
        replay.replies.clear()
        replay.queue(load_case("openai", "images-generations-b64-fixture").reply())
        img = httpx.post(url + "/v1/images/generations", json={"model": "gpt", "prompt": "x"})
        assert img.status_code == 200, img.text
        assert "not an image generation model" in img.headers["x-llmcli-warnings"]
    err = capsys.readouterr().err.splitlines()
    line = next(x for x in err if x.startswith("POST /v1/embeddings"))
    assert "warnings: openai/gpt-4o-mini is not an embedding model" in line
    line = next(x for x in err if x.startswith("POST /v1/images"))
    assert "warnings: openai/gpt-4o-mini is not an image generation model" in line


def test_an_unreadable_embeddings_answer_is_a_502(home: Path, replay: ReplayServer) -> None:
    with gateway(home, GPT, replay.url) as (url, _):
        replay.queue(Reply(status=200, body=b'{"object": "list"}'))
        answer = httpx.post(url + "/v1/embeddings", json={"model": "gpt", "input": "a"})
    assert answer.status_code == 502
    assert "no `data` list" in answer.json()["error"]["message"]
