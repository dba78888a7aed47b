"""Model → provider module, connection and retry policy, for the commands that are not a
chat (`embed`, `image`, `models list --live`). Same rules as `complete`: config aliases,
then the prefix; `--api-key` > environment > keys file; `--api-base` > environment >
config > default.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from llmcli.errors import UsageError
from llmcli.policy import Policy
from llmcli.transport import Connection

if TYPE_CHECKING:
    from llmcli.providers import ProviderSpec
    from llmcli.providers.base import ChatProvider, Embedder, ImageMaker, ModelLister


@dataclass
class Target:
    spec: ProviderSpec
    module: ChatProvider
    model: str  # the id the provider takes
    connection: Connection
    policy: Policy

    @property
    def provider(self) -> str:
        """The llmcli provider name (openai, ollama_chat, ...)."""
        return self.spec.name

    @property
    def full_name(self) -> str:
        return f"{self.provider}/{self.model}"

    # The registry says what else a provider module provides; without it, exit 2.
    def embedder(self, what: str) -> Embedder:
        return cast("Embedder", self._provides(self.spec.embeds, what))

    def image_maker(self, what: str) -> ImageMaker:
        return cast("ImageMaker", self._provides(self.spec.makes_images, what))

    def model_lister(self, what: str) -> ModelLister:
        return cast("ModelLister", self._provides(self.spec.lists_models, what))

    def _provides(self, claimed: bool, what: str) -> object:
        if not claimed:
            raise UsageError(f"{self.provider} has no {what}")
        return self.module


def resolve_model(model: str | None) -> str:
    if not model or not model.strip():
        raise UsageError("no model given: pass -m PROVIDER/MODEL")
    from llmcli.config import settings

    model = model.strip()
    return settings().aliases.get(model, model)


def target_for_model(
    model: str,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    headers: list[str] | None = None,
    retries: int = Policy.retries,
    timeout: float = Policy.timeout,
    debug: bool = False,
    secrets: tuple[str | None, ...] = (),
) -> Target:
    """`PROVIDER/MODEL` (or an alias) → where and how to send requests for it.

    `secrets` are more values to keep out of --debug output and stored requests (the API
    key always is). A `local/` model has no server yet: see `serve_local`.
    """
    from llmcli import providers

    name = resolve_model(model)
    spec, model_id = providers.route(name, api_base)
    own = not api_base or _names_provider(name)
    return _target(
        spec, model_id, api_key, api_base, headers, retries, timeout, debug, secrets, own
    )


def _names_provider(model: str) -> bool:
    """True when the model names its provider (`openai/…`, or a bare `gpt-…` that llmcli
    sends to OpenAI anyway); False for a name only `--api-base` gives a home."""
    from llmcli import providers
    from llmcli.notes import Refused

    try:
        providers.route(model)
    except Refused:
        return False
    return True


def target_for_provider(
    name: str,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    retries: int = Policy.retries,
    timeout: float = 60.0,  # a model list is small: a shorter wait than an answer's
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
    secrets: tuple[str | None, ...] = (),
    own_provider: bool = True,
) -> Target:
    from llmcli.cli.options import parse_headers
    from llmcli.config import settings
    from llmcli.connection import resolve_connection
    from llmcli.providers.base import load

    provider_config = settings().providers.get(spec.name)
    given = parse_headers(headers)
    conn = resolve_connection(
        spec,
        api_key=api_key,
        api_base=api_base,
        config_base=provider_config.api_base if provider_config else None,
        headers=given,
        own_provider=own_provider,
    )
    # Only `local/` has no default base: `serve_local` starts a server for a named model.
    if not conn.base_url and not (spec.name == "local" and model_id):
        raise UsageError(f"{spec.name}: no server to ask: pass --api-base URL")
    policy = Policy(
        timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        retries=retries,
        debug=debug_printer if debug else None,
        secrets=tuple(s for s in (conn.api_key, *secrets) if s),
        # A -H value may be a credential llmcli does not know by name: never shown.
        private_headers=frozenset(name.lower() for name in given),
    )
    return Target(spec, load(spec), model_id, conn, policy)


def serve_local(target: Target, *, embeddings: bool = False, threads: int | None = None) -> None:
    """`local/NAME` with no --api-base: run llama.cpp for the rest of this process (every
    turn of a chat, every step of a tool loop), with embeddings on when asked."""
    if target.provider != "local" or target.connection.base_url:
        return
    from llmcli.local import serving

    target.connection.base_url = serving.base_url(
        target.model, threads=threads, embeddings=embeddings, debug=target.policy.debug
    )


def debug_printer(line: str) -> None:
    from llmcli.controls import for_stream

    sys.stderr.write(for_stream(f"debug: {line}\n", sys.stderr))  # bodies come from servers
    sys.stderr.flush()
