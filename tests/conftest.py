"""Shared fixtures: a loopback replay server and a way to run llmcli as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ReplayServer

# Recognisable fake keys: tests grep output for them to prove they never leak.
FAKE_KEYS = {
    "OPENAI_API_KEY": "sk-test-openai-SECRET-1111",
    "ANTHROPIC_API_KEY": "sk-ant-test-SECRET-2222",
    "DEEPSEEK_API_KEY": "sk-test-deepseek-SECRET-3333",
    "OPENROUTER_API_KEY": "sk-or-test-SECRET-4444",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` tests (10,000-example fuzzing) run only when asked: LLMCLI_SLOW=1, or a -m
    expression naming slow. Otherwise they are deselected (not skipped): the default run
    has fast variants of the same properties."""
    if os.environ.get("LLMCLI_SLOW") == "1" or "slow" in (config.getoption("markexpr") or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    srv = ReplayServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: fake keys, no real provider settings, homes in tmp."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_API_BASE", "_BASE_URL"))
        and not k.startswith(("LLMCLI_", "OLLAMA_", "OR_"))
    }
    env.update(FAKE_KEYS)
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture
def llmcli(cli_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """Run `llmcli ARGS...` in a subprocess; stdin is empty unless `input` is given."""

    def run(
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Run:
        data = input.encode() if isinstance(input, str) else input
        proc = subprocess.run(
            [sys.executable, "-m", "llmcli", *args],
            input=data if data is not None else b"",
            capture_output=True,
            env={**cli_env, **(env or {})},
            timeout=timeout,
        )
        return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    return run
