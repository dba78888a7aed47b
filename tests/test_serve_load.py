"""`llmcli serve` under load and when clients leave: 1,000 concurrent streams, each
checking its own answer; a client that disconnects mid-stream closes the upstream;
start-up refusals; the history and the access log."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve_client import post, sse_text
from tests.serve_mock import MockUpstream

pytest.importorskip("starlette")
from tests.test_serve import start_server, stop_server

STREAMS = 1000


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("serve-load")
    fast, slow = MockUpstream().start(), MockUpstream(delay=0.05).start()
    config = tmp / "config.toml"
    entry = "[[model_list]]\nmodel_name = '{0}'\n" + (
        "litellm_params = {{model = 'openai/{0}', api_base = '{1}/v1', api_key = 'sk-x'}}\n"
    )
    config.write_text(entry.format("echo", fast.url) + entry.format("slow", slow.url))
    proc, url = start_server(config, tmp)
    yield {"url": url, "fast": fast, "slow": slow, "tmp": tmp, "proc": proc}
    log = stop_server(proc)
    assert "POST /v1/chat/completions 200 echo" in log


async def _one(port: int, i: int) -> str:
    body = {"model": "echo", "stream": True, "messages": [{"role": "user", "content": f"c{i} x"}]}
    status, data = await post(port, "/v1/chat/completions", body)
    assert status == 200, data
    return sse_text(data)


def test_thousand_concurrent_streams(echo: dict[str, Any]) -> None:
    """All at once, each on its own connection (a raw asyncio client: httpx's own pool
    would be the bottleneck), each checking that it got its own answer back."""
    port = int(echo["url"].rsplit(":", 1)[1])

    async def main() -> list[str]:
        return await asyncio.gather(*(_one(port, i) for i in range(STREAMS)))

    answers = asyncio.run(main())
    assert answers == [f"echo: c{i} x" for i in range(STREAMS)]


def test_client_disconnect_closes_upstream(echo: dict[str, Any]) -> None:
    slow: MockUpstream = echo["slow"]
    words = " ".join(["w"] * 200)  # 200 chunks, 50 ms apart: ten seconds of stream
    body = {"model": "slow", "stream": True, "messages": [{"role": "user", "content": words}]}
    before = len(slow.closed)
    with httpx.stream("POST", echo["url"] + "/v1/chat/completions", json=body) as response:
        next(response.iter_raw())
        left = time.monotonic()
    deadline = left + 3
    while len(slow.closed) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(slow.closed) > before, "the upstream never saw its connection close"
    assert slow.closed[-1] - left < 2.0
    assert slow.completed == 0


def test_history_records_served_calls(echo: dict[str, Any]) -> None:
    body = {"model": "echo", "messages": [{"role": "user", "content": "remember me"}]}
    assert httpx.post(echo["url"] + "/v1/chat/completions", json=body).status_code == 200
    db_path = next(Path(echo["tmp"], "data").rglob("*.db"))
    time.sleep(0.3)  # the recorder thread writes behind
    db = sqlite3.connect(db_path)
    rows = db.execute(
        "SELECT c.source, r.provider, r.deployment, r.status, r.latency_ms, r.request"
        " FROM conversations c JOIN responses r ON r.conversation_id = c.id"
    ).fetchall()
    assert rows and {r[0] for r in rows} == {"serve"}
    assert rows[-1][:4] == ("serve", "openai", "echo#0", 200)
    assert "sk-x" not in json.dumps(rows)
    listed = subprocess.run(
        [sys.executable, "-m", "llmcli", "logs", "list", "--db", str(db_path)],
        capture_output=True,
        text=True,
    )
    assert "serve" in listed.stdout, listed.stderr


def test_refuses_open_non_loopback_and_missing_extra(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "llmcli", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "--master-key" in run.stderr and "Traceback" not in run.stderr
    blocked = tmp_path / "sitecustomize.py"
    blocked.write_text("import sys\nsys.modules['starlette'] = None\n")
    run = subprocess.run(
        [sys.executable, "-m", "llmcli", "serve"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 2
    assert "pip install 'llmcli[serve]'" in run.stderr
