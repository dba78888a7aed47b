"""The keys file: API keys stored by `llmcli keys set`, private to the user.

`keys.toml` next to `config.toml` (see `llmcli.config.home`), one `provider = "key"` line
each, mode 0600. A file that other users could read is refused, never read.
Precedence when a request is sent: `--api-key` > environment variable > this file.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from llmcli.config import home, parse_toml
from llmcli.errors import LlmcliError, UsageError
from llmcli.tomlfile import dumps, write_atomic

KEYS_FILE = "keys.toml"
_HEADER = "# API keys stored by `llmcli keys set`. Keep this file private (chmod 600).\n"
# Providers that share one account, and so one stored key.
_SHARED = {"ollama_chat": "ollama"}


def keys_path() -> Path:
    return home() / KEYS_FILE


# Providers that never take a key (llama.cpp run by llmcli itself).
KEYLESS = frozenset({"local"})


def key_name(provider: str) -> str:
    """The name a provider's key is stored under (`ollama_chat` shares `ollama`'s)."""
    return _SHARED.get(provider, provider)


def check_provider(name: str) -> str:
    """A known provider name → the name its key is stored under; else exit 2 listing them."""
    from llmcli.providers import PROVIDERS

    names = [n for n in PROVIDERS if n not in KEYLESS]
    if name not in names:
        raise UsageError(f"unknown provider '{name}': use one of {', '.join(names)}")
    return key_name(name)


def read_keys(path: Path | None = None) -> dict[str, str]:
    """The stored keys ({} when there is no file). Refuses a file open to other users."""
    path = path or keys_path()
    try:
        with path.open("rb") as handle:
            _check_private(path, os.fstat(handle.fileno()).st_mode)
            raw = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    data = parse_toml(text, path)
    for name, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{path}: {name}: must be a non-empty string")
    return {name: value.strip() for name, value in data.items()}


def _check_private(path: Path, mode: int) -> None:
    if os.name == "nt":  # ACLs, not mode bits; the user profile is private by default
        return
    if mode & 0o077:
        quoted = shlex.quote(str(path))
        raise UsageError(
            f"refusing to read {path}: other users can access it (mode {mode & 0o777:04o}); "
            f"run: chmod 600 {quoted}"
        )


def stored_key(provider: str) -> str | None:
    """The key stored for a provider, if any (reads the file only when it exists)."""
    return read_keys().get(key_name(provider))


def save_key(provider: str, key: str) -> Path:
    path = keys_path()
    keys = read_keys(path)
    keys[key_name(provider)] = key
    write_atomic(path, _HEADER + dumps(keys))
    return path


def remove_key(provider: str) -> Path:
    path = keys_path()
    keys = read_keys(path)
    name = key_name(provider)
    if name not in keys:
        raise LlmcliError(f"no {name} key stored in {path}")
    del keys[name]
    write_atomic(path, _HEADER + dumps(keys))
    return path


def check_key(key: str) -> str:
    """A key as typed or piped: one line, no spaces (it becomes an HTTP header)."""
    key = key.strip()
    if not key:
        raise UsageError(
            "no key given: type it at the prompt, or pipe it in, "
            "e.g. printenv OPENAI_API_KEY | llmcli keys set openai"
        )
    from llmcli.headers import value_problem

    # It becomes an HTTP header value: no line breaks, no spaces, plain ASCII only.
    problem = value_problem(key, spaces=False)
    if problem:
        # The key itself is never echoed.
        raise UsageError(f"the key contains {problem}: give one key on one line, as issued")
    return key


def mask(key: str) -> str:
    """`sk-…1234`: enough to tell keys apart, never enough to use one."""
    if len(key) >= 12:
        return f"{key[:3]}…{key[-4:]}"
    return "***"


@dataclass(frozen=True)
class KeyInfo:
    provider: str
    key: str | None
    source: str  # "environment (VAR)", "keys file" or "not set"
    shadowed: bool = False  # a stored key the environment overrides


def list_keys(env: Mapping[str, str] | None = None) -> list[KeyInfo]:
    """Which providers have a key and where it comes from (as `connect` resolves it)."""
    from llmcli.providers import PROVIDERS

    env = os.environ if env is None else env
    stored = read_keys()
    rows: list[KeyInfo] = []
    for spec in PROVIDERS.values():
        if spec.name in KEYLESS:
            continue
        name = key_name(spec.name)
        if name != spec.name:
            continue
        var = next((v for v in spec.key_envs if env.get(v, "").strip()), None)
        if var:
            key = env[var].strip()
            rows.append(KeyInfo(name, key, f"environment ({var})", shadowed=name in stored))
        elif name in stored:
            rows.append(KeyInfo(name, stored[name], "keys file"))
        else:
            rows.append(KeyInfo(name, None, "not set" if spec.needs_key else "not needed"))
    return rows
