"""Provider routing by model prefix (as LiteLLM users know it), and the registry: one
`ProviderSpec` per prefix holding every static fact about a provider.

Only the chosen provider's module is imported, when it is needed (`base.load`). What a
provider module provides is written down in `llmcli.providers.base`; where its key and
base URL come from is resolved at the edge (`llmcli.connection`), from the facts here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from llmcli.notes import Refused

_ANTHROPIC_SUFFIX_OFF = (
    "LLMCLI_ANTHROPIC_DISABLE_URL_SUFFIX",
    "LITELLM_ANTHROPIC_DISABLE_URL_SUFFIX",
)


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    module: str  # llmcli.providers.<module>: a `ChatProvider`, and more as said below
    key_envs: tuple[str, ...] = ()
    # Environment variables that name the base URL, first set wins; a variable listed in
    # `base_templates` holds a part of it (`{}` in the template) instead of the URL.
    base_envs: tuple[str, ...] = ()
    base_templates: tuple[tuple[str, str], ...] = ()
    default_base: str = ""
    # The headers the key is sent in; `authorization` carries `Bearer KEY`, others the key.
    key_headers: tuple[str, ...] = ("authorization",)
    # Environment variables whose values become request headers.
    env_headers: tuple[tuple[str, str], ...] = field(default=())
    # Set to 1: the base URL is the whole endpoint, no path appended.
    exact_url_envs: tuple[str, ...] = ()
    # The base may be `host[:port]` with no scheme, as Ollama's OLLAMA_HOST is.
    host_only_base: bool = False
    needs_key: bool = True
    connect_hint: str = ""  # said when the server cannot be reached
    # Attachments given as URLs are downloaded first: the API takes only inline data.
    inline_attachments: bool = False
    # The Protocols of `llmcli.providers.base` the module provides besides `ChatProvider`.
    embeds: bool = False  # Embedder
    makes_images: bool = False  # ImageMaker
    lists_models: bool = False  # ModelLister


def _anthropic_shaped(name: str, key_env: str, base_env: str) -> ProviderSpec:
    """Claude on Microsoft Azure Foundry: Anthropic's Messages API and body, another base
    and key. The key goes in both `x-api-key` and `api-key`: LiteLLM's azure_anthropic
    docs (docs/providers/azure/azure_anthropic.md) name `api-key`, Microsoft's Foundry
    Claude samples `x-api-key`; Anthropic's Foundry client sends both."""
    return ProviderSpec(
        name,
        "anthropic",
        key_envs=("ANTHROPIC_FOUNDRY_API_KEY", key_env),
        base_envs=("ANTHROPIC_FOUNDRY_BASE_URL", "ANTHROPIC_FOUNDRY_RESOURCE", base_env),
        base_templates=(
            ("ANTHROPIC_FOUNDRY_RESOURCE", "https://{}.services.ai.azure.com/anthropic"),
        ),
        key_headers=("x-api-key", "api-key"),
        exact_url_envs=_ANTHROPIC_SUFFIX_OFF,
    )


_OLLAMA = ProviderSpec(
    "ollama",
    "ollama",
    base_envs=("OLLAMA_API_BASE", "OLLAMA_HOST"),
    default_base="http://localhost:11434",
    needs_key=False,
    connect_hint="is the Ollama server running? (start it with `ollama serve`)",
    host_only_base=True,
    inline_attachments=True,
    embeds=True,
    lists_models=True,
)

PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            "openai",
            "openai",
            key_envs=("OPENAI_API_KEY",),
            base_envs=("OPENAI_BASE_URL", "OPENAI_API_BASE"),
            default_base="https://api.openai.com/v1",
            embeds=True,
            makes_images=True,
            lists_models=True,
        ),
        ProviderSpec(
            "anthropic",
            "anthropic",
            key_envs=("ANTHROPIC_API_KEY",),
            base_envs=("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"),
            default_base="https://api.anthropic.com",
            key_headers=("x-api-key",),
            exact_url_envs=_ANTHROPIC_SUFFIX_OFF,
        ),
        _anthropic_shaped("azure", "AZURE_API_KEY", "AZURE_API_BASE"),
        _anthropic_shaped("azure_ai", "AZURE_AI_API_KEY", "AZURE_AI_API_BASE"),
        ProviderSpec(
            "deepseek",
            "deepseek",
            key_envs=("DEEPSEEK_API_KEY",),
            base_envs=("DEEPSEEK_API_BASE",),
            default_base="https://api.deepseek.com",
            lists_models=True,
        ),
        ProviderSpec(
            "openrouter",
            "openrouter",
            key_envs=("OPENROUTER_API_KEY",),
            base_envs=("OPENROUTER_API_BASE",),
            default_base="https://openrouter.ai/api/v1",
            env_headers=(("OR_SITE_URL", "HTTP-Referer"), ("OR_APP_NAME", "X-Title")),
            embeds=True,
            makes_images=True,
            lists_models=True,
        ),
        _OLLAMA,
        replace(_OLLAMA, name="ollama_chat"),
        # llama.cpp run by llmcli (llmcli.local): no default base, the runner starts a
        # server and fills it in, unless --api-base or the config names one.
        ProviderSpec("local", "local", needs_key=False, embeds=True),
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

    With an `api_base`, an unknown name is sent as-is to an OpenAI-compatible server.
    """
    model = model.strip()
    if not model:
        raise Refused(
            "model", "", "no model given: pass {model} PROVIDER/MODEL or set LLMCLI_MODEL"
        )
    prefix, slash, rest = model.partition("/")
    if slash and prefix in PROVIDERS:
        if not rest:
            missing = f"model name missing after '{prefix}/': try {{model}} {prefix}/MODEL"
            raise Refused("model", prefix, missing)
        return PROVIDERS[prefix], rest
    for start, name in _BARE_PREFIXES:
        if not slash and model.startswith(start):
            return PROVIDERS[name], model
    if api_base:
        return PROVIDERS["openai"], model
    raise Refused(
        "model",
        "",
        f"unknown provider for model '{model}': use one of the prefixes {known_prefixes()}"
        " (or {api_base} URL for any OpenAI-compatible server)",
    )
