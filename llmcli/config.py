"""Where llmcli keeps its files, and the config file `config.toml`.

The directory is `$LLMCLI_HOME` when set, else the platform's user config directory
(`platformdirs.user_config_path("llmcli")`, e.g. `~/.config/llmcli` on Linux). It holds
`config.toml` and `keys.toml`.

TOML is read with `tomllib` (`tomli` on Python 3.10) and written by `dumps` below: a
small writer for the shapes llmcli stores (tables of scalars, arrays and sub-tables).
Imported only by the commands that need it, so `llmcli --help` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llmcli.errors import LlmcliError, UsageError

CONFIG_FILE = "config.toml"


def home() -> Path:
    """The directory holding config.toml and keys.toml."""
    env = os.environ.get("LLMCLI_HOME", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_config_path("llmcli")


def config_path() -> Path:
    return home() / CONFIG_FILE


# ---- the schema ---------------------------------------------------------------------


class _Strict(BaseModel):
    # strict: `log = "yes"` is an error, not quietly True. The validator is built on first
    # use: a run with no config file never needs it (about 1 MiB of a one-shot run).
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class ProviderSettings(_Strict):
    """`[providers.NAME]`: used when no flag or environment variable says otherwise."""

    api_base: str | None = Field(default=None, min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _json_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ValueError("must hold only JSON values (no dates, nan or inf)") from None
        return value


class McpServerSettings(_Strict):
    """`[mcp.servers.NAME]`: a local server (`command`, run by llmcli over stdio) or a
    remote one (`url`, streamable HTTP); llmcli/mcp/servers.py checks that one is given."""

    command: list[str] | None = Field(default=None, min_length=1)
    env: dict[str, str] = Field(default_factory=dict)  # a value `env:NAME` reads $NAME
    cwd: str | None = None
    url: str | None = Field(default=None, min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)  # a value `env:NAME` reads $NAME
    enabled: bool = True
    allow: list[str] = Field(default_factory=list)  # the server's tool names run unasked
    deny: list[str] = Field(default_factory=list)  # never offered to the model


class McpSettings(_Strict):
    servers: dict[str, McpServerSettings] = Field(default_factory=dict)


class Budget(_Strict):
    daily_usd: float | None = Field(default=None, ge=0)  # checked before each request


class Config(_Strict):
    model: str | None = Field(default=None, min_length=1)
    aliases: dict[str, str] = Field(default_factory=dict)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    log: bool = True
    color: Literal["auto", "always", "never"] = "auto"
    show_reasoning: bool = True
    # model_construct: the defaults need no checking, and building these models' validators
    # for a run with no config file would cost what defer_build above saves.
    mcp: McpSettings = Field(default_factory=McpSettings.model_construct)
    budget: Budget = Field(default_factory=Budget.model_construct)


_TEMPLATE = """\
# llmcli configuration. Every setting is optional; flags and environment variables win.
#
# model = "anthropic/claude-sonnet-4-5"   # default for -m
# log = true                               # store conversations
# color = "auto"                           # "auto", "always" or "never"
# show_reasoning = true                    # false acts like --hide-reasoning
#
# [budget]
# daily_usd = 5.0                          # refuse requests past $5 a day (--force overrides)
#
# [aliases]
# fast = "openai/gpt-4o-mini"              # llmcli complete -m fast ...
#
# [providers.openai]
# api_base = "http://localhost:8000/v1"
# options = { seed = 42 }                  # merged into the request body, under -o
"""


# ---- reading ------------------------------------------------------------------------


def load_config(path: Path | None = None) -> Config:
    """The validated config; defaults when the file does not exist."""
    path = path or config_path()
    return validate(read_toml(path), path)


@functools.cache
def settings() -> Config:
    """The config of this process, read once."""
    return load_config()


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict ({} when missing); bad TOML → one line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None
    return parse_toml(text, path)


def _tomllib() -> ModuleType:
    """The TOML reader, imported when there is TOML to read: a run without a config file
    (and the TOML writer, `llmcli.tomlfile`, imported where it writes) never loads it."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    reader: ModuleType = tomllib  # tomli has no type information: Any on Python 3.10
    return reader


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    tomllib = _tomllib()
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # The message names a position, never the text itself (it may be a key file).
        raise UsageError(f"{path}: invalid TOML: {err}") from None
    return data


def validate(data: Mapping[str, Any], path: Path) -> Config:
    if not data:  # no file, or an empty one: the defaults, which need no checking
        return Config.model_construct()
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        raise UsageError(f"{path}: {_problem(err)}") from None
    from llmcli.providers import PROVIDERS
    from llmcli.tomlfile import format_key

    for name in config.providers:
        if name not in PROVIDERS:
            raise UsageError(
                f"{path}: {format_key(['providers', name])}: unknown provider: "
                f"use one of {', '.join(PROVIDERS)}"
            )
    return config


_PROBLEMS = {
    "extra_forbidden": "unknown key",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "dict_type": "must be a table",
    "model_type": "must be a table",
}


def _problem(err: ValidationError) -> str:
    from llmcli.tomlfile import format_key

    first = err.errors()[0]
    key = format_key([str(part) for part in first["loc"]]) or "(top level)"
    problem = _PROBLEMS.get(first["type"]) or _lower_first(first["msg"])
    problem = problem.removeprefix("value error, ")
    return f"{key}: {problem}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# ---- `config set` -------------------------------------------------------------------


def split_key(key: str) -> list[str]:
    """`providers.openai.api_base` (or `aliases."gpt-4.1"`) → its parts, as TOML reads them."""
    bad = UsageError(f"invalid key '{key}': use dotted names like providers.openai.api_base")
    if not key.strip() or any(c in key for c in "\n\r=#[]"):
        raise bad
    tomllib = _tomllib()
    try:
        node: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        raise bad from None
    parts: list[str] = []
    while isinstance(node, dict):
        if len(node) != 1:
            raise bad
        ((name, node),) = node.items()
        parts.append(name)
    return parts


def parse_value(raw: str) -> Any:
    """A TOML value (`true`, `42`, `"text"`, `["a"]`, `{ a = 1 }`), else JSON, else the text."""
    if "\n" not in raw and "\r" not in raw:
        tomllib = _tomllib()
        with contextlib.suppress(tomllib.TOMLDecodeError):
            return tomllib.loads(f"v = {raw}")["v"]
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return raw if value is None else value


def set_value(key: str, raw: str, path: Path | None = None) -> Any:
    """Set a dotted key in the config file (validated before writing); returns the value."""
    from llmcli.tomlfile import dumps, write_atomic

    path = path or config_path()
    parts = split_key(key)
    data = read_toml(path)
    value = parse_value(raw)
    # `model 1.5` or `aliases.x 2024-01-01`: when the parsed value does not fit, the text may.
    candidates = [value] if isinstance(value, str) else [value, raw]
    first_error: UsageError | None = None
    for candidate in candidates:
        updated = _with(data, parts, candidate, key)
        try:
            validate(updated, path)
        except UsageError as err:
            first_error = first_error or err
            continue
        try:
            text = dumps(updated)
        except ValueError as err:
            raise UsageError(f"cannot set '{key}': {err}") from None
        write_atomic(path, text, keep_mode=True)
        return candidate
    assert first_error is not None
    raise first_error


def unset_value(key: str, path: Path | None = None) -> bool:
    """Remove a dotted key (and the tables it leaves empty); False when it was not set."""
    from llmcli.tomlfile import dumps, write_atomic

    path = path or config_path()
    parts = split_key(key)
    data = read_toml(path)
    trail: list[dict[str, Any]] = [data]  # trail[i] is the table at parts[:i]
    for part in parts[:-1]:
        node = trail[-1].get(part)
        if not isinstance(node, dict):
            return False
        trail.append(node)
    if parts[-1] not in trail[-1]:
        return False
    del trail[-1][parts[-1]]
    for i in range(len(trail) - 1, 0, -1):
        if trail[i]:
            break
        del trail[i - 1][parts[i - 1]]
    validate(data, path)
    write_atomic(path, dumps(data), keep_mode=True)
    return True


def _with(data: Mapping[str, Any], parts: list[str], value: Any, key: str) -> dict[str, Any]:
    """A copy of `data` with the value at `parts` replaced."""
    from llmcli.tomlfile import format_key

    root = _deep_copy(data)
    node = root
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError(f"cannot set '{key}': {format_key(parts[: i + 1])} is not a table")
        node = child
    node[parts[-1]] = value
    return root


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def show_data(config: Config) -> dict[str, Any]:
    """What `config show` prints: top-level settings (defaults included), then the tables."""
    data: dict[str, Any] = {
        "model": config.model,
        "log": config.log,
        "color": config.color,
        "show_reasoning": config.show_reasoning,
    }
    data = {k: v for k, v in data.items() if v is not None}
    if config.aliases:
        data["aliases"] = dict(config.aliases)
    providers = {
        name: settings.model_dump(exclude_unset=True) for name, settings in config.providers.items()
    }
    if providers:
        data["providers"] = providers
    if config.mcp.servers:
        data["mcp"] = config.mcp.model_dump(exclude_defaults=True)
    return data


# ---- `config edit` ------------------------------------------------------------------


def edit(path: Path | None = None) -> Path:
    """Open the config in $VISUAL/$EDITOR (creating it first), then validate it."""
    import shlex
    import subprocess

    from llmcli.tomlfile import write_atomic

    path = path or config_path()
    if not path.exists():
        write_atomic(path, _TEMPLATE, keep_mode=True)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    editor = (editor or "").strip() or ("notepad" if os.name == "nt" else "vi")
    command = [*shlex.split(editor, posix=os.name != "nt"), str(path)]
    try:
        status = subprocess.call(command)
    except OSError as err:
        raise UsageError(
            f"cannot run the editor '{command[0]}': {err.strerror or err} (set VISUAL or EDITOR)"
        ) from None
    if status != 0:
        raise LlmcliError(f"the editor exited with status {status}; {path} was left as it is")
    load_config(path)
    return path
