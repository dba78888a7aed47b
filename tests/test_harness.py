"""The in-process harness (tests/harness.py): a run sees what a new process would, and
leaves nothing behind for the next one."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import llmcli
from tests.conftest import Cli
from tests.harness import PROCESS_STATE
from tests.samples import openai_reply
from tests.servers import ReplayServer, Reply

PACKAGE = Path(llmcli.__file__).parent
CACHES = {"cache", "lru_cache"}
MUTABLE_CALLS = {"set", "list", "dict", "defaultdict", "deque", "OrderedDict", "Counter"}


def _complete(server: ReplayServer, *flags: str) -> tuple[str, ...]:
    return ("complete", "--api-base", server.url, "--no-log", "--no-stream", *flags, "hi")


def test_consecutive_runs_see_their_own_environment_and_settings(
    llmcli: Cli, server: ReplayServer, tmp_path: Path
) -> None:
    server.queue(openai_reply(stream=False))
    for model in ("gpt-4o-mini", "gpt-4.1"):
        # The config file is read once per process (a cached `settings`).
        config = tmp_path / model
        (config / "llmcli").mkdir(parents=True)
        (config / "llmcli" / "config.toml").write_text(f'model = "openai/{model}"\n')
        env = {"OPENAI_API_KEY": f"sk-{model}", "XDG_CONFIG_HOME": str(config)}
        done = llmcli(*_complete(server), env=env)
        assert done.code == 0, done.stderr
    sent = [(r.json["model"], r.headers["authorization"]) for r in server.requests]
    assert sent == [("gpt-4o-mini", "Bearer sk-gpt-4o-mini"), ("gpt-4.1", "Bearer sk-gpt-4.1")]
    assert os.environ.get("OPENAI_API_KEY") != "sk-gpt-4.1"


def test_once_per_process_warnings_come_again_in_the_next_run(
    llmcli: Cli, server: ReplayServer
) -> None:
    server.queue(openai_reply(stream=False))
    warning = "openai/gpt-4o-mini has no thinking/reasoning (model catalog)"
    for _ in range(2):
        done = llmcli(*_complete(server, "-m", "openai/gpt-4o-mini", "--thinking"))
        assert done.code == 0, done.stderr
        assert done.stderr.count(warning) == 1


def test_a_run_leaves_the_process_as_it_found_it(llmcli: Cli) -> None:
    streams = (sys.stdin, sys.stdout, sys.stderr)
    environ, argv, main = dict(os.environ), list(sys.argv), sys.modules["__main__"]
    done = llmcli("--version", env={"LLMCLI_EXTRA": "1"})
    assert (done.code, done.stdout) == (0, f"llmcli {llmcli_version()}\n")
    assert (sys.stdin, sys.stdout, sys.stderr) == streams
    assert (dict(os.environ), sys.argv, sys.modules["__main__"]) == (environ, argv, main)


def llmcli_version() -> str:
    return llmcli.__version__


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("--version",), b""),
        (("complete", "--nosuch"), b""),
        (("config", "path"), b""),
        (("config", "set", "nosuch", "1"), b""),
        (("complete", "-m", "nosuch/model"), "caf\u00e9\n".encode()),
        (("--help",), b""),
        (("complete", "--help"), b""),
        (("logs", "show", "--help"), b""),
        (("models", "list"), b""),
        (("keys", "list"), b""),
    ],
)
def test_in_process_and_child_process_agree(
    llmcli: Cli, llmcli_process: Cli, args: tuple[str, ...], stdin: bytes
) -> None:
    """Same exit code, same bytes on stdout and stderr (program name, help width,
    error lines) for usage errors, help and plain commands."""
    assert llmcli(*args, input=stdin) == llmcli_process(*args, input=stdin)


def test_a_streamed_answer_is_the_same_in_both(
    llmcli: Cli, llmcli_process: Cli, server: ReplayServer
) -> None:
    """The whole path (imports of a fresh process included) for one real command."""
    server.queue(openai_reply("Same words, both ways."))
    args = ("complete", "-m", "openai/gpt-4o-mini", "--api-base", server.url, "--usage", "hi")
    here, there = llmcli(*args), llmcli_process(*args)
    assert here == there
    assert here.stdout == "Same words, both ways.\n" and "9 input, 3 output" in here.stderr


def test_a_run_past_its_timeout_is_stopped_and_the_next_one_works(
    llmcli: Cli, server: ReplayServer
) -> None:
    server.queue(Reply(body=b"{}", delay=5.0), openai_reply(stream=False))
    with pytest.raises(subprocess.TimeoutExpired):
        llmcli(*_complete(server, "-m", "openai/gpt-4o-mini", "--retries", "0"), timeout=0.5)
    done = llmcli(*_complete(server, "-m", "openai/gpt-4o-mini"))
    assert (done.code, done.stdout) == (0, "Hello there.\n"), done.stderr


def test_a_child_process_of_the_command_reads_and_writes_the_runs_streams(
    llmcli: Cli, llmcli_process: Cli
) -> None:
    """fds 0-2 are the run's own files: a child process (here the editor of `config
    edit`) inherits them, as it would from a real llmcli process."""
    code = (
        "import os, sys; os.write(1, b'saw ' + sys.stdin.buffer.read().upper());"
        " os.write(2, b'editing ' + os.path.basename(sys.argv[1]).encode() + b'\\n')"
    )
    env = {"VISUAL": f'{sys.executable} -c "{code}"'}
    done = llmcli("config", "edit", input="hello\n", env=env)
    assert (done.code, done.stdout, done.stderr) == (0, "saw HELLO\n", "editing config.toml\n")
    assert llmcli_process("config", "edit", input="hello\n", env=env) == done


# ---- nothing in llmcli keeps state the harness does not know of ---------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_cache(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in CACHES


def _is_mutable(value: ast.expr | None) -> bool:
    if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in MUTABLE_CALLS
    return False


def process_state_in(tree: ast.Module) -> set[str]:
    """Module-level names that live as long as the process and may change: assigned
    with `global`, cached functions, and mutable containers not named as constants."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.update(node.names)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "atexit.register":
            found.add("atexit.register")  # what a process does at exit, a run must do after
        if isinstance(node, ast.FunctionDef) and any(map(_is_cache, node.decorator_list)):
            found.add(node.name)
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        for target in targets:
            name = getattr(target, "id", "")
            constant = name.lstrip("_").isupper() or name.startswith("__")
            if name and not constant and _is_mutable(value):
                found.add(name)
    return found


def test_every_piece_of_process_state_is_known_to_the_harness() -> None:
    found = {
        module: names
        for path in sorted(PACKAGE.rglob("*.py"))
        if (names := process_state_in(ast.parse(path.read_text(encoding="utf-8"))))
        for module in [_module_name(path)]
    }
    unknown = {
        (module, name)
        for module, names in found.items()
        for name in names
        if name not in PROCESS_STATE.get(module, {})
    }
    assert not unknown, "add these to PROCESS_STATE in tests/harness.py, with their resets"
    # A reset of something no longer there is stale; a kept cache may be (another branch's).
    stale = {
        (module, name)
        for module, names in PROCESS_STATE.items()
        for name, reset in names.items()
        if reset is not None and name not in found.get(module, set())
    }
    assert not stale


def test_the_state_finder_sees_each_kind() -> None:
    source = (
        "import functools\n"
        "CONSTANT = {}\n_TABLE: dict = {}\n_seen: set[str] = set()\nitems = []\n"
        "@functools.cache\ndef cached(): ...\n"
        "@lru_cache(maxsize=2)\ndef small(): ...\n"
        "def flip():\n    global flag\n    flag = True\n"
        "atexit.register(flip)\n"
    )
    found = process_state_in(ast.parse(source))
    assert found == {"_seen", "items", "cached", "small", "flag", "atexit.register"}
