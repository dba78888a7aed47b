"""`llmcli keys` and the keys file, run as a user runs them; requests checked on the wire."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmcli.connection import resolve_connection
from llmcli.keys import check_key, mask
from llmcli.providers import PROVIDERS
from tests.conftest import FAKE_KEYS
from tests.samples import openai_reply

FILE_KEY = "sk-file-SECRET-abcdef-5555"
POSIX = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
NO_OPENAI_ENV = {"OPENAI_API_KEY": ""}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "llmcli-home"


@pytest.fixture
def run(llmcli, home: Path):  # type: ignore[no-untyped-def]
    """`llmcli` with LLMCLI_HOME set to a fresh directory."""

    def call(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return llmcli(*args, input=input, env={"LLMCLI_HOME": str(home), **(env or {})})

    return call


def no_secret(*runs, secrets=(FILE_KEY, *FAKE_KEYS.values())) -> None:  # type: ignore[no-untyped-def]
    for r in runs:
        for secret in secrets:
            assert secret not in r.stdout and secret not in r.stderr


def store(run, provider: str = "openai", key: str = FILE_KEY) -> None:  # type: ignore[no-untyped-def]
    done = run("keys", "set", provider, input=key + "\n")
    assert done.code == 0, done.stderr
    no_secret(done)


# ---- set, then used ------------------------------------------------------------------


def test_key_set_from_stdin_is_used_by_complete(run, server, home):
    store(run)
    server.queue(openai_reply())
    done = run("complete", "-m", "openai/gpt-4o-mini", "hi", env=_base(server, NO_OPENAI_ENV))
    assert done.code == 0, done.stderr
    assert server.requests[-1].headers["authorization"] == f"Bearer {FILE_KEY}"
    no_secret(done)
    # The key is stored in the keys file and nowhere else under the llmcli home.
    holders = [
        p.name for p in home.rglob("*") if p.is_file() and FILE_KEY.encode() in p.read_bytes()
    ]
    assert holders == ["keys.toml"]


def test_without_any_key_the_error_is_unchanged(run):
    done = run("complete", "-m", "openai/gpt-4o-mini", "hi", env=NO_OPENAI_ENV)
    assert done.code == 2
    assert done.stderr == "llmcli: no API key for openai: set OPENAI_API_KEY or pass --api-key\n"


def test_precedence_flag_then_environment_then_file(run, server):
    store(run)
    server.queue(openai_reply())
    env_key, flag_key = FAKE_KEYS["OPENAI_API_KEY"], "sk-flag-SECRET-7777"
    model = ("complete", "-m", "openai/gpt-4o-mini", "hi")
    runs = [
        run(*model, env=_base(server, NO_OPENAI_ENV)),
        run(*model, env=_base(server)),
        run(*model, "--api-key", flag_key, env=_base(server)),
    ]
    assert [r.code for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    used = [r.headers["authorization"] for r in server.requests]
    assert used == [f"Bearer {FILE_KEY}", f"Bearer {env_key}", f"Bearer {flag_key}"]
    no_secret(*runs, secrets=(FILE_KEY, env_key, flag_key))


def test_ollama_chat_uses_the_key_stored_for_ollama(run, home):
    # ollama.com's hosted API takes a bearer token; both routes share one stored key.
    store(run, "ollama_chat")
    assert (home / "keys.toml").read_text().count("ollama = ") == 1
    spec = PROVIDERS["ollama_chat"]
    conn = resolve_connection(spec, env={}, stored_keys={"ollama": FILE_KEY})
    assert conn.api_key == FILE_KEY


def test_connect_precedence_without_a_subprocess():
    spec = PROVIDERS["anthropic"]
    stored = {"anthropic": "from-file"}
    env = {"ANTHROPIC_API_KEY": "from-env"}
    assert resolve_connection(spec, env={}, stored_keys=stored).api_key == "from-file"
    assert resolve_connection(spec, env=env, stored_keys=stored).api_key == "from-env"
    assert resolve_connection(spec, api_key="flag", env=env, stored_keys=stored).api_key == "flag"


# ---- the file: where, mode, refusal -------------------------------------------------


@POSIX
def test_keys_file_is_created_0600_in_llmcli_home(run, home):
    store(run)
    path = run("keys", "path")
    assert path.code == 0
    assert path.stdout == f"{home / 'keys.toml'}\n"
    assert stat.S_IMODE((home / "keys.toml").stat().st_mode) == 0o600
    assert not [p for p in home.iterdir() if p.name.endswith(".tmp")]


@POSIX
def test_keys_file_stays_0600_under_a_permissive_umask(llmcli, home):
    code = (
        "import os, sys; os.umask(0); sys.argv = ['llmcli', 'keys', 'set', 'openai']; "
        "from llmcli.cli.app import main; main()"
    )
    env = {**os.environ, "LLMCLI_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-c", code], input=FILE_KEY.encode(), env=env, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((home / "keys.toml").stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs honours XDG only on Linux")
def test_default_location_is_the_user_config_dir(llmcli, tmp_path):
    done = llmcli("keys", "path")
    assert done.stdout == f"{tmp_path / 'config' / 'llmcli' / 'keys.toml'}\n"


@POSIX
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_file_others_can_read_is_refused_with_the_chmod_to_run(run, server, home, mode):
    store(run)
    path = home / "keys.toml"
    path.chmod(mode)
    server.queue(openai_reply())
    used = run("complete", "-m", "openai/gpt-4o-mini", "hi", env=_base(server, NO_OPENAI_ENV))
    listed = run("keys", "list")
    for done in (used, listed):
        assert done.code == 2
        assert done.stderr.count("\n") == 1
        assert done.stderr.startswith(f"llmcli: refusing to read {path}")
        assert done.stderr.endswith(f"run: chmod 600 {path}\n")
        no_secret(done)
    assert server.requests == []
    path.chmod(0o600)
    assert run("keys", "list").code == 0


@POSIX
def test_an_environment_key_needs_no_keys_file_even_a_bad_one(run, server, home):
    store(run)
    (home / "keys.toml").chmod(0o644)
    server.queue(openai_reply())
    done = run("complete", "-m", "openai/gpt-4o-mini", "hi", env=_base(server))
    assert done.code == 0, done.stderr
    assert server.requests[-1].headers["authorization"] == f"Bearer {FAKE_KEYS['OPENAI_API_KEY']}"


def test_a_broken_keys_file_is_one_line_and_does_not_echo_its_content(run, home):
    home.mkdir(parents=True)
    path = home / "keys.toml"
    path.write_text(f'openai = "{FILE_KEY}\n')  # unterminated string
    path.chmod(0o600)
    done = run("keys", "list")
    assert done.code == 2
    assert done.stderr.startswith(f"llmcli: {path}: invalid TOML:")
    assert done.stderr.count("\n") == 1
    no_secret(done)


# ---- list, rm, errors ---------------------------------------------------------------


def test_list_shows_masked_keys_and_where_they_come_from(run):
    store(run)
    done = run("keys", "list", env=NO_OPENAI_ENV)
    assert done.code == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert set(rows) == {
        "openai",
        "anthropic",
        "azure",
        "azure_ai",
        "deepseek",
        "openrouter",
        "ollama",
    }
    assert rows["openai"].split()[1:] == ["sk-…5555", "keys", "file"]
    assert rows["anthropic"].split()[1:] == ["sk-…2222", "environment", "(ANTHROPIC_API_KEY)"]
    no_secret(done)
    # An environment key overrides the stored one, and the listing says so.
    both = run("keys", "list")
    line = next(x for x in both.stdout.splitlines() if x.startswith("openai"))
    assert "sk-…1111" in line and "(OPENAI_API_KEY)" in line and "overridden" in line
    no_secret(both)


def test_list_without_any_key(run):
    env = {name: "" for name in FAKE_KEYS}
    done = run("keys", "list", env=env)
    assert done.code == 0
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()}
    assert rows["openai"] == ["-", "not", "set"]
    assert rows["ollama"] == ["-", "not", "needed"]


def test_rm_removes_the_key(run, home):
    store(run)
    store(run, "anthropic", "sk-ant-file-SECRET-0000")
    done = run("keys", "rm", "openai")
    assert done.code == 0, done.stderr
    text = (home / "keys.toml").read_text()
    assert FILE_KEY not in text and "sk-ant-file-SECRET-0000" in text
    listed = run("keys", "list", env=NO_OPENAI_ENV)
    assert next(x for x in listed.stdout.splitlines() if x.startswith("openai")).endswith("not set")
    again = run("keys", "rm", "openai")
    assert again.code == 1
    assert again.stderr == f"llmcli: no openai key stored in {home / 'keys.toml'}\n"


@pytest.mark.parametrize("command", ["set", "rm"])
def test_unknown_provider_exits_2_listing_the_providers(run, command):
    done = run("keys", command, "opnai", input=FILE_KEY)
    assert done.code == 2
    assert done.stderr == (
        "llmcli: unknown provider 'opnai': use one of "
        "openai, anthropic, azure, azure_ai, deepseek, openrouter, ollama, ollama_chat\n"
    )
    no_secret(done)


@pytest.mark.parametrize("given", ["", "\n", "   \n"])
def test_empty_stdin_is_refused(run, home, given):
    done = run("keys", "set", "openai", input=given)
    assert done.code == 2
    assert done.stderr.startswith("llmcli: no key given")
    assert not (home / "keys.toml").exists()


def test_a_key_with_spaces_or_two_lines_is_refused_without_echoing_it(run, home):
    for given in (f"{FILE_KEY} extra", f"{FILE_KEY}\nsecond-line"):
        done = run("keys", "set", "openai", input=given)
        assert done.code == 2
        assert "one key on one line" in done.stderr
        no_secret(done, secrets=(FILE_KEY, "second-line", "extra"))
    assert not (home / "keys.toml").exists()


def test_set_replaces_a_key_and_keeps_the_others(run, home):
    store(run, "deepseek", "sk-deepseek-old-SECRET-1")
    store(run, "openai")
    store(run, "deepseek", "sk-deepseek-new-SECRET-2")
    text = (home / "keys.toml").read_text()
    assert "sk-deepseek-old-SECRET-1" not in text
    assert "sk-deepseek-new-SECRET-2" in text and FILE_KEY in text


@pytest.mark.skipif(sys.platform != "linux", reason="needs a Linux pseudo-terminal")
def test_on_a_terminal_the_key_is_asked_for_with_echo_off(home):
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()

    def take_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {**os.environ, "LLMCLI_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmcli", "keys", "set", "openai"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=take_terminal,
    )
    os.close(slave)
    seen = _read_until(master, b"(input hidden): ")
    os.write(master, FILE_KEY.encode() + b"\n")
    out, err = proc.communicate(timeout=30)
    seen += _drain(master)
    os.close(master)
    assert proc.returncode == 0, err
    assert b"API key for openai" in seen
    assert FILE_KEY.encode() not in seen + out + err
    assert FILE_KEY in (home / "keys.toml").read_text()


# ---- helpers as units ---------------------------------------------------------------


def test_mask_shows_only_the_ends_of_long_keys():
    assert mask("sk-abcdefghijkl1234") == "sk-…1234"
    assert mask("short-key") == "***"


def test_check_key_strips_the_line_end_only():
    assert check_key("  sk-abc\n") == "sk-abc"
    with pytest.raises(Exception, match="one key on one line"):
        check_key("sk-a\tb")


def _base(server, extra: dict[str, str] | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"OPENAI_BASE_URL": server.url, **(extra or {})}


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _drain(fd: int) -> bytes:
    import select

    data = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data
