"""Which MCP servers a run uses: `[mcp.servers.NAME]` in the config, chosen or declared
with `--mcp-server NAME` / `--mcp-server 'NAME=COMMAND ARGS'`."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.config import Config, McpServerSettings

# A server's name starts every tool name offered (NAME__TOOL): the characters every
# provider takes in a tool name (see names.py), and no `__`, which separates the tool.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*$")
INSTALL_HINT = "MCP servers need the mcp package: pip install 'llmcli[mcp]' (or pip install mcp)"


@dataclass
class ServerSpec:
    """One server as llmcli starts (stdio) or reaches (HTTP) it."""

    name: str
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    configured: bool = True  # declared in the config: "always" answers can be saved there
    enabled: bool = True

    @property
    def where(self) -> str:
        return self.url or shlex.join(self.command)


def check_name(name: str, source: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"{source}: invalid MCP server name {name!r}: use letters, digits, - and single _"
        )
    return name


def from_settings(name: str, settings: McpServerSettings) -> ServerSpec:
    source = f"[mcp.servers.{name}]"
    check_name(name, source)
    if bool(settings.command) == bool(settings.url):
        raise UsageError(f'{source}: give either command = [...] (stdio) or url = "..." (HTTP)')
    return ServerSpec(
        name=name,
        command=list(settings.command or []),
        env=dict(settings.env),
        cwd=settings.cwd,
        url=settings.url,
        headers=dict(settings.headers),
        allow=list(settings.allow),
        deny=list(settings.deny),
        enabled=settings.enabled,
    )


def configured(config: Config) -> list[ServerSpec]:
    return [from_settings(name, s) for name, s in config.mcp.servers.items()]


def select(items: list[str], config: Config) -> list[ServerSpec]:
    """`--mcp-server` values: a configured NAME, or NAME=COMMAND ARGS declared here."""
    known = {spec.name: spec for spec in configured(config)}
    chosen: dict[str, ServerSpec] = {}
    for item in items:
        name, sep, command = item.partition("=")
        name = name.strip()
        if sep:
            check_name(name, "--mcp-server")
            argv = shlex.split(command)
            if not argv:
                raise UsageError(f"--mcp-server {item!r}: give a command after =")
            base = known.get(name)
            spec = ServerSpec(name=name, command=argv, configured=base is not None)
            if base is not None:  # the config's allow/deny still hold for its name
                spec.allow, spec.deny = base.allow, base.deny
        elif name in known:
            spec = known[name]
        else:
            listed = ", ".join(known) or "none are configured"
            raise UsageError(
                f"--mcp-server {name}: no [mcp.servers.{name}] in the config ({listed}); "
                f"declare one here with --mcp-server '{name}=COMMAND ARGS'"
            )
        chosen[spec.name] = spec
    if chosen:
        require_sdk()
    for spec in chosen.values():  # an unset variable: said before anything starts
        resolve_headers(spec)
        resolve_env(spec)
    return list(chosen.values())


def require_sdk() -> None:
    """Exit 2 saying what to install, before anything is started or sent."""
    if importlib.util.find_spec("mcp") is None:
        raise UsageError(INSTALL_HINT)


def resolve_headers(spec: ServerSpec) -> dict[str, str]:
    """Header values `env:NAME` read $NAME (a token kept out of the config file)."""
    return _read_environment(spec, spec.headers, "header")


def resolve_env(spec: ServerSpec) -> dict[str, str]:
    """The variables a stdio server gets on top of the SDK's short safe list (PATH, HOME,
    USER...: llmcli's own keys are not passed on); `env:NAME` reads $NAME."""
    return _read_environment(spec, spec.env, "env")


def _read_environment(spec: ServerSpec, table: dict[str, str], what: str) -> dict[str, str]:
    resolved: dict[str, str] = {}
    for key, value in table.items():
        if value.startswith("env:"):
            var = value[4:]
            if var not in os.environ:
                raise UsageError(f"[mcp.servers.{spec.name}] {what} {key}: ${var} is not set")
            value = os.environ[var]
        resolved[key] = value
    return resolved


def log_path(name: str) -> Path:
    """Where a stdio server's stderr goes: `llmcli mcp logs NAME` shows it."""
    import platformdirs

    home = os.environ.get("LLMCLI_HOME", "").strip()
    base = Path(home).expanduser() / "state" if home else platformdirs.user_state_path("llmcli")
    return base / "mcp" / f"{name}.log"
