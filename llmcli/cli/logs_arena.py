"""`llmcli logs arena`: the win table of the playground's arena votes."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from llmcli.cli.spec import Db


def arena_cmd(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: Db = None,
) -> None:
    """Arena votes from `llmcli serve`'s /arena page: model, wins, losses, by wins."""
    from llmcli import store, store_arena

    conn = store.connect_readonly(db)
    try:
        table = store_arena.win_table(conn)
    finally:
        conn.close()
    if json_out:
        rows = [{"model": s.model, "wins": s.wins, "losses": s.losses} for s in table]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not table:
        typer.echo("No arena votes yet (vote on `llmcli serve`'s /arena page).", err=True)
        return
    if not sys.stdout.isatty():
        for s in table:
            typer.echo(f"{s.model}\t{s.wins}\t{s.losses}")
        return
    from rich.console import Console
    from rich.table import Table

    from llmcli.controls import visible

    view = Table("model", "wins", "losses", box=None)
    for s in table:
        view.add_row(visible(s.model), str(s.wins), str(s.losses))
    Console().print(view)
