"""Where and as whom to call a provider: the key and base URL, resolved at the edge.

Base: `--api-base` > environment > config file (`config_base`) > the registry's default.
Key: `--api-key` > environment > keys file; a model that names no provider (sent to
`--api-base` as-is) gets only `--api-key`. The key goes into the headers the registry
entry names, so encoders never decide how a key is sent. Keys, base URLs and -H values
are checked here, before anything is sent; errors name the source, never the value.
Providers stay pure: this module reads the environment and the keys file for them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from llmcli.errors import UsageError
from llmcli.headers import merged, value_problem
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
    own_provider: bool = True,
) -> Connection:
    """The `Connection` for `spec`: base URL, key, and the headers that carry it.

    `stored_keys` stands in for the keys file (read from disk only when needed).
    `own_provider=False`: the model names no provider (`-m mymodel --api-base URL`), so
    the server is not `spec`'s and gets no key from the environment or the keys file,
    only `--api-key`: a provider's key goes to that provider alone.
    """
    env = os.environ if env is None else env
    base, base_source = _base(spec, api_base, config_base, env)
    if not base and spec.base_envs:
        raise UsageError(
            f"no base URL for {spec.name}: {_set_or_pass(spec.base_envs, '--api-base')}"
        )
    if base:
        check_base(base, base_source, host_only=spec.host_only_base)
    key, key_source = _key(spec, api_key, env, stored_keys, own_provider)
    # A custom base (a local OpenAI-compatible server) may need no key at all.
    if spec.needs_key and not key and not api_base:
        raise UsageError(f"no API key for {spec.name}: {_set_or_pass(spec.key_envs, '--api-key')}")
    if key:
        check_key(key, key_source)
    given = headers or {}
    # A key header given with -H is the user's own credential: none of llmcli's goes
    # next to it (Azure's key is sent twice, as x-api-key and api-key: both are dropped).
    given_names = {name.lower() for name in given}
    sent = _key_headers(spec, key) if key and not given_names & set(spec.key_headers) else {}
    if own_provider:
        sent.update(_env_headers(spec, env))
    return Connection(
        base_url=base.rstrip("/"),
        api_key=key,
        headers=merged(sent, given),
        connect_hint=spec.connect_hint,
        append_path=not any(env.get(var, "").strip() == "1" for var in spec.exact_url_envs),
    )


def _base(
    spec: ProviderSpec, api_base: str | None, config_base: str | None, env: Mapping[str, str]
) -> tuple[str, str]:
    """The base URL and where it came from, as the error about a bad one says it."""
    if api_base:
        return api_base, "--api-base"
    from_env = _env_base(env, spec)
    if from_env:
        return from_env
    if config_base:
        return config_base, f"providers.{spec.name}.api_base in the config file"
    return spec.default_base, f"{spec.name}'s default base URL"


def _key(
    spec: ProviderSpec,
    api_key: str | None,
    env: Mapping[str, str],
    stored_keys: Mapping[str, str] | None,
    own_provider: bool,
) -> tuple[str | None, str]:
    """The key and where it came from (named in errors instead of the key)."""
    if api_key and api_key.strip():
        return api_key.strip(), "--api-key"
    if not own_provider:
        return None, ""
    for name in spec.key_envs:
        value = env.get(name, "").strip()
        if value:
            return value, name
    from llmcli.keys import key_name

    return _stored_key(spec, stored_keys), f"the {key_name(spec.name)} key in the keys file"


def check_key(key: str, source: str) -> None:
    """Refuse a key that cannot go in a header, naming its source, never the key."""
    problem = value_problem(key, spaces=False)
    if problem:
        raise UsageError(f"{source} contains {problem}: give the key alone, on one line")


def check_base(base: str, source: str, *, host_only: bool = False) -> None:
    """An http(s) URL with a host, checked before anything is sent; `host_only` also
    takes `host[:port]` (Ollama's `OLLAMA_HOST`). The URL is not echoed: it may carry
    a password or a `?key=`."""
    problem = value_problem(base, spaces=False)
    if problem:
        raise UsageError(
            f"{source} is not a URL (it contains {problem}): give http://HOST or https://HOST"
        )
    scheme, sep, _ = base.partition("://")
    if not sep and host_only:
        return  # Ollama's own rules resolve it (`providers.ollama.body.host_url`)
    if not sep:
        raise UsageError(f"{source} is not a URL: give http://HOST[:PORT][/PATH] or https://…")
    if scheme.lower() not in ("http", "https"):
        # Named only when it looks like a scheme: anything else may be a pasted secret.
        named = f" '{scheme}'" if scheme.isalpha() and len(scheme) <= 10 else ""
        raise UsageError(
            f"{source} has an unsupported scheme{named}: give an http:// or https:// URL"
        )
    try:
        host = urlsplit(base).hostname
    except ValueError:  # a malformed port or IPv6 literal
        host = None
    if not host:
        raise UsageError(f"{source} has no host: give http://HOST[:PORT][/PATH]")


def _env_headers(spec: ProviderSpec, env: Mapping[str, str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for var, header in spec.env_headers:
        value = env.get(var, "").strip()
        if not value:
            continue
        problem = value_problem(value)
        if problem:
            raise UsageError(f"{var} contains {problem}: give one line of plain ASCII")
        headers[header] = value
    return headers


def _env_base(env: Mapping[str, str], spec: ProviderSpec) -> tuple[str, str] | None:
    templates = dict(spec.base_templates)
    for name in spec.base_envs:
        value = env.get(name, "").strip()
        if value:
            return templates.get(name, "{}").format(value), name
    return None


def _stored_key(spec: ProviderSpec, stored_keys: Mapping[str, str] | None) -> str | None:
    from llmcli.keys import key_name, stored_key

    if stored_keys is not None:
        return stored_keys.get(key_name(spec.name)) or None
    return stored_key(spec.name)


def _key_headers(spec: ProviderSpec, key: str) -> dict[str, str]:
    return {name: f"Bearer {key}" if name == "authorization" else key for name in spec.key_headers}


def _set_or_pass(names: tuple[str, ...], flag: str) -> str:
    """`set A or pass --flag`; `set A, B or C, or pass --flag`."""
    if len(names) == 1:
        return f"set {names[0]} or pass {flag}"
    return f"set {', '.join(names[:-1])} or {names[-1]}, or pass {flag}"
