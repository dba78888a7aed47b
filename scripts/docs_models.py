"""The words -m/--model completes to: the model catalog, local models, provider prefixes;
and the config keys."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def provider_names() -> tuple[str, ...]:
    from llmcli.providers import PROVIDERS

    return tuple(PROVIDERS)


def local_model_names() -> tuple[str, ...]:
    try:
        from llmcli.local.catalog import CATALOG
    except ImportError:
        return ()
    return tuple(CATALOG)


def config_keys() -> tuple[str, ...]:
    """Dotted keys of config.toml: the settings, `aliases.` and each provider's table."""
    from llmcli.config import Config, ProviderSettings

    keys: list[str] = []
    for name in Config.model_fields:
        if name == "providers":
            keys += [
                f"providers.{p}.{setting}" + ("." if setting == "options" else "")
                for p in provider_names()
                for setting in ProviderSettings.model_fields
            ]
        elif name == "aliases":
            keys.append("aliases.")
        else:
            keys.append(name)
    return tuple(keys)


def model_names() -> tuple[str, ...]:
    """What -m/--model completes to: the provider prefixes (`openai/`...), then every model
    of the catalog (when llmcli has one) and the local models."""
    from llmcli.providers import PROVIDERS

    prefixes = [f"{name}/" for name in provider_names()]
    models = set(catalog_models()) | {f"local/{n}" for n in local_model_names()}
    # Prefixes served by one module (ollama/, ollama_chat/) take the same models.
    for a in PROVIDERS.values():
        for b in PROVIDERS.values():
            if a.name != b.name and a.module == b.module:
                models |= {b.name + m[len(a.name) :] for m in models if m.startswith(a.name + "/")}
    return tuple(prefixes + sorted(models - set(prefixes)))


_CATALOG_SOURCES = (
    "models",
    "model_names",
    "all_models",
    "load_catalog",
    "load",
    "entries",
    "MODELS",
    "CATALOG",
)


def catalog_models(module: str = "llmcli.catalog") -> list[str]:
    """`PROVIDER/MODEL` names from the model catalog package, or [] when there is none.

    The first of `_CATALOG_SOURCES` that the package has and that yields names wins; a
    source is a function (called with no arguments) or a collection. Its items are names,
    or entries with an `id`/`model`/`name` (and a `provider`, prefixed when the name has no
    `/`); a mapping's values are read (its keys when the values are not entries).
    """
    try:
        catalog = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name is not None and module.startswith(err.name):
            return []
        raise
    for attr in _CATALOG_SOURCES:
        source = getattr(catalog, attr, None)
        if source is None or inspect.ismodule(source):
            continue
        if callable(source):
            try:
                source = source()
            except TypeError:  # needs arguments: not a loader of everything
                continue
        names = _model_ids(source)
        if names:
            return sorted(set(names))
    return []


def _model_ids(items: Any) -> list[str]:
    if isinstance(items, Mapping):
        values = _model_ids(list(items.values()))
        return values or [k for k in items if isinstance(k, str)]
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        return []
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
            continue
        get: Callable[[str], Any] = (
            item.get if isinstance(item, Mapping) else lambda k, i=item: getattr(i, k, None)
        )
        ident = next((get(k) for k in ("id", "model", "name") if isinstance(get(k), str)), None)
        if not ident:
            continue
        provider = get("provider")
        provider = getattr(provider, "name", provider)
        if isinstance(provider, str) and provider and not ident.startswith(provider + "/"):
            ident = f"{provider}/{ident}"
        names.append(ident)
    return [n for n in names if n.strip() and not any(c.isspace() for c in n)]
