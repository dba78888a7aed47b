"""No API key ever leaks: not to stdout, not to stderr, not into any file llmcli writes.

Every subcommand (read from the Typer app, so new ones are covered as they come) runs
with plausible arguments, a recognisable key in the environment and, where it takes
them, `--api-key KEY` and `--debug`; the commands that reach a provider also run into
an HTTP 401 whose body echoes the key, a refused connection and an unknown model.
After each run stdout, stderr and every file under the run's home directories (the
config and data dirs, the history database and its WAL included) are searched for the
key. The one place it may be is keys.toml, after `llmcli keys set`.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer.main

from llmcli.cli.app import app
from tests.conftest import Run
from tests.faults import closed_port
from tests.servers import ReplayServer, Reply, load_case

KEY = "sk-LEAKCHECK-0ddba11-5ec4e7-ffff1234"
# An MCP server's bearer token: a secret of its own, passed with --mcp-token.
MCP_TOKEN = "mcp-LEAKCHECK-b0a710ad-9999"
# The key, the token, and the parts of them no mask shows (`keys list` shows sk-…1234).
MARKS = (KEY, MCP_TOKEN, "LEAKCHECK-0ddba11", "LEAKCHECK-b0a710ad")
KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY")


def leaf_commands() -> dict[tuple[str, ...], Any]:
    """Every runnable subcommand of the app: path → click command."""
    found: dict[tuple[str, ...], Any] = {}

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs is None:
            found[path] = cmd
            return
        for name, sub in subs.items():
            if not getattr(sub, "hidden", False):
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def options_of(cmd: Any) -> set[str]:
    return {n for p in cmd.params if p.param_type_name == "option" for n in p.opts}


# ---- plausible arguments -------------------------------------------------------------------

MODELS = {("embed",): "openai/text-embedding-3-small", ("image",): "openai/gpt-image-1"}
ARGUMENTS: dict[str, str] = {
    "provider": "openai",
    "key": "providers.openai.api_base",
    "value": "http://127.0.0.1:1/v1",
    "name": "fast",
    "cid": "{cid}",
    "model": "openai/gpt-4o-mini",
}
ARGUMENTS_AT: dict[tuple[tuple[str, ...], str], str] = {
    (("models", "pull"), "model"): "{url}/models/tiny.gguf",
    (("local", "serve"), "model"): "./missing.gguf",
}
EXTRA: dict[tuple[str, ...], list[str]] = {
    ("image",): ["--output-dir", "images"],
    ("models", "list"): ["--live", "--provider", "openai"],
    ("complete",): ["-u", "-H", f"X-Custom-Token: {KEY}"],
    # The gateway would serve forever: a missing config stops it after the key was read
    # (its serving path is covered by tests/test_serve*.py, which check for leaks too).
    ("serve",): ["--master-key", KEY, "--config", "missing.yaml"],
}
STDIN: dict[tuple[str, ...], str] = {("keys", "set"): KEY + "\n"}
ENV: dict[tuple[str, ...], dict[str, str]] = {("config", "edit"): {"EDITOR": "true"}}


def openai_stream(text: str = "Hello there.") -> Reply:
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": text}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}},
    ]
    body = "".join(f"data: {json.dumps({'model': 'gpt-4o-mini', **c})}\n\n" for c in chunks)
    return Reply(body=(body + "data: [DONE]\n\n").encode(), content_type="text/event-stream")


def answer_for(path: tuple[str, ...]) -> Reply:
    """A success the command can read."""
    if path == ("embed",):
        return load_case("openai", "embeddings-float-dimensions").reply()
    if path == ("image",):
        return load_case("openai", "images-generations-b64-fixture").reply()
    if path == ("models", "list"):
        return Reply(body=b'{"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}')
    if path == ("models", "pull"):
        return Reply(body=b"not a GGUF file", content_type="application/octet-stream")
    return openai_stream()


def unauthorized() -> Reply:
    """A 401 whose message repeats the key it refused, as some servers do."""
    error = {
        "message": f"Incorrect API key provided: {KEY}. Check it.",
        "type": "invalid_request_error",
        "code": "invalid_api_key",
    }
    return Reply(status=401, body=json.dumps({"error": error}).encode())


@dataclass
class Call:
    label: str
    args: list[str]
    replies: list[Reply] = field(default_factory=list)
    input: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def calls_for(path: tuple[str, ...], cmd: Any, url: str) -> list[Call]:
    """The plausible run of a command, then its failing variants."""
    opts = options_of(cmd)
    args = [*path]
    if "--model" in opts:
        args += ["--model", MODELS.get(path, "openai/gpt-4o-mini")]
    if "--api-base" in opts:
        args += ["--api-base", url]
    if "--debug" in opts:
        args.append("--debug")
    args += EXTRA.get(path, [])
    for param in cmd.params:
        if param.param_type_name == "argument":
            value = ARGUMENTS_AT.get((path, param.name)) or ARGUMENTS.get(param.name, "hello")
            args.append(value.replace("{url}", url))
    with_key = [*args, "--api-key", KEY] if "--api-key" in opts else args
    base = {"input": STDIN.get(path), "env": ENV.get(path, {})}
    calls = [Call("plausible", with_key, [answer_for(path)], **base)]
    if "--api-base" not in opts:
        return calls
    refused = [f"http://127.0.0.1:{closed_port()}" if a == url else a for a in with_key]
    calls += [
        Call("key from the environment only", args, [answer_for(path)], **base),
        Call("HTTP 401 echoing the key", with_key, [unauthorized()], **base),
        Call("connection refused", refused, **base),
    ]
    if "--model" in opts:
        unknown = [a for a in with_key if a not in ("--api-base", url)]
        unknown[unknown.index("--model") + 1] = "nosuch/model-x"
        calls.append(Call("unknown model", unknown, **base))
    return calls


# ---- running and searching -------------------------------------------------------------------


def leaks(texts: dict[str, str], root: Path, keys_file_allowed: bool = False) -> list[str]:
    """Where a secret shows: the names of the outputs and files that hold one."""
    found = [name for name, text in texts.items() if any(m in text for m in MARKS)]
    for path in sorted(root.rglob("*")):
        if not path.is_file() or (keys_file_allowed and path.name == "keys.toml"):
            continue
        data = path.read_bytes()
        if any(m.encode() in data for m in MARKS):
            found.append(str(path.relative_to(root)))
    return found


@pytest.fixture
def secret_env(cli_env: dict[str, str]) -> dict[str, str]:
    env = {**cli_env, **dict.fromkeys(KEY_VARS, KEY), "LLMCLI_DEBUG": "1"}
    env.pop("NO_COLOR", None)  # plain output comes from the pipe; colour code paths too
    return env


def run_call(
    llmcli: Callable[..., Run], server: ReplayServer, env: dict[str, str], call: Call
) -> Run:
    server.replies[:] = list(call.replies) or [openai_stream()]
    return llmcli(*call.args, input=call.input, env={**env, **call.env}, timeout=60)


def stored_cid(llmcli: Callable[..., Run], env: dict[str, str]) -> str:
    listed = llmcli("logs", "list", "--json", env=env)
    assert listed.code == 0, listed.stderr
    return str(listed.json[0]["id"])


COMMANDS = sorted(leaf_commands())


def test_every_subcommand_is_covered() -> None:
    assert (
        ("complete",) in COMMANDS and ("keys", "set") in COMMANDS and ("logs", "show") in COMMANDS
    )


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p))
def test_no_secret_leaks(
    path: tuple[str, ...],
    llmcli: Callable[..., Run],
    server: ReplayServer,
    secret_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    env = secret_env
    cmd = leaf_commands()[path]
    history = [
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "--api-key",
        KEY,
        "--debug",
        "hello",
    ]
    cid = ""
    if path[0] == "logs" or path == ("chat",):
        # Something in the history database first (its stored request included).
        first = run_call(llmcli, server, env, Call("history", history, [openai_stream()]))
        assert first.code == 0, first.stderr
        cid = stored_cid(llmcli, env)
    keys_set = path[0] == "keys"
    if keys_set and path != ("keys", "set"):
        stored = llmcli("keys", "set", "openai", input=KEY + "\n", env=env)
        assert stored.code == 0, stored.stderr
    problems = []
    for call in calls_for(path, cmd, server.url):
        call.args = [a.replace("{cid}", cid) for a in call.args]
        run = run_call(llmcli, server, env, call)
        assert "Traceback" not in run.stderr, (call.label, run.stderr)
        found = leaks({"stdout": run.stdout, "stderr": run.stderr}, tmp_path, keys_set)
        if found:
            problems.append(f"{call.label}: {' '.join(call.args)} → {found}")
    assert not problems, "\n".join(problems)
    if path == ("keys", "set"):
        keys_file = next(tmp_path.rglob("keys.toml"))
        assert KEY in keys_file.read_text()  # stored where it belongs, and only there


def test_the_history_database_was_searched(
    llmcli: Callable[..., Run], server: ReplayServer, secret_env: dict[str, str], tmp_path: Path
) -> None:
    """The runs above store requests; the file search reaches the database and its WAL."""
    server.queue(openai_stream())
    run = llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "--api-key",
        KEY,
        "hi",
        env=secret_env,
    )
    assert run.code == 0, run.stderr
    databases = list(tmp_path.rglob("logs.db"))
    assert databases
    with sqlite3.connect(databases[0]) as db:
        (request,) = db.execute("SELECT request FROM responses").fetchone()
    assert "<redacted>" in request
    assert not leaks({}, tmp_path)


@pytest.mark.parametrize(
    ("model", "reply"),
    [
        (
            "anthropic/claude-sonnet-4-5",
            lambda: load_case("anthropic", "stream-text-basic").reply(),
        ),
        ("deepseek/deepseek-chat", openai_stream),
        ("openrouter/openai/gpt-4o-mini", openai_stream),
        ("ollama_chat/llama3.2", lambda: load_case("ollama", "chat-stream").reply()),
    ],
)
def test_no_leak_for_each_provider(
    model: str,
    reply: Callable[[], Reply],
    llmcli: Callable[..., Run],
    server: ReplayServer,
    secret_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """Each provider's own key header (x-api-key, bearer) is redacted, and so are 401s."""
    base = ["complete", "-m", model, "--api-base", server.url, "--debug", "hi"]
    for replies, extra in [
        ([reply()], []),
        ([reply()], ["--api-key", KEY, "--json"]),
        ([unauthorized()], ["--api-key", KEY]),
    ]:
        server.replies[:] = replies
        run = llmcli(*base, *extra, env=secret_env)
        assert "Traceback" not in run.stderr, run.stderr
        assert not leaks({"stdout": run.stdout, "stderr": run.stderr}, tmp_path), (extra, run)
    assert len(server.requests) == 3


def test_mcp_token_is_a_secret_too(
    llmcli: Callable[..., Run], server: ReplayServer, secret_env: dict[str, str], tmp_path: Path
) -> None:
    server.queue(load_case("anthropic", "stream-text-basic").reply())
    run = llmcli(
        "complete",
        "-m",
        "anthropic/claude-sonnet-4-5",
        "--api-base",
        server.url,
        "--debug",
        "--mcp",
        "https://mcp.example.com/sse",
        "--mcp-token",
        MCP_TOKEN,
        "hi",
        env=secret_env,
    )
    assert run.code == 0, run.stderr
    sent = server.requests[-1].json
    assert sent["mcp_servers"][0]["authorization_token"] == MCP_TOKEN  # it is sent...
    assert not leaks({"stdout": run.stdout, "stderr": run.stderr}, tmp_path)  # ...not shown


def test_chat_session_in_a_terminal(
    server: ReplayServer, secret_env: dict[str, str], tmp_path: Path
) -> None:
    pexpect = pytest.importorskip("pexpect")
    server.queue(openai_stream("Hi from chat."), unauthorized())
    output = io.StringIO()
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "llmcli",
            "chat",
            "-m",
            "openai/gpt-4o-mini",
            "--api-base",
            server.url,
            "--api-key",
            KEY,
            "--debug",
        ],
        env={**secret_env, "PROMPT_TOOLKIT_NO_CPR": "1"},
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
        cwd=str(tmp_path),
    )
    child.logfile_read = output
    # prompt-toolkit draws "> " as ">" plus a cursor move (unlike the "debug: > " lines)
    prompt = ">(?=[\x08\x1b])"
    child.expect("/help for commands")
    child.expect(prompt)
    child.sendline("Say hello")
    child.expect("Hi from chat.")
    child.expect(prompt)
    child.sendline("Again")
    child.expect(re.escape("401"))
    child.expect(prompt)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert not leaks({"terminal": output.getvalue()}, tmp_path)


def test_redacting_a_stored_request_copies_no_string_without_a_secret():
    """The stored request body is redacted leaf by leaf: a large prompt with nothing to
    redact is kept as the same object (no dump-and-parse copies), a secret anywhere goes."""
    from llmcli.redact import REDACTED, redact_value

    prompt = "p" * 1_000_000
    body = {"messages": [{"content": prompt}], "key sk-abcdef": ["sk-abcdef", 3, None]}
    clean = redact_value(body, ("sk-abcdef",))
    assert clean["messages"][0]["content"] is prompt
    assert clean == {"messages": [{"content": prompt}], f"key {REDACTED}": [REDACTED, 3, None]}
