"""`llmcli keys`: store, list and remove API keys in the private keys file.

Only typer is imported here: `--help` must stay fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

keys_app = typer.Typer(
    name="keys",
    help="Store API keys in a private file (used when no --api-key or environment key).",
    no_args_is_help=True,
)

Provider = Annotated[
    str, typer.Argument(help="Provider: openai, anthropic, deepseek, openrouter, ollama, ...")
]


@keys_app.command("set")
def set_key(provider: Provider) -> None:
    """Store a key: typed at a hidden prompt, or read from stdin when piped."""
    from llmcli import keys

    name = keys.check_provider(provider)
    key = keys.check_key(_read_key(name))
    path = keys.save_key(name, key)
    typer.echo(f"saved the {name} key ({keys.mask(key)}) in {path}", err=True)


@keys_app.command("list")
def list_keys() -> None:
    """Which providers have a key, where it comes from, and the key masked."""
    from llmcli import keys

    rows = keys.list_keys()
    width = max(len(row.provider) for row in rows)
    for row in rows:
        masked = keys.mask(row.key) if row.key else "-"
        note = " (a stored key is overridden)" if row.shadowed else ""
        typer.echo(f"{row.provider:<{width}}  {masked:<9}  {row.source}{note}")


@keys_app.command("rm")
def remove_key(provider: Provider) -> None:
    """Remove a stored key."""
    from llmcli import keys

    name = keys.check_provider(provider)
    path = keys.remove_key(name)
    typer.echo(f"removed the {name} key from {path}", err=True)


@keys_app.command("path")
def keys_path() -> None:
    """Print where the keys file lives."""
    from llmcli.keys import keys_path

    typer.echo(str(keys_path()))


def _read_key(name: str) -> str:
    stdin = sys.stdin
    if stdin is not None and not stdin.closed and stdin.isatty():
        import getpass

        return getpass.getpass(f"API key for {name} (input hidden): ")
    if stdin is None or stdin.closed:
        return ""
    try:
        return stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError:
        from llmcli.errors import UsageError

        raise UsageError("the key on stdin is not UTF-8 text") from None
