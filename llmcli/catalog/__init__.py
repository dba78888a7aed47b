"""The model catalog shipped with llmcli (`models.json`, data only) and what uses it.

For each model id (`PROVIDER/MODEL`, as `-m` takes it) and its aliases: context window,
most output tokens, capabilities and prices in USD per million tokens (input, output,
cache read, cache write; image models priced per image have `per_image`). The sources
and the month the prices were checked are at the top of the file.

Used for: `llmcli models list/show`, the cost of an answer when the provider reports
none (`usage_cost`), and notes for settings a model cannot honour (`request_warnings`).
Loaded on first use, never by `llmcli --help`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcli.events import Usage
    from llmcli.notes import Unsupported
    from llmcli.request import Request

CAPABILITIES = (
    "vision",
    "pdf",
    "tools",
    "json_schema",
    "thinking",
    "prompt_cache",
    "embeddings",
    "image_generation",
)
PRICE_KEYS = ("input", "output", "cache_read", "cache_write")

# The two Ollama prefixes share one set of models.
_SAME_PROVIDER = {"ollama_chat": "ollama"}
# Snapshot dates (`-2024-07-18`, `-20250929`) and OpenRouter variants (`:free`, `:nitro`).
_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")
_VARIANT = re.compile(r":(free|nitro|floor|beta|thinking|extended|online|latest)$")


@dataclass(frozen=True)
class Price:
    """USD per million tokens; None where the catalog does not know."""

    input: float | None = None
    output: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {k: getattr(self, k) for k in PRICE_KEYS}


@dataclass(frozen=True)
class Model:
    id: str  # PROVIDER/MODEL
    aliases: tuple[str, ...] = ()
    context_window: int | None = None
    max_output: int | None = None
    capabilities: frozenset[str] = frozenset()
    price: Price | None = None
    per_image: dict[str, float] = field(default_factory=dict)
    embedding_dimensions: int | None = None
    dimensions_adjustable: bool | None = None
    note: str | None = None  # what a live list adds (owner, size, display name)

    @property
    def provider(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The model id the provider takes (without the llmcli prefix)."""
        return self.id.split("/", 1)[1]

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "provider": self.provider,
            "aliases": list(self.aliases),
            "context_window": self.context_window,
            "max_output": self.max_output,
            "capabilities": [c for c in CAPABILITIES if c in self.capabilities],
            "price": self.price.as_dict() if self.price else None,
        }
        if self.per_image:
            out["per_image"] = dict(self.per_image)
        if self.embedding_dimensions is not None:
            out["embedding"] = {
                "dimensions": self.embedding_dimensions,
                "adjustable": self.dimensions_adjustable,
            }
        if self.note:
            out["note"] = self.note
        return out


def _model(raw: dict[str, Any]) -> Model:
    price = raw.get("price")
    embedding = raw.get("embedding") or {}
    unknown = set(raw.get("capabilities", ())) - set(CAPABILITIES)
    if unknown:
        raise ValueError(f"catalog: {raw['id']}: unknown capabilities {sorted(unknown)}")
    return Model(
        id=raw["id"],
        aliases=tuple(raw.get("aliases", ())),
        context_window=raw.get("context_window"),
        max_output=raw.get("max_output"),
        capabilities=frozenset(raw.get("capabilities", ())),
        price=Price(**{k: price.get(k) for k in PRICE_KEYS}) if price else None,
        per_image=dict(raw.get("per_image") or {}),
        embedding_dimensions=embedding.get("dimensions"),
        dimensions_adjustable=embedding.get("adjustable"),
    )


@functools.cache
def catalog() -> dict[str, Any]:
    """The raw data file (with its `sources` and `checked` date).

    Read beside this module, not through importlib.resources: its readers pull in zipfile
    and more, about 0.3 MiB of a one-shot run's peak memory, for a package that is never
    imported from a zip."""
    text = Path(__file__).with_name("models.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def models() -> tuple[Model, ...]:
    return tuple(_model_at(i) for i in range(len(catalog()["models"])))


@functools.cache
def _model_at(position: int) -> Model:
    """The catalog's entry at `position`, built once: a run looks up one or two models,
    and building every entry's `Model` would cost more memory than the data itself."""
    return _model(catalog()["models"][position])


@functools.cache
def _index() -> dict[str, int]:
    """Each id and alias (lower case) → its entry's position."""
    index: dict[str, int] = {}
    for position, raw in enumerate(catalog()["models"]):
        for key in (raw["id"], *raw.get("aliases", ())):
            index[key.lower()] = position
    return index


def _entry(key: str) -> Model | None:
    position = _index().get(key)
    return None if position is None else _model_at(position)


def lookup(provider: str, model: str) -> Model | None:
    """The entry for a routed model (`openai`, `gpt-4o-mini-2024-07-18`), or None.

    Tries the id as given, then without a snapshot date, an Ollama `:latest` tag or an
    OpenRouter variant suffix (`:free`).
    """
    provider = _SAME_PROVIDER.get(provider, provider)
    name = model.strip().lower()
    for candidate in (name, _DATED.sub("", name), _VARIANT.sub("", name)):
        found = _entry(f"{provider}/{candidate}")
        if found is not None:
            return found
    return None


def find(text: str) -> Model | None:
    """A model as a user types it (`openai/gpt-4o`, bare `claude-…`, an alias), or None."""
    text = text.strip()
    found = _entry(text.lower())
    if found is not None:
        return found
    from llmcli.errors import UsageError
    from llmcli.providers import route

    try:
        spec, model_id = route(text)
    except UsageError:
        return None
    return lookup(spec.name, model_id)


# ---- cost --------------------------------------------------------------------------


def price_usage(price: Price, usage: Usage) -> float | None:
    """USD for one answer's usage at these prices (None when it cannot be priced).

    `input_tokens` counts every input token: cache reads and writes are the parts priced
    at `cache_read` / `cache_write` (the input price when the catalog has none), the
    rest at `input`. `output_tokens` includes reasoning tokens: all priced as output.
    """
    if usage.input_tokens is None and usage.output_tokens is None:
        return None
    if price.input is None or (usage.output_tokens and price.output is None):
        return None
    read = usage.cache_read_tokens or 0
    write = usage.cache_write_tokens or 0
    plain = max((usage.input_tokens or 0) - read - write, 0)
    micro = (
        plain * price.input
        + read * (price.cache_read if price.cache_read is not None else price.input)
        + write * (price.cache_write if price.cache_write is not None else price.input)
        + (usage.output_tokens or 0) * (price.output or 0.0)
    )
    return round(micro / 1_000_000, 12)


def usage_cost(provider: str, model: str, usage: Usage) -> float | None:
    """The catalog's price for a routed model's usage, or None when it has none."""
    entry = lookup(provider, model)
    if entry is None or entry.price is None:
        return None
    return price_usage(entry.price, usage)


def fill_cost(provider: str, model: str, usage: Usage) -> None:
    """The provider's own cost (OpenRouter) when it gave one, else usage times the
    catalog price (None when the catalog has none): the CLI's and the gateway's rule."""
    if usage.cost is None:
        usage.cost = usage_cost(provider, model, usage)


def images_cost(
    provider: str, model: str, usage: Usage, quality: str | None, size: str | None, count: int
) -> float | None:
    """What images cost: the provider's figure (OpenRouter), else per image (dall-e) or
    per token (the catalog): `llmcli image`'s and the gateway's rule."""
    if usage.cost is not None:
        return usage.cost
    entry = lookup(provider, model)
    if entry is None:
        return None
    if entry.per_image:
        return image_cost(entry, quality, size, count)
    return usage_cost(provider, model, usage)


def image_cost(entry: Model, quality: str | None, size: str | None, count: int) -> float | None:
    """Per-image prices (dall-e): `quality size` as the catalog keys them (defaults:
    standard, 1024x1024)."""
    if not entry.per_image:
        return None
    each = entry.per_image.get(f"{quality or 'standard'} {size or '1024x1024'}")
    return None if each is None else round(each * count, 12)


# ---- settings a model cannot honour --------------------------------------------------

_LABELS = {
    "vision": "image input",
    "pdf": "PDF input",
    "tools": "tool calling",
    "json_schema": "structured output",
    "thinking": "thinking/reasoning",
    "prompt_cache": "prompt caching",
}


def wanted(req: Request) -> list[tuple[str, str, str]]:
    """(capability, the `Request` field that asks for it, how a message names it) for what
    this request needs; named as in `Unsupported` messages, `{field}` for a front end to
    spell."""
    needs: list[tuple[str, str, str]] = []
    kinds = {part.kind for part in req.attachments()}
    if "image" in kinds:
        needs.append(("vision", "attachments", "{attachments} IMAGE"))
    if "pdf" in kinds:
        needs.append(("pdf", "attachments", "{attachments} PDF"))
    if req.tools:
        needs.append(("tools", "tools", "{tools}"))
    if req.response_format is not None and req.response_format.type == "json_schema":
        needs.append(("json_schema", "response_format", "{json_schema}"))
    if req.thinking or req.thinking_budget or req.reasoning_effort not in (None, "none"):
        field = "reasoning_effort" if req.reasoning_effort else "thinking"
        needs.append(("thinking", field, f"{{{field}}}"))
    if req.cache_system or req.cache_tools:
        field = "cache_system" if req.cache_system else "cache_tools"
        needs.append(("prompt_cache", field, "{cache_system}/{cache_tools}"))
    return needs


def request_warnings(req: Request) -> list[Unsupported]:
    """One note per setting the catalog says this model cannot honour (it is still sent:
    the provider has the last word, and the catalog may be behind)."""
    from llmcli.notes import Unsupported

    entry = lookup(req.provider, req.model)
    if entry is None:
        return []
    if entry.capabilities and not entry.capabilities - {"embeddings", "image_generation"}:
        kind = "an embedding" if entry.has("embeddings") else "an image generation"
        command = "llmcli embed" if entry.has("embeddings") else "llmcli image"
        message = f"{entry.id} is {kind} model (model catalog): use `{command}`"
        return [Unsupported("model", req.provider, message)]
    return [
        Unsupported(
            field,
            req.provider,
            f"{entry.id} has no {_LABELS[capability]} (model catalog): {asks} was sent anyway "
            "and may be refused or ignored",
        )
        for capability, field, asks in wanted(req)
        if not entry.has(capability)
    ]
