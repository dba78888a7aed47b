"""The `llmcli` command: the Typer root, subcommands, and errors → one line + exit code.

Exit codes: 0 success, 1 provider/network/answer error, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import typer

from llmcli.cli.chat import chat
from llmcli.cli.complete import complete
from llmcli.cli.config import config_app
from llmcli.cli.embed import embed
from llmcli.cli.image import image
from llmcli.cli.keys import keys_app
from llmcli.cli.local import local_app
from llmcli.cli.logs import logs_app
from llmcli.cli.models import models_app
from llmcli.cli.spec import RETIRED

app = typer.Typer(
    name="llmcli",
    help="Chat with and script against many LLM providers from one command line.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command(no_args_is_help=False)(complete)
app.command()(chat)
app.command()(embed)
app.command()(image)
app.add_typer(logs_app, name="logs")
app.add_typer(keys_app, name="keys")
app.add_typer(config_app, name="config")
app.add_typer(models_app, name="models")
app.add_typer(local_app, name="local")


def _version(value: bool) -> None:
    if value:
        from llmcli import __version__

        typer.echo(f"llmcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Chat with and script against many LLM providers from one command line."""


def main() -> None:
    """Entry point: never a traceback unless --debug (or LLMCLI_DEBUG=1)."""
    from llmcli.cli.spec import spoken
    from llmcli.errors import LlmcliError

    # Start-up allocates tens of thousands of long-lived objects (typer, pydantic, httpx):
    # freezing them keeps the collector from walking them again, at exit above all.
    gc.freeze()

    debug = "--debug" in sys.argv[1:] or bool(os.environ.get("LLMCLI_DEBUG"))
    try:
        # Not standalone: click's own usage errors come here, to be one line like ours.
        code = app(standalone_mode=False)
    except LlmcliError as err:
        _fail(spoken(err), err.exit_code)
    except _CLICK_ERROR as err:
        _click_failure(err)
    except typer.Abort as err:
        # click turns Ctrl-C (and EOF at one of its prompts) into Abort.
        if isinstance(err.__cause__, KeyboardInterrupt):
            _fail("interrupted", 130)
        _fail("aborted", 1)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (`llmcli complete ... | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except Exception as err:
        if debug:
            raise
        _fail(f"internal error: {type(err).__name__}: {err} (run with --debug for details)", 1)
    # typer.Exit(N) comes back as N; a command's own return value (None) means success.
    code = code if isinstance(code, int) and not isinstance(code, bool) else 0
    if code == 130:  # typer's answer to a Ctrl-C outside our own handling
        _fail("interrupted", 130)
    sys.exit(code)


# click's base error, vendored by typer (>= 0.22) or from click itself: bad flags and
# arguments (UsageError, exit status 2) and a few others.
_CLICK_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def _click_failure(err: Any) -> None:
    """`llmcli: no such option: --nosuch (see llmcli complete --help)`, not a box."""
    if type(err).__name__ == "NoArgsIsHelpError":  # the help is already printed
        sys.exit(err.exit_code)
    text = " ".join(str(err.format_message()).replace("Value error, ", "").split()).rstrip(".")
    names = []
    ctx = getattr(err, "ctx", None)
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    instead = RETIRED.get((" ".join(reversed(names)), str(getattr(err, "option_name", ""))))
    if instead:
        text = f"{text}: use {instead}"
    hint = f" (see {' '.join(['llmcli', *reversed(names)])} --help)" if ctx is not None else ""
    _fail(text[:1].lower() + text[1:] + hint, err.exit_code)


def _fail(message: str, code: int) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"llmcli: {message}\n")
    sys.exit(code)
