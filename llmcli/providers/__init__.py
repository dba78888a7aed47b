"""Provider routing by model prefix (as LiteLLM users know it) and connection settings.

Only the chosen provider's module is imported, when it is needed.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType

from llmcli.errors import UsageError
from llmcli.transport import Connection


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    module: str
    key_envs: tuple[str, ...] = ()
    base_envs: tuple[str, ...] = ()
    default_base: str = ""
    # Environment variables whose values become request headers.
    env_headers: tuple[tuple[str, str], ...] = field(default=())
    needs_key: bool = True


PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            "openai",
            "openai",
            key_envs=("OPENAI_API_KEY",),
            base_envs=("OPENAI_BASE_URL", "OPENAI_API_BASE"),
            default_base="https://api.openai.com/v1",
        ),
        ProviderSpec(
            "anthropic",
            "anthropic",
            key_envs=("ANTHROPIC_API_KEY",),
            base_envs=("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"),
            default_base="https://api.anthropic.com",
        ),
        ProviderSpec(
            "deepseek",
            "deepseek",
            key_envs=("DEEPSEEK_API_KEY",),
            base_envs=("DEEPSEEK_API_BASE",),
            default_base="https://api.deepseek.com",
        ),
        ProviderSpec(
            "openrouter",
            "openrouter",
            key_envs=("OPENROUTER_API_KEY",),
            base_envs=("OPENROUTER_API_BASE",),
            default_base="https://openrouter.ai/api/v1",
            env_headers=(("OR_SITE_URL", "HTTP-Referer"), ("OR_APP_NAME", "X-Title")),
        ),
        ProviderSpec(
            "ollama",
            "ollama",
            base_envs=("OLLAMA_API_BASE", "OLLAMA_HOST"),
            default_base="http://localhost:11434",
            needs_key=False,
        ),
        ProviderSpec(
            "ollama_chat",
            "ollama",
            base_envs=("OLLAMA_API_BASE", "OLLAMA_HOST"),
            default_base="http://localhost:11434",
            needs_key=False,
        ),
        # llama.cpp run by llmcli (llmcli.local): no default base, the runner starts a
        # server and fills it in, unless --api-base or the config names one.
        ProviderSpec("local", "local", needs_key=False),
    )
}

# Bare model names that imply a provider, as LiteLLM resolves them.
_BARE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("claude-", "anthropic"),
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-", "openai"),
    ("dall-e-", "openai"),
    ("deepseek-", "deepseek"),
)


def known_prefixes() -> str:
    return ", ".join(f"{name}/" for name in PROVIDERS)


def route(model: str, api_base: str | None = None) -> tuple[ProviderSpec, str]:
    """`"anthropic/claude-x"` → (anthropic spec, `"claude-x"`).

    With `--api-base`, an unknown name is sent as-is to an OpenAI-compatible server.
    """
    model = model.strip()
    if not model:
        raise UsageError("no model given: pass -m PROVIDER/MODEL or set LLMCLI_MODEL")
    prefix, slash, rest = model.partition("/")
    if slash and prefix in PROVIDERS:
        if not rest:
            raise UsageError(f"model name missing after '{prefix}/': try -m {prefix}/MODEL")
        return PROVIDERS[prefix], rest
    for start, name in _BARE_PREFIXES:
        if not slash and model.startswith(start):
            return PROVIDERS[name], model
    if api_base:
        return PROVIDERS["openai"], model
    raise UsageError(
        f"unknown provider for model '{model}': use one of the prefixes {known_prefixes()}"
        " (or --api-base URL for any OpenAI-compatible server)"
    )


def load(spec: ProviderSpec) -> ModuleType:
    return importlib.import_module(f"llmcli.providers.{spec.module}")


def connect(
    spec: ProviderSpec,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    config_base: str | None = None,
    headers: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    stored_keys: Mapping[str, str] | None = None,
) -> Connection:
    """Resolve base URL, key and headers.

    Base: flag > environment > config file (`config_base`) > default.
    Key: flag > environment > keys file (`stored_keys`, else read from disk when needed).
    """
    env = os.environ if env is None else env
    base = api_base or _first(env, spec.base_envs) or config_base or spec.default_base
    key = api_key or _first(env, spec.key_envs) or _stored_key(spec, stored_keys)
    # A custom base (a local OpenAI-compatible server) may need no key at all.
    if spec.needs_key and not key and not api_base:
        raise UsageError(f"no API key for {spec.name}: set {spec.key_envs[0]} or pass --api-key")
    extra = {header: env[var] for var, header in spec.env_headers if env.get(var)}
    extra.update(headers or {})
    return Connection(base_url=base.rstrip("/"), api_key=key, headers=extra)


def _stored_key(spec: ProviderSpec, stored_keys: Mapping[str, str] | None) -> str | None:
    from llmcli.keys import key_name, stored_key

    if stored_keys is not None:
        return stored_keys.get(key_name(spec.name)) or None
    return stored_key(spec.name)


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None
