"""What each provider's models can take, decided in one place per provider.

Encoders branch on these facts, never on model names: a new model family is one edit
here, not a hunt through encoder branches. Each provider has one function from the model
id (as the provider takes it, without the llmcli prefix) to a `ModelProfile`, after
pydantic-ai's `profiles/` (one `*_model_profile(model_name)` per vendor). Facts that
describe a model for people (context window, prices, capabilities) stay in the catalog;
these are the facts an encoder needs to build a valid body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# How `--json-schema` goes on the wire:
# - json_schema: `response_format: {type: json_schema, ...}` (OpenAI Chat Completions);
# - json_object: `response_format: {type: json_object}`, the schema in the system prompt;
# - format: Ollama's `format: <schema>`;
# - output_config / output_format / tool: Anthropic's GA form, its beta form, or a forced
#   tool whose input is the answer (see `anthropic`).
StructuredOutput = Literal[
    "json_schema", "json_object", "format", "output_config", "output_format", "tool"
]
CachePoint = Literal["system", "tools"]


@dataclass(frozen=True)
class ModelProfile:
    """The request facts of one model.

    `reasoning`: a reasoning model, which takes `max_completion_tokens` instead of
    `max_tokens` (OpenAI). `always_reasons`: thinking cannot be switched on or off, so no
    switch is sent (DeepSeek's reasoner). `takes_effort`: an effort level replaces the
    thinking budget (Anthropic `output_config.effort`). `default_max_tokens`: sent when
    the user gives none (the API requires it). `prefill`: takes a final assistant message
    to continue. `cache_points`: where explicit `cache_control` breakpoints go (empty:
    the provider caches by itself); `cache_ttl`: whether a breakpoint takes a TTL.
    `default_system` / `default_temperature`: sent when the user gives none (a user's
    `-s` / `--temperature`, even `-s ""`, wins).
    """

    structured_output: StructuredOutput = "json_schema"
    reasoning: bool = False
    always_reasons: bool = False
    takes_effort: bool = False
    default_max_tokens: int | None = None
    prefill: bool = False
    cache_points: tuple[CachePoint, ...] = ()
    cache_ttl: bool = False
    default_system: str | None = None
    default_temperature: float | None = None


# ---- OpenAI and the OpenAI-shaped servers ------------------------------------------------

_OPENAI_REASONING = re.compile(r"^(o\d|gpt-5)")


def openai(model: str) -> ModelProfile:
    """o-series and GPT-5 models reject `max_tokens` and want `max_completion_tokens`."""
    return ModelProfile(reasoning=bool(_OPENAI_REASONING.match(model)))


@dataclass(frozen=True)
class ImageProfile:
    """What an image model takes: sizes, qualities, most images per request, and whether
    it takes `response_format: "b64_json"` (dall-e; GPT image models always answer in
    base64 and reject the field: 400 unknown_parameter, corpus
    openai/images-error-400-fixture)."""

    sizes: tuple[str, ...]
    qualities: tuple[str, ...]
    most: int
    b64_json: bool = False


# By model family, from the OpenAI API reference, Images "Create image" (openai-openapi
# CreateImageRequest): GPT image models take 1024x1024, 1536x1024, 1024x1536 or auto and
# quality low, medium, high or auto; dall-e-3 takes 1024x1024, 1792x1024 or 1024x1792,
# quality standard or hd, n=1; dall-e-2 takes 256x256, 512x512 or 1024x1024 and only
# standard; n is 1 to 10.
_OPENAI_IMAGES = {
    "gpt-image": ImageProfile(
        ("1024x1024", "1536x1024", "1024x1536", "auto"), ("low", "medium", "high", "auto"), 10
    ),
    "dall-e-3": ImageProfile(
        ("1024x1024", "1792x1024", "1024x1792"), ("standard", "hd"), 1, b64_json=True
    ),
    "dall-e-2": ImageProfile(("256x256", "512x512", "1024x1024"), ("standard",), 10, b64_json=True),
}


def openai_image(model: str) -> ImageProfile | None:
    """The family's facts; None for a model not listed (sent as given, nothing checked)."""
    return next((p for family, p in _OPENAI_IMAGES.items() if model.startswith(family)), None)


def deepseek(model: str) -> ModelProfile:
    """`json_object` only (https://api-docs.deepseek.com/guides/json_mode); the reasoner
    always thinks, so `thinking` is never switched for it."""
    return ModelProfile(
        structured_output="json_object", always_reasons=model.startswith("deepseek-reasoner")
    )


def openrouter(model: str) -> ModelProfile:
    """By upstream vendor (https://openrouter.ai/docs/features/prompt-caching): Anthropic
    models take breakpoints on the system prompt and the last tool, with a TTL, and an
    assistant prefill; Gemini takes a bare breakpoint on the system prompt; the others
    cache automatically."""
    if model.startswith("anthropic/"):
        return ModelProfile(prefill=True, cache_points=("system", "tools"), cache_ttl=True)
    if model.startswith("google/gemini"):
        return ModelProfile(cache_points=("system",))
    return ModelProfile()


def ollama(model: str) -> ModelProfile:
    return ModelProfile(structured_output="format")


# Small local models need a steer. SmolLM2 135M (`local/smollm2`, the default model) at
# llama.cpp's default temperature (0.8) and its chat template's own system prompt answered
# "Say hello" with role-play ("welcome to my little corner of the world... your guide")
# or a line of emoji; the same at 0.1-0.3 now and then. With this prompt and greedy
# decoding (temperature 0) it answers "Hello, I'm your friendly AI assistant. What can I
# help you with today?" every time (tried by hand against the real model, issue 11).
LOCAL_SYSTEM = "You are a helpful assistant. Answer in one or two short sentences."
LOCAL_TEMPERATURE = 0.0


def local(model: str) -> ModelProfile:
    return ModelProfile(default_system=LOCAL_SYSTEM, default_temperature=LOCAL_TEMPERATURE)


# ---- Anthropic ---------------------------------------------------------------------------

_CLAUDE_VERSION = re.compile(r"claude-([a-z]+)-(\d+)(?:[-.](\d{1,2}))?(?!\d)")
# Anthropic requires `max_tokens`; this is what goes when the user gives none.
ANTHROPIC_MAX_TOKENS = 4096


def claude_version(model: str) -> tuple[str, int, int] | None:
    """`claude-sonnet-4-5-20250929` → ("sonnet", 4, 5); None for `claude-3-5-sonnet…` ids."""
    found = _CLAUDE_VERSION.search(model)
    if found is None:
        return None
    return found[1], int(found[2]), int(found[3] or 0)


def anthropic(model: str) -> ModelProfile:
    return ModelProfile(
        structured_output=_claude_output_form(model),
        takes_effort="opus-4-5" in model or "opus-4.5" in model,
        default_max_tokens=ANTHROPIC_MAX_TOKENS,
        prefill=True,
        cache_points=("system", "tools"),
        cache_ttl=True,
    )


def _claude_output_form(model: str) -> StructuredOutput:
    """How `--json-schema` is sent to a Claude model.

    - `output_config`: the GA form `output_config: {format: {type: json_schema, schema}}`,
      no header. The structured outputs docs list it as generally available for Claude
      Sonnet 4.5, Haiku 4.5, Opus 4.5 and the 4.6 models
      (https://platform.claude.com/docs/en/build-with-claude/structured-outputs); newer
      models (4.5 and up, 5 and up) are assumed to keep it.
    - `output_format`: the beta form (top-level `output_format` + `anthropic-beta:
      structured-outputs-2025-11-13`) for Claude Opus 4.1, which had the beta but is not in
      the GA list; the docs say the beta form keeps working during the transition.
    - `tool`: every older model (Claude 3.x, Sonnet 4, Opus 4): a forced tool whose input
      the decoders turn into the answer text.
    """
    version = claude_version(model)
    if version is None:
        return "tool"
    family, major, minor = version
    if major >= 5 or (major == 4 and minor >= 5):
        return "output_config"
    if (family, major, minor) == ("opus", 4, 1):
        return "output_format"
    return "tool"


# Provider name (as in `-m PROVIDER/MODEL`) → its profile function.
PROFILES: dict[str, Callable[[str], ModelProfile]] = {
    "openai": openai,
    "deepseek": deepseek,
    "openrouter": openrouter,
    "ollama": ollama,
    "ollama_chat": ollama,
    "local": local,
    "anthropic": anthropic,
}


def profile(provider: str, model: str) -> ModelProfile:
    """The profile of MODEL at PROVIDER; the plain default for a provider not listed."""
    found = PROFILES.get(provider)
    return found(model) if found else ModelProfile()
