"""The `llmcli` command: the Typer root, subcommands, and errors → one line + exit code.

Exit codes: 0 success, 1 provider/network/answer error, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import sys
from typing import Any

import typer

from llmcli.cli import typer_patches

# The subcommands, in the order `llmcli --help` lists them: name → (module, attribute,
# options of `app.command`). Commands are functions; groups are Typer apps.
_COMMANDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "complete": ("llmcli.cli.complete", "complete", {"no_args_is_help": False}),
    "chat": ("llmcli.cli.chat", "chat", {}),
    "embed": ("llmcli.cli.embed", "embed", {}),
    "image": ("llmcli.cli.image", "image", {}),
    "serve": ("llmcli.cli.serve", "serve", {}),
}
_GROUPS: dict[str, tuple[str, str]] = {
    "logs": ("llmcli.cli.logs", "logs_app"),
    "keys": ("llmcli.cli.keys", "keys_app"),
    "config": ("llmcli.cli.config", "config_app"),
    "models": ("llmcli.cli.models", "models_app"),
    "local": ("llmcli.cli.local", "local_app"),
    "batch": ("llmcli.cli.batch", "batch_app"),
    "templates": ("llmcli.cli.templates", "templates_app"),
}


def build_app(only: str | None = None, *, stand_ins: bool = False) -> typer.Typer:
    """The root app with every subcommand, or `only` that one.

    Typer turns every registered command into click parameters before it parses anything
    (`complete` alone has some 60 options), which was most of a run's start-up. With
    `stand_ins`, the subcommands are listed by stand-ins that carry only their help
    line, so `llmcli --help` and click's "no such command" read exactly as with the full
    app, at a fraction of the cost.
    """
    typer_patches.apply()
    root_app = typer.Typer(
        name="llmcli",
        help="Chat with and script against many LLM providers from one command line.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        # click's plain help, for every command and group: it wraps what does not fit,
        # where typer's rich panels cut entries off with `…` at 80 columns (flag.py lays
        # the options out in panels).
        rich_markup_mode=None,
        cls=typer_patches.WrappingGroup,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root_app.callback()(root)
    for name, (module, attribute, options) in _COMMANDS.items():
        if only in (None, name):
            command = getattr(importlib.import_module(module), attribute)
            if stand_ins:
                root_app.command(name, **options)(_stand_in(command))
            else:
                root_app.command(name, **options, **_help_layout(name))(command)
    for name, (module, attribute) in _GROUPS.items():
        if only in (None, name):
            group: typer.Typer = getattr(importlib.import_module(module), attribute)
            group = _stand_in_group(group) if stand_ins else group
            root_app.add_typer(group, name=name, cls=typer_patches.WrappingGroup)
    return root_app


def _help_layout(name: str) -> dict[str, Any]:
    """Options in panels, and the examples that end a command's help (the command's
    module has imported the flag tables already)."""
    from llmcli.cli.flag import PanelledCommand
    from llmcli.cli.spec import EXAMPLES

    return {"cls": PanelledCommand, "epilog": EXAMPLES.get(name)}


def _stand_in(command: Any) -> Any:
    """A command without parameters, listed with `command`'s help; it never runs."""

    def stand_in() -> None:
        raise AssertionError(f"{command.__name__} was not built")  # pragma: no cover

    stand_in.__doc__ = command.__doc__
    return stand_in


def _stand_in_group(group: typer.Typer) -> typer.Typer:
    """A group without subcommands, listed with `group`'s help."""
    stand_in = typer.Typer()
    stand_in.info = group.info
    return stand_in


@functools.cache
def _full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> Any:
    # `app` (the full app: docs, completions, tests) is built on first use only.
    if name == "app":
        return _full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app_for(args: list[str]) -> typer.Typer:
    """The app `main` runs: only the subcommand named in `args`, else stand-ins for all.

    The root takes no option with a value, so the first word not starting with `-` is
    the subcommand. Shell completion (click's `_LLMCLI_COMPLETE` protocol) reads the
    whole tree, so it gets the full app.
    """
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return _full_app()
    name = next((a for a in args if not a.startswith("-")), None)
    if name in _COMMANDS or name in _GROUPS:
        return build_app(name)
    return build_app(stand_ins=True)  # the root's help, or click's "no such command"


def _version(value: bool) -> None:
    if value:
        from llmcli import __version__

        typer.echo(f"llmcli {__version__}")
        raise typer.Exit()


def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Chat with and script against many LLM providers from one command line."""


def main() -> None:
    """Entry point: never a traceback unless --debug (or LLMCLI_DEBUG=1)."""
    from llmcli.errors import LlmcliError

    # Start-up allocates tens of thousands of long-lived objects (typer, pydantic, httpx):
    # freezing them keeps the collector from walking them again, at exit above all.
    gc.freeze()

    debug = "--debug" in sys.argv[1:] or bool(os.environ.get("LLMCLI_DEBUG"))
    try:
        # Not standalone: click's own usage errors come here, to be one line like ours.
        code = _app_for(sys.argv[1:])(standalone_mode=False)
    except LlmcliError as err:
        # Imported here: the flag tables pull in typer options for every flag, which
        # `llmcli --help` and most runs never need.
        from llmcli.cli.spec import spoken

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
    from llmcli.cli.invalid import click_line

    line = click_line(err)  # a value of the wrong type or out of range: one wording
    if line is not None:
        _fail(line, err.exit_code)
    text = " ".join(str(err.format_message()).replace("Value error, ", "").split()).rstrip(".")
    names = []
    ctx = getattr(err, "ctx", None)
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    from llmcli.cli.spec import RETIRED

    instead = RETIRED.get((" ".join(reversed(names)), str(getattr(err, "option_name", ""))))
    if instead:
        text = f"{text}: use {instead}"
    hint = f" (see {' '.join(['llmcli', *reversed(names)])} --help)" if ctx is not None else ""
    _fail(text[:1].lower() + text[1:] + hint, err.exit_code)


def _fail(message: str, code: int) -> None:
    from llmcli.controls import for_stream

    sys.stdout.flush()
    sys.stderr.write(for_stream(f"llmcli: {message}\n", sys.stderr))  # a server's words too
    sys.exit(code)
