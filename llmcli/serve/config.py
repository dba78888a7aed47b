"""The server's config: LiteLLM's proxy `config.yaml` as it is, or the same in TOML.

Read (LiteLLM docs, proxy/configs.md and proxy/config_settings.md): `model_list[]`
(`model_name`, `litellm_params.{model, api_base, api_key, rpm}`, `model_info.id`),
`router_settings.{routing_strategy, num_retries, cooldown_time, allowed_fails, fallbacks,
timeout}`, `litellm_settings.{num_retries, fallbacks, request_timeout}` (router_settings
wins where both say it), `general_settings.master_key` and llmcli's own
`general_settings.allow_origins`. `os.environ/NAME` in any string value reads the
server's environment. Every other key is listed once, as ignored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmcli.errors import UsageError

ENV_PREFIX = "os.environ/"
STRATEGIES = ("simple-shuffle", "least-busy")
# LiteLLM's default cooldown after a failure (router_settings.cooldown_time).
DEFAULT_COOLDOWN = 5.0

_USED_PARAMS = {"model", "api_base", "api_key", "rpm", "tpm", "timeout"}
_ROUTER_KEYS = {
    "routing_strategy",
    "num_retries",
    "cooldown_time",
    "allowed_fails",
    "fallbacks",
    "timeout",
}
_LITELLM_KEYS = {"num_retries", "fallbacks", "request_timeout"}
# `allow_origins` is llmcli's own (LiteLLM has no such key): the config twin of
# --allow-origin (see llmcli.serve.guard).
_GENERAL_KEYS = {"master_key", "allow_origins"}


@dataclass
class DeploymentConfig:
    model_name: str  # what clients send as "model"
    model: str  # PROVIDER/MODEL
    api_base: str | None = None
    api_key: str | None = None
    weight: float = 1.0  # rpm, when given: simple-shuffle weights by it
    id: str = ""


@dataclass
class ServeConfig:
    deployments: list[DeploymentConfig] = field(default_factory=list)
    strategy: str = "simple-shuffle"
    num_retries: int = 0
    cooldown: float = DEFAULT_COOLDOWN
    # Failures a deployment may have within a minute before it is cooled down
    # (router_settings.allowed_fails: "cooldown model if it fails > allowed_fails calls in
    # a minute", LiteLLM's proxy config). Unset: cooled at its first failure.
    allowed_fails: int = 0
    timeout: float | None = None
    fallbacks: dict[str, list[str]] = field(default_factory=dict)
    master_key: str | None = None
    allow_origins: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # dotted keys, warned about once


def load(path: Path, env: Mapping[str, str] | None = None) -> ServeConfig:
    """Read `path` (.yaml/.yml or .toml); a bad file is one UsageError naming the key."""
    env = os.environ if env is None else env
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read --config {path}: {err.strerror or err}") from None
    raw = _parse(path, text)
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: the config must be a mapping with a model_list")
    return _read(_environ(raw, env), path)


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".toml":
        from llmcli.config import parse_toml

        return parse_toml(text, path)
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise UsageError(f"{path} is not valid YAML{where}") from None


def _environ(value: Any, env: Mapping[str, str]) -> Any:
    """`os.environ/NAME` → the variable's value (LiteLLM reads it for any value)."""
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        if name not in env:
            raise UsageError(f"the config reads {name} from the environment, which is not set")
        return env[name]
    if isinstance(value, dict):
        return {k: _environ(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_environ(v, env) for v in value]
    return value


def _read(raw: dict[str, Any], path: Path) -> ServeConfig:
    config = ServeConfig()
    ignored = config.ignored
    for key in raw:
        if key not in ("model_list", "router_settings", "litellm_settings", "general_settings"):
            ignored.append(key)
    entries = raw.get("model_list") or []
    if not isinstance(entries, list):
        raise UsageError(f"{path}: model_list must be a list")
    for i, entry in enumerate(entries):
        config.deployments.append(_deployment(entry, i, path, ignored))
    litellm = _section(raw, "litellm_settings", _LITELLM_KEYS, ignored)
    router = _section(raw, "router_settings", _ROUTER_KEYS, ignored)
    general = _section(raw, "general_settings", _GENERAL_KEYS, ignored)
    merged = {**litellm, **router}  # router_settings wins (LiteLLM, config_settings.md)
    config.num_retries = _int(merged.get("num_retries", 0), "num_retries", path)
    config.cooldown = float(router.get("cooldown_time", DEFAULT_COOLDOWN))
    config.allowed_fails = _int(router.get("allowed_fails", 0), "allowed_fails", path)
    timeout = router.get("timeout", litellm.get("request_timeout"))
    config.timeout = float(timeout) if timeout is not None else None
    config.fallbacks = _fallbacks(merged.get("fallbacks") or [], path)
    strategy = str(router.get("routing_strategy", "simple-shuffle"))
    if strategy not in STRATEGIES:
        ignored.append(f"router_settings.routing_strategy={strategy} (simple-shuffle used)")
        strategy = "simple-shuffle"
    config.strategy = strategy
    master = general.get("master_key")
    config.master_key = str(master) if master else None
    origins = general.get("allow_origins") or []
    config.allow_origins = [origins] if isinstance(origins, str) else [str(o) for o in origins]
    return config


def _deployment(entry: Any, i: int, path: Path, ignored: list[str]) -> DeploymentConfig:
    where = f"{path}: model_list[{i}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("model_name"), str):
        raise UsageError(f"{where} needs a model_name")
    params = entry.get("litellm_params") or {}
    if not isinstance(params, dict) or not isinstance(params.get("model"), str):
        raise UsageError(f"{where}.litellm_params needs a model (PROVIDER/MODEL)")
    for key in params:
        if key not in _USED_PARAMS:
            _once(ignored, f"litellm_params.{key}")
    for key in entry:
        if key not in ("model_name", "litellm_params", "model_info"):
            _once(ignored, f"model_list[].{key}")
    info = entry.get("model_info") or {}
    rpm = params.get("rpm")
    return DeploymentConfig(
        model_name=entry["model_name"],
        model=params["model"],
        api_base=_str_or_none(params.get("api_base")),
        api_key=_str_or_none(params.get("api_key")),
        weight=float(rpm) if isinstance(rpm, (int, float)) and rpm > 0 else 1.0,
        id=str(info.get("id") or f"{entry['model_name']}#{i}"),
    )


def _section(raw: dict[str, Any], name: str, used: set[str], ignored: list[str]) -> dict[str, Any]:
    section = raw.get(name) or {}
    if not isinstance(section, dict):
        raise UsageError(f"{name} must be a mapping")
    ignored.extend(f"{name}.{key}" for key in section if key not in used)
    return {k: v for k, v in section.items() if k in used}


def _fallbacks(value: Any, path: Path) -> dict[str, list[str]]:
    """`[{"gpt-4o": ["claude"]}]` → {"gpt-4o": ["claude"]}."""
    out: dict[str, list[str]] = {}
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise UsageError(f"{path}: fallbacks must be a list of {{name: [names]}}")
        for name, targets in item.items():
            names = [targets] if isinstance(targets, str) else list(targets or [])
            out.setdefault(str(name), []).extend(str(t) for t in names)
    return out


def _int(value: Any, name: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{path}: {name} must be a whole number ≥ 0")
    return value


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _once(ignored: list[str], key: str) -> None:
    if key not in ignored:
        ignored.append(key)
