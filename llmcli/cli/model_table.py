"""What `llmcli models list/show/default/alias` do (imported only when one of them runs)."""

from __future__ import annotations

import json
import sys

import typer

from llmcli import catalog
from llmcli.catalog import CAPABILITIES, Model
from llmcli.errors import LlmcliError, UsageError


def capabilities(given: list[str]) -> set[str]:
    wanted = {c.strip().lower().replace("-", "_") for item in given for c in item.split(",")}
    wanted.discard("")
    unknown = wanted - set(CAPABILITIES)
    if unknown:
        raise UsageError(
            f"unknown --capability {', '.join(sorted(unknown))}: use {', '.join(CAPABILITIES)}"
        )
    return wanted


def _provider_name(provider: str) -> str:
    from llmcli.providers import PROVIDERS, known_prefixes

    name = provider.strip().rstrip("/")
    if name not in PROVIDERS:
        raise UsageError(f"unknown --provider {provider!r}: use one of {known_prefixes()}")
    return "ollama" if name == "ollama_chat" else name


def catalog_models(provider: str | None) -> list[Model]:
    models = list(catalog.models())
    if provider is None:
        return models
    name = _provider_name(provider)
    return [m for m in models if m.provider == name]


def live(
    provider: str | None, api_key: str | None, api_base: str | None, timeout: float, debug: bool
) -> list[Model]:
    """The provider's own list, with what the catalog knows filled in where it says nothing."""
    if provider is None:
        raise UsageError("--live asks one provider: add --provider NAME (e.g. --provider openai)")
    from llmcli.cli.target import target_for_provider
    from llmcli.engine import fetch
    from llmcli.errors import DecodeError

    name = provider.strip().rstrip("/")
    target = target_for_provider(
        name, api_key=api_key, api_base=api_base, timeout=timeout, debug=debug
    )
    lister = target.model_lister("model list llmcli can read")
    call = lister.encode_models(target.connection)
    body = fetch(lister, call, target.policy, hint=target.connection.connect_hint)
    try:
        found: list[Model] = lister.decode_models(body)
    except DecodeError as err:
        raise DecodeError(f"{target.provider}: {err}") from None
    return [_with_catalog(model) for model in found]


def _with_catalog(model: Model) -> Model:
    from dataclasses import replace

    entry = catalog.lookup(model.provider, model.name)
    if entry is None:
        return model
    return replace(
        model,
        aliases=model.aliases or ((entry.id,) if entry.id != model.id else ()),
        context_window=model.context_window or entry.context_window,
        max_output=model.max_output or entry.max_output,
        capabilities=model.capabilities or entry.capabilities,
        price=model.price or entry.price,
        per_image=model.per_image or entry.per_image,
        embedding_dimensions=model.embedding_dimensions or entry.embedding_dimensions,
        dimensions_adjustable=model.dimensions_adjustable
        if model.dimensions_adjustable is not None
        else entry.dimensions_adjustable,
    )


def select(models: list[Model], wanted: set[str], query: str | None) -> list[Model]:
    needle = (query or "").strip().lower()
    return [
        m
        for m in models
        if wanted <= m.capabilities
        and (not needle or any(needle in text.lower() for text in (m.id, *m.aliases, m.note or "")))
    ]


# ---- output --------------------------------------------------------------------------

_PRICE_HEAD = ("$in", "$out", "$cache_r", "$cache_w")


def _number(value: float | int | None, empty: str) -> str:
    if value is None:
        return empty
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def row(model: Model, empty: str = "") -> list[str]:
    price = model.price.as_dict() if model.price else {}
    return [
        model.id,
        _number(model.context_window, empty),
        _number(model.max_output, empty),
        ",".join(c for c in CAPABILITIES if c in model.capabilities) or empty,
        *(_number(price.get(key), empty) for key in catalog.PRICE_KEYS),
    ]


def show(models: list[Model], json_out: bool, live: bool = False) -> None:
    if json_out:
        typer.echo(json.dumps([m.as_json() for m in models], ensure_ascii=False))
        return
    if not sys.stdout.isatty():
        for model in models:
            typer.echo("\t".join(row(model)))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("model", "context", "max out", "capabilities", *_PRICE_HEAD, box=None)
    for model in models:
        table.add_row(*row(model, "-"))
    console = Console()
    console.print(table)
    checked = catalog.catalog().get("checked", "?")
    source = "the provider's list (catalog data where it says nothing)" if live else "catalog"
    console.print(
        f"[dim]{len(models)} models from {source} · prices in USD per million tokens "
        f"(catalog checked {checked})[/]"
    )


def show_one(text: str, json_out: bool) -> None:
    from llmcli.cli.target import resolve_model

    model = catalog.find(resolve_model(text))
    if model is None:
        raise LlmcliError(
            f"{text} is not in llmcli's model catalog (`llmcli models list --live --provider "
            "NAME` asks a provider)"
        )
    if json_out:
        typer.echo(json.dumps(model.as_json(), ensure_ascii=False))
        return
    price = model.price.as_dict() if model.price else {}
    lines = [
        ("model", model.id),
        ("provider", model.provider),
        ("aliases", ", ".join(model.aliases) or "-"),
        ("context window", _number(model.context_window, "-")),
        ("max output", _number(model.max_output, "-")),
        ("capabilities", ", ".join(c for c in CAPABILITIES if model.has(c)) or "-"),
    ]
    lines += [
        (f"price {key.replace('_', ' ')}", _price(price.get(key))) for key in catalog.PRICE_KEYS
    ]
    if model.per_image:
        lines += [(f"per image {k}", f"${v:g}") for k, v in model.per_image.items()]
    if model.embedding_dimensions is not None:
        fixed = "" if model.dimensions_adjustable else " (fixed)"
        lines.append(("dimensions", f"{model.embedding_dimensions}{fixed}"))
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        typer.echo(f"{key.ljust(width)}  {value}")


def _price(value: float | None) -> str:
    return "-" if value is None else f"${value:g} / million tokens"


# ---- default model and aliases (the config file) --------------------------------------


def _check_model(model: str) -> str:
    from llmcli.providers import route

    model = model.strip()
    route(model)  # a one-line error naming the known prefixes
    if catalog.find(model) is None:
        typer.echo(f"llmcli: note: {model} is not in llmcli's model catalog", err=True)
    return model


def default(model: str | None, unset: bool) -> None:
    import os

    from llmcli.config import config_path, load_config, set_value, unset_value

    if unset:
        if model is not None:
            raise UsageError("give MODEL or --unset, not both")
        unset_value("model")
        typer.echo(f"removed the default model from {config_path()}", err=True)
        return
    if model is None:
        env = os.environ.get("LLMCLI_MODEL", "").strip()
        stored = load_config().model
        if env:
            typer.echo(env)
            typer.echo("(from LLMCLI_MODEL)", err=True)
        elif stored:
            typer.echo(stored)
            typer.echo(f"(from {config_path()})", err=True)
        else:
            from llmcli.local import DEFAULT_MODEL

            typer.echo(DEFAULT_MODEL)
            typer.echo("(none set: the built-in offline default)", err=True)
        return
    config = load_config()
    target = config.aliases.get(model.strip(), model)
    _check_model(target)
    set_value("model", _toml_string(model.strip()))
    typer.echo(f"default model: {model.strip()} (in {config_path()})", err=True)


def alias(name: str, model: str | None, remove: bool) -> None:
    from llmcli.config import config_path, load_config, set_value, unset_value
    from llmcli.tomlfile import format_key

    name = name.strip()
    if not name or "/" in name:
        raise UsageError(f"invalid alias {name!r}: a name without '/' (e.g. fast)")
    key = format_key(["aliases", name])
    if remove:
        if not unset_value(key):
            raise LlmcliError(f"no alias {name} in {config_path()}")
        typer.echo(f"removed alias {name}", err=True)
        return
    if model is None:
        aliases = load_config().aliases
        if name not in aliases:
            raise LlmcliError(f"no alias {name}: set one with `llmcli models alias {name} MODEL`")
        typer.echo(aliases[name])
        return
    set_value(key, _toml_string(_check_model(model)))
    typer.echo(f"alias {name} = {model.strip()} (in {config_path()})", err=True)


def list_aliases(json_out: bool) -> None:
    from llmcli.config import load_config

    aliases = load_config().aliases
    if json_out:
        typer.echo(json.dumps(aliases, ensure_ascii=False))
        return
    for name, model in aliases.items():
        typer.echo(f"{name}\t{model}")


def _toml_string(text: str) -> str:
    """A value `config.set_value` keeps as this exact text (not parsed as a number)."""
    return json.dumps(text)
