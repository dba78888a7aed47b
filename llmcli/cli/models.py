"""`llmcli models`: the model catalog (list, show), the default model and aliases, and
local model files (`pull`, for the `local/` provider).

Only typer is imported here: `--help` must stay fast. One function per subcommand,
each importing what it needs when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from llmcli.cli import spec

if TYPE_CHECKING:
    from pathlib import Path

    from llmcli.local.catalog import CatalogEntry

models_app = typer.Typer(
    name="models",
    help="Models: the catalog (capabilities, prices), live lists, the default model, "
    "aliases; pull local models.",
    no_args_is_help=True,
)


@models_app.command("pull")
def pull(
    model: Annotated[
        str,
        typer.Argument(
            help="local/NAME from the catalog (e.g. local/smollm2), or the http(s) URL of a"
            " .gguf file.",
            show_default=False,
        ),
    ],
    sha256: Annotated[
        str | None,
        typer.Option("--sha256", help="Expected SHA-256 of a file pulled by URL."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Download again even when the file is there.")
    ] = False,
) -> None:
    """Download a model into the models directory (resumable, verified); prints its path."""
    from llmcli.errors import UsageError
    from llmcli.local.models import models_dir, resolve, strip_prefix
    from llmcli.local.pull import pull_url

    if model.startswith(("http://", "https://")):
        path = pull_url(model, models_dir(), sha256=sha256, force=force)
        typer.echo(f"use it with: -m local/{path.stem}", err=True)
        typer.echo(str(path))
        return
    local = resolve(model)
    if local.entry is None:
        raise UsageError(
            f"{strip_prefix(model)} is a file, not a catalog model: nothing to pull"
            " (use -m local/PATH directly)"
        )
    if sha256 is not None:
        raise UsageError("--sha256 is for URLs: catalog models are always verified")
    _pull_entry(local.entry, local.path, force)
    typer.echo(str(local.path))


def _pull_entry(entry: CatalogEntry, path: Path, force: bool) -> None:
    from llmcli.local.download import sha256_file
    from llmcli.local.pull import pull_entry

    if path.is_file() and not force:
        if sha256_file(path) == entry.sha256:
            typer.echo(f"llmcli: local/{entry.name} is already there (SHA-256 verified)", err=True)
            return
        typer.echo(f"llmcli: {path} does not match the catalog: pulling it again", err=True)
    typer.echo(
        f"llmcli: pulling local/{entry.name} ({entry.size / 1e6:.0f} MB, {entry.license})",
        err=True,
    )
    pull_entry(entry, path)


# ---- the model catalog: list, show, default, aliases ----------------------------------

JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@models_app.command("list")
@spec.signature(spec.MODELS_LIST)
def list_cmd(
    *,
    provider: str | None,
    capability: list[str] | None,
    query: str | None,
    live: bool,
    json_out: bool,
    api_key: str | None,
    api_base: str | None,
    timeout: float,
    debug: bool,
) -> None:
    """Models with context window, most output, capabilities and prices (USD per million
    tokens): llmcli's catalog, or with --live the provider's own list. TSV when piped."""
    from llmcli.cli import model_table

    wanted = model_table.capabilities(capability or [])
    if live:
        found = model_table.live(provider, api_key, api_base, timeout, debug)
    else:
        found = model_table.catalog_models(provider)
    rows = model_table.select(found, wanted, query)
    model_table.show(rows, json_out, live=live)


@models_app.command("show")
def show_cmd(
    model: Annotated[str, typer.Argument(help="PROVIDER/MODEL or an alias.", show_default=False)],
    json_out: JsonOut = False,
) -> None:
    """One model from the catalog: limits, capabilities, prices and aliases."""
    from llmcli.cli import model_table

    model_table.show_one(model, json_out)


@models_app.command("default")
def default_cmd(
    model: Annotated[
        str | None, typer.Argument(help="Make this the default model (-m).", show_default=False)
    ] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Remove the default.")] = False,
) -> None:
    """Print the default model, or set it (stored as `model` in the config file)."""
    from llmcli.cli import model_table

    model_table.default(model, unset)


@models_app.command("alias")
def alias_cmd(
    name: Annotated[str, typer.Argument(help="The alias, usable with -m.", show_default=False)],
    model: Annotated[
        str | None, typer.Argument(help="PROVIDER/MODEL it stands for.", show_default=False)
    ] = None,
    remove: Annotated[bool, typer.Option("--rm", help="Remove the alias.")] = False,
) -> None:
    """Set an alias (`models alias fast openai/gpt-4o-mini`), print one, or --rm it."""
    from llmcli.cli import model_table

    model_table.alias(name, model, remove)


@models_app.command("aliases")
def aliases_cmd(json_out: JsonOut = False) -> None:
    """The aliases in the config file (NAME, tab, MODEL)."""
    from llmcli.cli import model_table

    model_table.list_aliases(json_out)
