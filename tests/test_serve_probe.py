"""`GET /health?probe=1`: one tiny call per configured deployment, behind the master
key, with each one's status and latency; a plain `/health` calls nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("starlette")

from llmcli.serve.run import Options, build
from tests.playground_servers import running
from tests.serve_inproc import UPSTREAM_KEY, home, queue_ok, replay
from tests.servers import ReplayServer, Reply

__all__ = ["home", "replay"]  # fixtures

KEY = "sk-gateway-probe-1234"
AUTH = {"authorization": f"Bearer {KEY}"}


@pytest.fixture
def down() -> Iterator[ReplayServer]:
    server = ReplayServer().start()
    server.queue(Reply(status=500, body=b'{"error": {"message": "down"}}'))
    yield server
    server.stop()


def _config(home: Path, good: str, bad: str) -> Path:
    lines = ["model_list:"]
    for name, model, base in (
        ("gpt", "openai/gpt-4o-mini", good),
        ("gpt", "openai/gpt-4o-mini", bad),
        ("emb", "openai/text-embedding-3-small", good),
    ):
        lines += [
            f"  - model_name: {name}",
            f"    litellm_params: {{model: {model}, api_base: '{base}/v1',"
            " api_key: os.environ/UPSTREAM_KEY}",
        ]
    path = home / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_probe_calls_each_deployment_once(
    home: Path, replay: ReplayServer, down: ReplayServer
) -> None:
    queue_ok(replay)
    app, _ = build(Options(config=_config(home, replay.url, down.url), master_key=KEY))
    with running(app) as url:
        assert httpx.get(url + "/health").json() == {"status": "healthy"}
        assert replay.requests == [] and down.requests == []  # liveness calls nothing
        assert httpx.get(url + "/health?probe=1").status_code == 401
        assert replay.requests == [] and down.requests == []
        answer = httpx.get(url + "/health?probe=1", headers=AUTH)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        one = httpx.get(url + "/health?model=emb", headers=AUTH).json()
        unknown = httpx.get(url + "/health?model=nope", headers=AUTH)
    assert (report["healthy_count"], report["unhealthy_count"]) == (2, 1)
    healthy = sorted((e["model"], e["deployment"]) for e in report["healthy_endpoints"])
    assert healthy == [("emb", "emb#2"), ("gpt", "gpt#0")]  # ids count config entries
    (bad,) = report["unhealthy_endpoints"]
    assert (bad["deployment"], bad["status"], bad["error"]) == ("gpt#1", 500, "HTTP 500")
    every = report["healthy_endpoints"] + report["unhealthy_endpoints"]
    assert all(isinstance(e["latency_ms"], float) and e["latency_ms"] >= 0 for e in every)
    # Tiny calls: a one-token chat answer, one input embedded; the 500 is not retried.
    sent = sorted(replay.requests[:2], key=lambda r: r.path)
    assert [r.path for r in sent] == ["/v1/chat/completions", "/v1/embeddings"]
    assert sent[0].json["max_completion_tokens" if "max_completion_tokens" in sent[0].json
                        else "max_tokens"] == 1  # fmt: skip
    assert sent[1].json["input"] == ["ping"]
    assert len(down.requests) == 1
    assert UPSTREAM_KEY not in json.dumps(report)
    assert [e["model"] for e in one["healthy_endpoints"]] == ["emb"]
    assert one["unhealthy_count"] == 0
    assert unknown.status_code == 404
