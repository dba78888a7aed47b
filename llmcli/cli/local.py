"""`llmcli local`: run a llama.cpp server for other tools (the local/ provider's server).

Only typer is imported here: `--help` must stay fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from llmcli.local.server import LocalServer

local_app = typer.Typer(
    name="local",
    help="Local models run by llama.cpp (the local/ provider).",
    no_args_is_help=True,
)


@local_app.command("serve")
def serve(
    model: Annotated[
        str,
        typer.Argument(help="A catalog name (smollm2), local/NAME, or a path to a .gguf file."),
    ] = "smollm2",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free one).")
    ] = 8080,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            "--local-threads",
            min=1,
            envvar="LLMCLI_LOCAL_THREADS",
            help="CPU threads (default 1: fastest on a small, busy machine).",
        ),
    ] = None,
    context: Annotated[
        int | None,
        typer.Option("--ctx-size", min=0, help="Context size (default: from the catalog)."),
    ] = None,
    embeddings: Annotated[
        bool, typer.Option("--embeddings", help="Serve /v1/embeddings as well.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show llama.cpp's log on stderr.")
    ] = False,
) -> None:
    """Serve a local model in the foreground (OpenAI /v1 and Anthropic /v1/messages) until
    Ctrl-C. Prints the OpenAI base URL on stdout."""
    from llmcli.errors import LlmcliError
    from llmcli.local.models import ensure
    from llmcli.local.server import LocalServer, failure_reason

    local = ensure(model)
    server = LocalServer(
        local,
        threads=threads,
        host=host,
        port=port,
        embeddings=embeddings,
        context=context,
        log=sys.stderr if verbose else None,
    )
    _stop_on_sigterm()
    try:
        server.start()
        _announce(server)
        code = server.wait()
        reason = failure_reason(server.log_text())
        raise LlmcliError(
            f"the llama.cpp server stopped (exit status {code})" + (f": {reason}" if reason else "")
        )
    except KeyboardInterrupt:
        typer.echo("llmcli: stopped", err=True)
    finally:
        server.stop()


def _announce(server: LocalServer) -> None:
    threads = f"{server.threads} thread{'s' if server.threads != 1 else ''}"
    typer.echo(
        f"llmcli: serving {server.model.path.name} on {server.root_url} ({threads}, context"
        f" {server.context}, started in {server.started_in or 0:.1f} s); Ctrl-C stops it\n"
        f"  OpenAI:    {server.base_url}  (llmcli complete -m local/{server.model.alias}"
        f" --api-base {server.base_url} ...)\n"
        f"  Anthropic: {server.root_url}/v1/messages",
        err=True,
    )
    typer.echo(server.base_url)


def _stop_on_sigterm() -> None:
    """A supervisor's SIGTERM stops the server the way Ctrl-C does."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
