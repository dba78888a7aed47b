"""Shared fixtures: a loopback replay server and ways to run llmcli as a user would."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import Run, run_in_process, run_subprocess
from tests.servers import ReplayServer

__all__ = ["FAKE_KEYS", "Run"]

# Recognisable fake keys: tests grep output for them to prove they never leak.
FAKE_KEYS = {
    "OPENAI_API_KEY": "sk-test-openai-SECRET-1111",
    "ANTHROPIC_API_KEY": "sk-ant-test-SECRET-2222",
    "DEEPSEEK_API_KEY": "sk-test-deepseek-SECRET-3333",
    "OPENROUTER_API_KEY": "sk-or-test-SECRET-4444",
}


def pytest_configure(config: pytest.Config) -> None:
    """A shell that starts pytest in the background without job control (`.ci/run ... &`)
    makes it ignore SIGINT, and an ignored signal stays ignored in every child: the tests
    that press Ctrl-C in a child would wait forever. A handler, unlike SIG_IGN, is reset to
    the default when a child execs."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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


Cli = Callable[..., Run]


def _runner(cli_env: dict[str, str], run_one: Callable[..., Run]) -> Cli:
    def run(
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Run:
        data = input.encode() if isinstance(input, str) else input
        return run_one(args, data or b"", {**cli_env, **(env or {})}, timeout)

    return run


@pytest.fixture
def llmcli(cli_env: dict[str, str]) -> Cli:
    """Run `llmcli ARGS...` in this process, as `python -m llmcli` would (tests/harness.py);
    stdin is empty unless `input` is given."""
    return _runner(cli_env, run_in_process)


@pytest.fixture
def llmcli_process(cli_env: dict[str, str]) -> Cli:
    """The same in a child process: for what only a process shows (signals, real start-up
    imports, the interpreter's own exit)."""
    return _runner(cli_env, run_subprocess)
