"""Bad command lines: each is one line on stderr, `llmcli: ...`, exit status 2, and
nothing is sent.

Click's own errors (an unknown option, a value out of an option's range, a choice
that is not one) are one line too, not a help box.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.servers import ReplayServer


@dataclass
class Bad:
    args: list[str]
    fragment: str  # what the one line must say
    stdin: str | bytes | None = None
    env: dict[str, str] = field(default_factory=dict)
    # Most cases send to the replay server, to prove that nothing reached it.
    api_base: bool = True


MODEL = ["complete", "-m", "openai/gpt-4o-mini"]

CASES: dict[str, Bad] = {
    "unknown provider": Bad(
        ["complete", "-m", "mistral/large", "hi"],
        "unknown provider for model 'mistral/large'",
        api_base=False,
    ),
    "missing key": Bad(
        [*MODEL, "hi"],
        "no API key for openai: set OPENAI_API_KEY or pass --api-key",
        env={"OPENAI_API_KEY": ""},
        api_base=False,
    ),
    "missing key (anthropic)": Bad(
        ["complete", "-m", "claude-sonnet-4-5", "hi"],
        "no API key for anthropic",
        env={"ANTHROPIC_API_KEY": ""},
        api_base=False,
    ),
    "empty prompt": Bad([*MODEL], "no prompt", stdin=""),
    "blank prompt": Bad([*MODEL, "   "], "no prompt", stdin="\n\n"),
    "stdin not UTF-8": Bad([*MODEL], "stdin is not UTF-8", stdin=b"\xff\xfe\xfa hi"),
    "invalid -o": Bad([*MODEL, "-o", "novalue", "hi"], "invalid -o 'novalue'"),
    "invalid -o nesting": Bad([*MODEL, "-o", "a=1", "-o", "a.b=2", "hi"], "invalid -o 'a.b=2'"),
    "invalid -H": Bad([*MODEL, "-H", "NoColonHere", "hi"], "invalid -H/--header"),
    "bad --json-schema": Bad([*MODEL, "--json-schema", "{bad", "hi"], "--json-schema"),
    "missing --json-schema file": Bad(
        [*MODEL, "--json-schema", "@/nonexistent/schema.json", "hi"], "/nonexistent/schema.json"
    ),
    "--json-schema with --json-mode": Bad(
        [*MODEL, "--json-schema", '{"type": "object"}', "--json-mode", "hi"],
        "--json-schema and --json-mode exclude each other",
    ),
    "missing attachment": Bad(
        [*MODEL, "-a", "/nonexistent/photo.png", "hi"], "/nonexistent/photo.png"
    ),
    "missing --tools file": Bad([*MODEL, "--tools", "/nonexistent/tools.json", "hi"], "--tools"),
    "negative --max-tokens": Bad([*MODEL, "--max-tokens", "-5", "hi"], "--max-tokens"),
    "zero --max-tokens": Bad([*MODEL, "--max-tokens", "0", "hi"], "--max-tokens"),
    "--temperature too high": Bad([*MODEL, "--temperature", "3", "hi"], "--temperature"),
    "--temperature negative": Bad([*MODEL, "--temperature", "-0.5", "hi"], "--temperature"),
    "--temperature not a number": Bad([*MODEL, "--temperature", "hot", "hi"], "--temperature"),
    "--top-p out of range": Bad([*MODEL, "--top-p", "1.5", "hi"], "--top-p"),
    "--thinking-budget zero": Bad([*MODEL, "--thinking-budget", "0", "hi"], "--thinking-budget"),
    "unknown --reasoning-effort": Bad(
        [*MODEL, "--reasoning-effort", "extreme", "hi"], "--reasoning-effort"
    ),
    "invalid --cache-ttl": Bad([*MODEL, "--cache-ttl", "2h", "hi"], "--cache-ttl"),
    "--tool-choice without the tool": Bad(
        [*MODEL, "--tool-choice", "nosuch", "hi"], "--tool-choice nosuch"
    ),
    "negative --retries": Bad([*MODEL, "--retries", "-1", "hi"], "--retries"),
    "zero --timeout": Bad([*MODEL, "--timeout", "0", "hi"], "--timeout"),
    "unknown option": Bad([*MODEL, "--no-such-flag", "hi"], "no such option: --no-such-flag"),
    "option without its value": Bad([*MODEL, "hi", "--max-tokens"], "--max-tokens"),
    "unknown command": Bad(["frobnicate"], "no such command 'frobnicate'", api_base=False),
    "keys: unknown provider": Bad(
        ["keys", "set", "nosuch"], "unknown provider 'nosuch'", stdin="k", api_base=False
    ),
    "keys: missing provider": Bad(["keys", "rm"], "missing argument", api_base=False),
    "logs: bad --number": Bad(["logs", "list", "-n", "0"], "--number", api_base=False),
    # -o: an empty part of a dotted key; a key llmcli sets itself (issue 11, row 9)
    "-o empty key part": Bad([*MODEL, "-o", "a..b=1", "hi"], "invalid -o 'a..b=1': empty part"),
    "-o leading dot": Bad([*MODEL, "-o", ".a=1", "hi"], "invalid -o '.a=1': empty part"),
    "-o stream": Bad(
        [*MODEL, "--no-stream", "-o", "stream=true", "hi"],
        "invalid -o 'stream=true': llmcli sets 'stream' itself: use --stream/--no-stream",
    ),
    "-o model": Bad([*MODEL, "-o", "model=gpt-4o", "hi"], "use -m/--model"),
    "-o messages": Bad([*MODEL, "-o", "messages.0.role=system", "hi"], "'messages'"),
    "embed -o input": Bad(
        ["embed", "-m", "openai/text-embedding-3-small", "-o", "input=x", "hi"],
        "llmcli sets 'input' itself",
    ),
}

# One wording for an invalid value, from click's parsing or the Request's validation
# (issue 11, row 10): the whole line.
EXACT: dict[str, tuple[list[str], str]] = {
    "nan": (["--temperature", "nan"], "invalid --temperature 'nan': must be a number from 0 to 2"),
    "inf": (["--top-p", "inf"], "invalid --top-p 'inf': must be a number from 0 to 1"),
    "too high": (["--temperature", "3"], "invalid --temperature '3': must be a number from 0 to 2"),
    "not a number": (
        ["--temperature", "hot"],
        "invalid --temperature 'hot': must be a number from 0 to 2",
    ),
    "not whole": (
        ["--max-tokens", "1.5"],
        "invalid --max-tokens '1.5': must be a whole number of at least 1",
    ),
    "zero": (
        ["--max-tokens", "0"],
        "invalid --max-tokens '0': must be a whole number of at least 1",
    ),
    "click range": (
        ["--retries", "-1"],
        "invalid --retries '-1': must be a whole number of at least 0",
    ),
    "timeout inf": (
        ["--timeout", "inf"],
        "invalid --timeout 'inf': must be a number of at least 0.1",
    ),
    "timeout nan": (
        ["--timeout", "nan"],
        "invalid --timeout 'nan': must be a number of at least 0.1",
    ),
    "choice": (
        ["--reasoning-effort", "extreme"],
        "invalid --reasoning-effort 'extreme': must be one of none, low, medium, high",
    ),
    "schema is a directory": (
        ["--json-schema", "/"],
        "--json-schema / is a directory: give a JSON file",
    ),
    "missing schema": (
        ["--json-schema", "/nonexistent/s.json"],
        "--json-schema file /nonexistent/s.json does not exist",
    ),
    "tools is a directory": (["--tools", "/"], "--tools / is a directory: give a JSON file"),
}


@pytest.mark.parametrize(("args", "line"), EXACT.values(), ids=EXACT.keys())
def test_an_invalid_value_is_worded_one_way(
    args: list[str], line: str, llmcli: Callable[..., Run], server: ReplayServer
) -> None:
    run = llmcli(*MODEL, "--api-base", server.url, *args, "hi")
    assert (run.code, run.stdout, run.stderr) == (2, "", f"llmcli: {line}\n")
    assert server.requests == []


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line_and_exit_2(
    case: Bad, llmcli: Callable[..., Run], server: ReplayServer, tmp_path: Path
) -> None:
    args = [*case.args, "--api-base", server.url] if case.api_base else case.args
    run = llmcli(*args, input=case.stdin, env=case.env)
    assert run.code == 2, run
    assert run.stdout == ""
    assert run.stderr.startswith("llmcli: ") and run.stderr.endswith("\n"), run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    assert case.fragment in run.stderr, run.stderr
    assert server.requests == []


def test_unreadable_stdin_is_one_line(
    tmp_path: Path, server: ReplayServer, cli_env: dict[str, str]
) -> None:
    """stdin that cannot be read (open for writing only) is named, not a traceback."""
    fd = os.open(tmp_path / "write-only", os.O_WRONLY | os.O_CREAT)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "llmcli",
                "complete",
                "-m",
                "openai/gpt-4o-mini",
                "--api-base",
                server.url,
            ],
            stdin=fd,
            capture_output=True,
            text=True,
            env=cli_env,
            timeout=60,
        )
    finally:
        os.close(fd)
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert proc.stderr == "llmcli: cannot read stdin: Bad file descriptor\n"
    assert server.requests == []
