"""`llmcli mcp`: the MCP servers llmcli runs itself (config `[mcp.servers.NAME]`),
their tools, one direct call, and their stderr logs.

Only typer is imported at the top: `--help` must stay fast; the `mcp` SDK is imported
when a server is started.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from llmcli.mcp.client import Running
    from llmcli.mcp.servers import ServerSpec

mcp_app = typer.Typer(
    name="mcp",
    help="MCP servers llmcli runs for any provider: list them, their tools, call one, logs.",
    no_args_is_help=True,
)
Name = Annotated[
    str, typer.Argument(help="A server of the config, or NAME='COMMAND ARGS' (one not in it).")
]


@mcp_app.command("list")
def list_servers() -> None:
    """The configured servers: whether each starts, and how many tools it has."""
    from llmcli.config import settings
    from llmcli.mcp.client import ServerFailed, hub
    from llmcli.mcp.servers import configured, require_sdk

    specs = configured(settings())
    if not specs:
        typer.echo("no MCP servers: add [mcp.servers.NAME] to the config (README: MCP servers)")
        return
    require_sdk()
    from llmcli.mcp.tools import start_all

    enabled = [spec for spec in specs if spec.enabled]
    outcomes = dict(zip([s.name for s in enabled], start_all(hub(), enabled), strict=True))
    for spec in specs:
        outcome = outcomes.get(spec.name)
        if outcome is None:
            typer.echo(f"{spec.name:<16} disabled     {spec.where}")
        elif isinstance(outcome, ServerFailed):
            typer.echo(f"{spec.name:<16} fails        {outcome}")
        else:
            count = f"{len(outcome.tools)} tools"
            started = f"({outcome.started_ms} ms to start)"
            typer.echo(f"{spec.name:<16} {count:<12} {spec.where} {started}")
    _stop()


@mcp_app.command("tools")
def tools(name: Name) -> None:
    """A server's tools with their descriptions and input schemas."""
    running = _start(name)
    for tool in running.tools:
        typer.echo(f"{tool.name}: {tool.description or ''}".rstrip())
        typer.echo(_indent(json.dumps(tool.schema, indent=2, ensure_ascii=False)))
    _stop()


@mcp_app.command("call")
def call(
    name: Name,
    tool: Annotated[str, typer.Argument(help="The tool's name as the server lists it.")],
    args: Annotated[str, typer.Option("--args", help="The arguments as a JSON object.")] = "{}",
    timeout: Annotated[
        float, typer.Option("--tool-timeout", min=0.1, help="Seconds before the call is cancelled.")
    ] = 300.0,
) -> None:
    """Call one tool and print its result (exit 1 when the tool reports an error)."""
    from llmcli.errors import LlmcliError, UsageError
    from llmcli.mcp.client import hub

    try:
        arguments = json.loads(args)
    except ValueError as err:
        raise UsageError(f"invalid --args: not JSON ({err})") from None
    if not isinstance(arguments, dict):
        raise UsageError('invalid --args: give a JSON object, e.g. \'{"timezone": "UTC"}\'')
    running = _start(name)
    if tool not in {t.name for t in running.tools}:
        listed = ", ".join(t.name for t in running.tools)
        _stop()
        raise UsageError(f"{running.spec.name} has no tool {tool!r}: it has {listed}")
    try:
        result = hub().call(running, tool, arguments, timeout)
    except TimeoutError:
        raise LlmcliError(f"{tool}: no result within {timeout:g} s (cancelled)") from None
    finally:
        _stop()
    _print_result(result)
    if result.is_error:
        raise LlmcliError(f"{tool} reported an error")


@mcp_app.command("logs")
def logs(name: Annotated[str, typer.Argument(help="The server's name.")]) -> None:
    """Print the stderr of the server's last start (kept off the terminal while it runs)."""
    from llmcli.errors import UsageError
    from llmcli.mcp.servers import log_path

    path = log_path(name)
    if not path.is_file():
        raise UsageError(f"no log for MCP server {name} ({path}): it has not run yet")
    sys.stdout.write(path.read_text(encoding="utf-8", errors="replace"))


def _spec(name: str) -> ServerSpec:
    from llmcli.config import settings
    from llmcli.mcp.servers import select

    specs = select([name], settings())
    return specs[0]


def _start(name: str) -> Running:
    from llmcli.mcp.client import hub

    return hub().start(_spec(name))


def _stop() -> None:
    from llmcli.mcp.client import stop_all

    stop_all()


def _print_result(result: Any) -> None:
    from llmcli.mcp.results import to_part

    part = to_part(result, "call", "call", "")
    typer.echo(part.content)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
