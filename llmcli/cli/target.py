"""Model → provider module, connection and retry policy, for the commands that are not a
chat (`embed`, `image`, `models list --live`). Same rules as `complete`: config aliases,
then the prefix; `--api-key` > environment > keys file; `--api-base` > environment >
config > default.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from llmcli.errors import UsageError
from llmcli.transport import Connection, Policy

if TYPE_CHECKING:
    from llmcli.providers import ProviderSpec


@dataclass
class Target:
    provider: str  # the llmcli provider name (openai, ollama_chat, ...)
    module: ModuleType
    model: str  # the id the provider takes
    connection: Connection
    policy: Policy

    @property
    def full_name(self) -> str:
        return f"{self.provider}/{self.model}"

    def needs(self, function: str, what: str) -> None:
        """Refuse (exit 2) when this provider has no `function` (e.g. no embeddings)."""
        if not hasattr(self.module, function):
            raise UsageError(f"{self.provider} has no {what}")


def resolve_model(model: str | None) -> str:
    if not model or not model.strip():
        raise UsageError("no model given: pass -m PROVIDER/MODEL")
    from llmcli.config import settings

    model = model.strip()
    return settings().aliases.get(model, model)


def connect(
    model: str,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    headers: list[str] | None = None,
    retries: int = 2,
    timeout: float = 600.0,
    debug: bool = False,
) -> Target:
    """`PROVIDER/MODEL` (or an alias) → where and how to send requests for it."""
    from llmcli import providers

    spec, model_id = providers.route(resolve_model(model), api_base)
    return _target(spec, model_id, api_key, api_base, headers, retries, timeout, debug)


def connect_provider(
    name: str,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    retries: int = 2,
    timeout: float = 60.0,
    debug: bool = False,
) -> Target:
    """A provider by name (`models list --live --provider NAME`)."""
    from llmcli import providers

    spec = providers.PROVIDERS.get(name)
    if spec is None:
        raise UsageError(f"unknown provider {name!r}: use one of {', '.join(providers.PROVIDERS)}")
    return _target(spec, "", api_key, api_base, None, retries, timeout, debug)


def _target(
    spec: ProviderSpec,
    model_id: str,
    api_key: str | None,
    api_base: str | None,
    headers: list[str] | None,
    retries: int,
    timeout: float,
    debug: bool,
) -> Target:
    from llmcli import providers
    from llmcli.cli.options import parse_headers
    from llmcli.config import settings

    provider_config = settings().providers.get(spec.name)
    conn = providers.connect(
        spec,
        api_key=api_key,
        api_base=api_base,
        config_base=provider_config.api_base if provider_config else None,
        headers=parse_headers(headers),
    )
    if spec.name == "local" and not conn.base_url and model_id:
        # `embed -m local/NAME`: a llama.cpp server with embeddings on, for this command.
        from llmcli.local import serving

        conn.base_url = serving.base_url(model_id, embeddings=True, debug=_debug if debug else None)
    if not conn.base_url:
        raise UsageError(f"{spec.name}: no server to ask: pass --api-base URL")
    policy = Policy(
        timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        retries=retries,
        debug=_debug if debug else None,
        secrets=tuple(s for s in (conn.api_key,) if s),
    )
    return Target(spec.name, providers.load(spec), model_id, conn, policy)


def _debug(line: str) -> None:
    sys.stderr.write(f"debug: {line}\n")
    sys.stderr.flush()
