"""Where and as whom to call a provider: the key and base URL, resolved at the edge.

Base: `--api-base` > environment > config file (`config_base`) > the registry's default.
Key: `--api-key` > environment > keys file. The key goes into the headers the registry
entry names, so encoders never decide how a key is sent. Providers stay pure: this module
reads the environment and the keys file for them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from llmcli.errors import UsageError
from llmcli.providers import ProviderSpec
from llmcli.transport import Connection


def resolve_connection(
    spec: ProviderSpec,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    config_base: str | None = None,
    headers: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    stored_keys: Mapping[str, str] | None = None,
) -> Connection:
    """The `Connection` for `spec`: base URL, key, and the headers that carry it.

    `stored_keys` stands in for the keys file (read from disk only when needed).
    """
    env = os.environ if env is None else env
    base = api_base or _env_base(env, spec) or config_base or spec.default_base
    if not base and spec.base_envs:
        raise UsageError(
            f"no base URL for {spec.name}: {_set_or_pass(spec.base_envs, '--api-base')}"
        )
    key = api_key or _first(env, spec.key_envs) or _stored_key(spec, stored_keys)
    # A custom base (a local OpenAI-compatible server) may need no key at all.
    if spec.needs_key and not key and not api_base:
        raise UsageError(f"no API key for {spec.name}: {_set_or_pass(spec.key_envs, '--api-key')}")
    sent = _key_headers(spec, key) if key else {}
    sent.update({header: env[var] for var, header in spec.env_headers if env.get(var)})
    sent.update(headers or {})
    return Connection(
        base_url=base.rstrip("/"),
        api_key=key,
        headers=sent,
        connect_hint=spec.connect_hint,
        append_path=not any(env.get(var, "").strip() == "1" for var in spec.exact_url_envs),
    )


def _env_base(env: Mapping[str, str], spec: ProviderSpec) -> str | None:
    templates = dict(spec.base_templates)
    for name in spec.base_envs:
        value = env.get(name, "").strip()
        if value:
            return templates.get(name, "{}").format(value)
    return None


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


def _key_headers(spec: ProviderSpec, key: str) -> dict[str, str]:
    return {name: f"Bearer {key}" if name == "authorization" else key for name in spec.key_headers}


def _set_or_pass(names: tuple[str, ...], flag: str) -> str:
    """`set A or pass --flag`; `set A, B or C, or pass --flag`."""
    if len(names) == 1:
        return f"set {names[0]} or pass {flag}"
    return f"set {', '.join(names[:-1])} or {names[-1]}, or pass {flag}"
