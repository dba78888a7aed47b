"""The gateway in this process for the serve tests: uvicorn in a thread, the app built
by `llmcli.serve.run.build` from the options the command takes, in front of loopback
upstreams, with its history under a temporary LLMCLI_HOME."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmcli.serve.run import Options, build
from tests.playground_servers import running
from tests.servers import ReplayServer, load_case

UPSTREAM_KEY = "sk-upstream-guard-secret-987654"
USER = [{"role": "user", "content": "hi"}]
CHAT = {"model": "gpt", "messages": USER}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LLMCLI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UPSTREAM_KEY", UPSTREAM_KEY)
    from llmcli.config import settings

    settings.cache_clear()  # read again under this LLMCLI_HOME
    yield tmp_path
    settings.cache_clear()


@contextlib.contextmanager
def gateway(
    home: Path, models: dict[str, str], upstream: str, **options: Any
) -> Iterator[tuple[str, Any]]:
    """The gateway for `models` (name → PROVIDER/MODEL) in front of `upstream`."""
    lines = ["model_list:"]
    for name, model in models.items():
        path = "/v1" if model.startswith("openai/") else ""
        lines += [
            f"  - model_name: {name}",
            f"    litellm_params: {{model: {model}, api_base: '{upstream}{path}',"
            " api_key: os.environ/UPSTREAM_KEY}",
        ]
    config = home / "config.yaml"
    config.write_text("\n".join(lines) + "\n")
    app, gw = build(Options(config=config, **options))
    with running(app) as url:
        yield url, gw


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer().start()
    yield server
    server.stop()


def queue_ok(replay: ReplayServer) -> None:
    replay.replies.clear()
    replay.queue(load_case("openai", "nonstream-text").reply())
