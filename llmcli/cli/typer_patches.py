"""Where llmcli works around typer (0.29) rather than with it: each change is applied once
(`apply`, idempotent), guarded so that a typer without the attribute is left as it is, and
holds no per-run state. The help's group formatting is here too (`WrappingGroup`)."""

from __future__ import annotations

from typing import Any

import typer
import typer.core


def apply() -> None:
    _no_coercion_for_absent_options()
    _plain_value_names()
    _pair_options()


def _pair_options() -> None:
    """Every command's parser gives a pair option (flag.PAIR) its second word."""
    command = getattr(getattr(typer, "core", None), "TyperCommand", None)
    make_parser = getattr(command, "make_parser", None)
    if make_parser is None or getattr(make_parser, "takes_pairs", False):
        return
    from llmcli.cli.flag import PAIR

    def with_pairs(self: Any, ctx: Any) -> Any:
        return take_pairs(make_parser(self, ctx), PAIR)

    with_pairs.takes_pairs = True  # type: ignore[attr-defined]
    command.make_parser = with_pairs  # type: ignore[union-attr]


def _no_coercion_for_absent_options() -> None:
    """An option not given (None) needs no coercion: skip typer's; a given number must be
    finite (no flag takes nan or inf).

    typer (0.29) coerces every parameter through a pydantic TypeAdapter built on each run,
    given or not: `complete` has some 60 options, most of them absent, and those adapters
    were about a tenth of a one-shot run's CPU time and a megabyte of its memory. A given
    option, a default other than None and a callback (--help, --version) go through as
    before.
    """
    parameter = getattr(getattr(typer, "core", None), "_TyperParameter", None)
    coerce = getattr(parameter, "process_value", None)
    if coerce is None or getattr(coerce, "skips_absent", False):
        return

    def process_value(self: Any, ctx: Any, value: Any) -> Any:
        if value is None and not self.required and self.callback is None:
            return None
        from llmcli.cli.invalid import check_finite

        return check_finite(self, coerce(self, ctx, value))

    process_value.skips_absent = True  # type: ignore[attr-defined]
    parameter.process_value = process_value  # type: ignore[union-attr]


class WrappingGroup(typer.core.TyperGroup):
    """A group whose command list wraps each command's help line, where click cuts it
    off with `...` to fit one line."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                text = command.short_help or command.help or ""
                rows.append((name, " ".join(text.split("\n\n")[0].split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def take_pairs(parser: Any, metavar: str) -> Any:
    """Options shown with `metavar` (flag.PAIR) take `NAME VALUE` as well as `NAME=VALUE`.

    click's `nargs=2` would take the next word even after `NAME=VALUE`, so the README's
    `-p lang=French "good morning"` would lose its PROMPT: here a first word without `=`
    takes the next word as its value, and either form arrives as `NAME=VALUE` (a NAME
    holds no `=`). Shell completion parses through the same parser.
    """
    options = {**getattr(parser, "_long_opt", {}), **getattr(parser, "_short_opt", {})}
    for option in {id(o): o for o in options.values()}.values():
        if getattr(option.obj, "metavar", None) == metavar and hasattr(option, "process"):
            option.process = _pair_taker(option.process, option.obj, parser)
    return parser


def _pair_taker(process: Any, obj: Any, parser: Any) -> Any:
    def take(value: Any, state: Any) -> None:
        if isinstance(value, str) and "=" not in value:
            if not state.rargs and getattr(parser.ctx, "resilient_parsing", False):
                process(value, state)  # completing the line being typed
                return
            if not state.rargs:
                from llmcli.errors import UsageError

                flag = next((o for o in obj.opts if o.startswith("--")), obj.opts[0])
                raise UsageError(f"{flag} {value}: give its value too ({flag} NAME VALUE)")
            value = f"{value}={state.rargs.pop(0)}"
        process(value, state)

    return take


# typer 0.29's value names (`<str>`, `<int range>`, `<list[str]>`, `<path>`) → plain ones.
_PLAIN_NAMES = {"str": "TEXT", "int": "N", "float": "NUMBER", "path": "PATH", "bool": ""}


def _plain_value_names() -> None:
    """`--number N`, not `--number <int range>`, in every command's help.

    The flag tables give their own names (flag.metavar_for); this covers the options and
    arguments the `logs`, `keys`, `config`, `models` and `local` groups declare directly.
    An argument shows its name only (`PROVIDER`, not `PROVIDER <str>`).
    """
    core = getattr(typer, "core", None)
    parameter = getattr(core, "_TyperParameter", None)
    shown = getattr(parameter, "display_type", None)
    if shown is None or getattr(shown, "plain", False):
        return

    def display_type(self: Any, ctx: Any) -> str:
        label = str(shown(self, ctx)).strip("<>").removesuffix(" range")
        if label.startswith("list[") and label.endswith("]"):
            label = label[5:-1]
        if "|" in label:
            return f"[{label}]"
        return _PLAIN_NAMES.get(label, label.upper())

    display_type.plain = True  # type: ignore[attr-defined]
    parameter.display_type = display_type  # type: ignore[union-attr]
    core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[union-attr]
