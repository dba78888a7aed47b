"""`llmcli config`: where the config file is, what it says, and changing it.

Only typer is imported here: `--help` must stay fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

config_app = typer.Typer(
    name="config",
    help="Show and change the config file (default model, aliases, per-provider settings).",
    no_args_is_help=True,
)

Key = Annotated[
    str, typer.Argument(help="Dotted key, e.g. model, aliases.fast, providers.openai.api_base.")
]

_VALUE_HELP = 'Parsed as TOML or JSON when it parses (true, 42, ["a"]); else kept as text.'


@config_app.command("path")
def config_path() -> None:
    """Print where the config file lives."""
    from llmcli.config import config_path

    typer.echo(str(config_path()))


@config_app.command("show")
def show() -> None:
    """Print the settings as TOML (defaults included), after checking the file."""
    from llmcli.config import config_path, load_config, show_data
    from llmcli.tomlfile import dumps

    path = config_path()
    note = "" if path.exists() else " (not created yet: defaults)"
    typer.echo(f"# {path}{note}")
    typer.echo(dumps(show_data(load_config(path))), nl=False)


@config_app.command("edit")
def edit() -> None:
    """Open the config file in $VISUAL or $EDITOR (creating it first), then check it."""
    from llmcli.config import edit

    edit()


@config_app.command("set")
def set_value(
    key: Key,
    value: Annotated[str, typer.Argument(help=_VALUE_HELP)],
) -> None:
    """Set one setting, e.g. `llmcli config set providers.openai.api_base URL`."""
    from llmcli.config import config_path, set_value, split_key
    from llmcli.tomlfile import format_key, format_value

    stored = set_value(key, value)
    typer.echo(
        f"{format_key(split_key(key))} = {format_value(stored)} (in {config_path()})", err=True
    )


@config_app.command("unset")
def unset(key: Key) -> None:
    """Remove one setting."""
    from llmcli.config import config_path, unset_value
    from llmcli.errors import LlmcliError

    if not unset_value(key):
        raise LlmcliError(f"'{key}' is not set in {config_path()}")
    typer.echo(f"removed {key} from {config_path()}", err=True)
