"""`llmcli logs`: list, show, search, export and remove stored conversations."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmcli.cli.spec import Db

if TYPE_CHECKING:
    import sqlite3

logs_app = typer.Typer(help="Browse the conversation history.", no_args_is_help=True)

Id = Annotated[str, typer.Argument(help="Conversation id (see `llmcli logs list`).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _db(path: Path | None) -> sqlite3.Connection:
    """Read-only: listing, showing and searching work on a read-only file or filesystem."""
    from llmcli import store

    return store.connect_readonly(path)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


@logs_app.command("path")
def path_cmd(db: Db = None) -> None:
    """Print where the history database is."""
    from llmcli import store

    typer.echo(str(db or store.default_path()))


@logs_app.command("list")
def list_cmd(
    number: Annotated[int, typer.Option("-n", "--number", min=1, help="How many.")] = 20,
    model: Annotated[str | None, typer.Option("--model", help="Only models matching.")] = None,
    json_out: JsonFlag = False,
    db: Db = None,
) -> None:
    """Recent conversations, newest first (TSV when piped)."""
    from llmcli import store

    rows = store.list_conversations(_db(db), number, model)
    if json_out:
        typer.echo(json.dumps([_summary(r) for r in rows], ensure_ascii=False))
        return
    # `source`: cli, or serve for the gateway's calls; last in TSV, where it adds a column
    # without moving the others.
    table = [
        (r["id"], _when(r["created_at"]), r["model"], str(r["responses"]), r["title"], _source(r))
        for r in rows
    ]
    if not sys.stdout.isatty():
        for row in table:
            typer.echo("\t".join(row))
        return
    from rich.console import Console
    from rich.table import Table

    from llmcli.controls import visible

    view = Table("id", "created", "model", "source", "answers", "title", box=None)
    for cid, when, name, answers, title, source in table:
        view.add_row(*(visible(cell) for cell in (cid, when, name, source, answers, title)))
    Console().print(view)


def _source(row: sqlite3.Row) -> str:
    # A database opened read-only may predate the column (its migration not applied).
    # (`in row` would look among the values: a Row is a sequence.)
    return str(row["source"]) if "source" in row.keys() else "cli"  # noqa: SIM118


def _summary(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "model": row["model"],
        "title": row["title"],
        "responses": row["responses"],
        "cost": row["cost"],
        "source": _source(row),
    }


def conversation_json(conn: sqlite3.Connection, cid: str) -> dict[str, Any]:
    from llmcli import store, store_fragments
    from llmcli.context import stored_summaries

    head = store.conversation(conn, cid)
    used = store_fragments.of_conversation(conn, cid)
    return {
        "id": cid,
        "title": head["title"],
        "model": head["model"],
        "created_at": head["created_at"],
        "messages": [{"role": r, "parts": p} for r, p in store.messages(conn, cid)],
        "responses": [
            {
                **{
                    k: json.loads(v) if k in ("citations", "request") and v else v
                    for k, v in r.items()
                },
                "fragments": used.get(r["id"], []),
            }
            for r in store.responses(conn, cid)
        ],
        # --context summarize: each stands for the first `covers` messages above.
        "summaries": stored_summaries(conn, cid),
    }


def conversation_markdown(data: dict[str, Any]) -> str:
    out = [
        f"# {data['title']}",
        "",
        f"`{data['id']}` · {data['model']} · {_when(data['created_at'])}",
        *_fragments_markdown(data["responses"]),
    ]
    for number, message in enumerate(data["messages"], 1):
        out += ["", f"## {message['role'].capitalize()}", ""]
        for part in message["parts"]:
            out.extend(_part_markdown(part))
        out.extend(_summaries_markdown(data.get("summaries", []), number))
    return "\n".join(out) + "\n"


def _summaries_markdown(summaries: list[dict[str, Any]], after: int) -> list[str]:
    """The summaries that replaced messages 1..`after` when sent (--context summarize),
    shown where those messages end: the later turns saw the summary, not them."""
    lines: list[str] = []
    for summary in summaries:
        if summary["covers"] != after:
            continue
        by = f", written by {summary['model']}" if summary["model"] else ""
        when = _when(summary["created_at"])
        lines += [
            "",
            "## Summary",
            "",
            f"*Stands for messages 1 to {after} in later turns{by}, {when}*",
            "",
            *("> " + line if line else ">" for line in summary["text"].splitlines()),
        ]
    return lines


def _fragments_markdown(responses: list[dict[str, Any]]) -> list[str]:
    """The fragments (-f, --sf) the prompts used: source and the start of its SHA-256."""
    lines = []
    for number, response in enumerate(responses, 1):
        for used in response.get("fragments", []):
            digest, source, flag = used["sha256"][:12], used["source"], used["flag"]
            lines.append(f"- `{digest}` {source} ({flag}), answer {number}")
    return ["", "Fragments:", "", *lines] if lines else []


def _part_markdown(part: dict[str, Any]) -> list[str]:
    kind = part.get("type")
    if kind == "text":
        return [part["text"], ""]
    if kind == "reasoning":
        if part.get("redacted") is not None:
            return ["> *(redacted thinking)*", ""]
        return ["> " + line for line in part.get("text", "").splitlines()] + [""]
    if kind == "tool_call":
        args = json.dumps(part.get("arguments"), indent=2, ensure_ascii=False)
        return [f"**tool call** `{part['name']}`", "", "```json", args, "```", ""]
    if kind == "tool_result":
        return [
            f"**tool result** `{part.get('name', '')}`",
            "",
            "```",
            part.get("content", ""),
            "```",
            "",
        ]
    return []


@logs_app.command("show")
def show_cmd(cid: Id, json_out: JsonFlag = False, db: Db = None) -> None:
    """One conversation: markdown on a terminal, plain markdown when piped, or --json."""
    data = conversation_json(_db(db), cid)
    if json_out:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    text = conversation_markdown(data)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        from llmcli.controls import visible

        Console().print(Markdown(visible(text)))  # a stored answer's escapes stay inert
    else:
        sys.stdout.write(text)


@logs_app.command("export")
def export_cmd(
    cid: Id,
    fmt: Annotated[str, typer.Option("--format", help="md or json.")] = "md",
    db: Db = None,
) -> None:
    """Write one conversation as markdown or JSON to stdout."""
    from llmcli.errors import UsageError

    if fmt not in ("md", "json"):
        raise UsageError(f"unknown --format {fmt!r}: use md or json")
    data = conversation_json(_db(db), cid)
    sys.stdout.write(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if fmt == "json"
        else conversation_markdown(data)
    )


@logs_app.command("search")
def search_cmd(
    text: Annotated[str, typer.Argument(help="Words to find (full-text search).")],
    number: Annotated[int, typer.Option("-n", "--number", min=1)] = 20,
    json_out: JsonFlag = False,
    db: Db = None,
) -> None:
    """Find messages containing TEXT; prints conversation id, role and the matching text."""
    from llmcli import store

    hits = store.search(_db(db), text, number)
    if json_out:
        typer.echo(json.dumps(hits, ensure_ascii=False))
        return
    for hit in hits:
        snippet = " ".join(hit["text"].split())[:100]
        typer.echo(f"{hit['conversation_id']}\t{hit['role']}\t{snippet}")


@logs_app.command("doctor")
def doctor_cmd(db: Db = None) -> None:
    """Check the history file; when damaged, keep its readable rows in a fresh file (the
    damaged one is set aside as logs.db.damaged-DATE)."""
    from llmcli import store
    from llmcli.store_doctor import doctor

    typer.echo(doctor(db or store.default_path()))


@logs_app.command("rm")
def rm_cmd(cid: Id, db: Db = None) -> None:
    """Delete one conversation and everything in it."""
    from llmcli import store

    store.delete(store.connect(db), cid)
    typer.echo(f"deleted {cid}", err=True)


@logs_app.command("cost")
def cost_cmd(
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="Only the last N days (today included).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Only models matching.")] = None,
    json_out: JsonFlag = False,
    db: Db = None,
) -> None:
    """Spending by day and model (USD), from the stored answers; TSV when piped."""
    from llmcli import store

    rows = store.cost_by_day(_db(db), days=days, model=model)
    data = [
        {
            "day": r["day"],
            "model": r["model"],
            "answers": r["answers"],
            "input_tokens": r["input_tokens"],
            "output_tokens": r["output_tokens"],
            "cost": r["cost"],
            "unpriced": r["unpriced"],
            **_caching(r["model"], r["input_tokens"], r["cache_read_tokens"]),
        }
        for r in rows
    ]
    total = sum(r["cost"] or 0.0 for r in data)
    if json_out:
        typer.echo(json.dumps({"rows": data, "total": round(total, 12)}, ensure_ascii=False))
        return
    table = [
        (
            r["day"],
            r["model"],
            str(r["answers"]),
            str(r["input_tokens"] or 0),
            str(r["output_tokens"] or 0),
            _usd(r["cost"]) + (f" ({r['unpriced']} unpriced)" if r["unpriced"] else ""),
            _cached(r),
        )
        for r in data
    ]
    if not sys.stdout.isatty():
        for line in table:
            typer.echo("\t".join(line))
        return
    from rich.console import Console
    from rich.table import Table

    view = Table("day", "model", "answers", "input", "output", "cost", "cache", box=None)
    for line in table:
        view.add_row(*line)
    view.add_row("total", "", "", "", "", _usd(total), "")
    Console().print(view)


def _caching(model: str, input_tokens: int | None, read: int | None) -> dict[str, Any]:
    """The prompt-cache hit ratio (cache reads / input tokens) and what the reads saved."""
    from llmcli.cost import cache_hit, cache_saving
    from llmcli.events import Usage

    usage = Usage(input_tokens=input_tokens, cache_read_tokens=read)
    provider, _, name = model.partition("/")
    hit = cache_hit(usage)
    return {
        "cache_read_tokens": read or 0,
        "cache_hit": None if hit is None else round(hit, 4),
        "cache_saved": cache_saving(provider, name, usage),
    }


def _cached(row: dict[str, Any]) -> str:
    """`40% hit, saved $0.012`, or `-` when nothing was read from a cache."""
    if not row["cache_read_tokens"] or row["cache_hit"] is None:
        return "-"
    saved = f", saved {_usd(row['cache_saved'])}" if row["cache_saved"] else ""
    return f"{row['cache_hit']:.0%} hit{saved}"


def _usd(value: float | None) -> str:
    from llmcli.render import format_usd

    return "-" if value is None else format_usd(value)


# The arena's win table lives in its own module; registered here, after the other commands.
from llmcli.cli.logs_arena import arena_cmd  # noqa: E402

logs_app.command("arena")(arena_cmd)
