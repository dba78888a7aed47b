"""How a flag is declared (`Flag`) and how a command takes its parameters from a table of
them (`signature`): typer reads the `__signature__` this sets. The tables are in `spec`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import typer.core

# The help panels, in the order `--help` lists them: the everyday flags first. A panel
# not named here (a command's own) comes after these, in the order its flags come.
REQUEST = "Model and answer"  # the default help panel
MORE = "More request settings"
TOOLS = "Tools and attachments"
CONNECTION = "Connection"
HISTORY = "History and output"
PANELS = (REQUEST, MORE, TOOLS, CONNECTION, HISTORY)
# The value name of an option that takes a pair, `-p NAME VALUE` (or `-p NAME=VALUE`): the
# command's parser gives it the second word (typer_patches.take_pairs); it arrives as
# `NAME=VALUE`, one item per use.
PAIR = "NAME VALUE"


@dataclass(frozen=True)
class Flag:
    name: str  # the parameter name (and the `Request` field it feeds when `request`)
    type: Any
    default: Any
    decls: tuple[str, ...]
    help: str
    panel: str | None
    request: bool = False
    feeds: str | None = None  # the `Request` field it feeds under another name
    spelled: str | None = None  # how messages spell it, where not its long form
    click: dict[str, Any] = field(default_factory=dict)  # min, envvar, metavar...

    @property
    def spelling(self) -> str:
        """As messages spell it: the long form (`--stream` for `--stream/--no-stream`)
        unless the flag says otherwise."""
        longs = [d for d in self.decls if d.startswith("--")]
        return self.spelled or (longs or list(self.decls))[0].split("/")[0]

    @property
    def repeatable(self) -> bool:
        kinds = getattr(self.type, "__args__", ())
        return any(getattr(t, "__origin__", None) is list for t in kinds)

    def option(self) -> Any:
        click = {"metavar": metavar_for(self.type, self.click), **self.click}
        return typer.Option(*self.decls, help=self.help, rich_help_panel=self.panel, **click)

    def parameter(self) -> inspect.Parameter:
        return inspect.Parameter(
            self.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=self.default,
            annotation=Annotated[self.type, self.option()],
        )

    def normal(self, value: Any) -> Any:
        """Typer hands over None for a repeatable option not given, and enums for choices."""
        if self.repeatable:
            return list(value or [])
        return value.value if isinstance(value, Enum) else value


# The word `--help` shows for a value, by type: typer 0.29 would print `<str>`,
# `<list[str]>` or `<int range>`. A declaration's own `metavar` wins.
_METAVARS: dict[Any, str] = {str: "TEXT", int: "N", float: "NUMBER", Path: "FILE"}


def metavar_for(kind: Any, click: dict[str, Any]) -> str | None:
    """`TEXT`, `N`, `NUMBER`, `FILE` (`DIR` when files are refused), `[a|b|c]` for a choice;
    None for an on/off flag, which takes no value."""
    kinds = [k for k in getattr(kind, "__args__", (kind,)) if k is not type(None)]
    kind = kinds[0] if kinds else kind
    if getattr(kind, "__origin__", None) is list:  # repeatable: one value each time
        kind = kind.__args__[0]
    if kind is bool:
        return None
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "[" + "|".join(str(m.value) for m in kind) + "]"  # as click shows a choice
    if kind is Path and click.get("file_okay") is False:
        return "DIR"
    return _METAVARS.get(kind, "VALUE")


def declare(
    name: str,
    type: Any,
    default: Any,
    *decls: str,
    help: str,
    panel: str | None = REQUEST,
    request: bool = False,
    feeds: str | None = None,
    spelled: str | None = None,
    **click: Any,
) -> Flag:
    return Flag(name, type, default, decls, help, panel, request, feeds, spelled, click)


def argument(name: str, type: Any, help: str) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=None,
        annotation=Annotated[type, typer.Argument(help=help, metavar=name.upper())],
    )


Command = TypeVar("Command", bound=Callable[..., None])


def signature(flags: Sequence[Flag], *arguments: inspect.Parameter) -> Callable[[Command], Command]:
    """Give a command its parameters from the spec: `arguments`, then `flags` in order.

    A command that names its parameters (for type checking) must name exactly these;
    one that takes `**given` gets them all as keywords.
    """

    def apply(command: Command) -> Command:
        params = [*arguments, *(f.parameter() for f in flags)]
        own = inspect.signature(command).parameters.values()
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in own):
            names = [p.name for p in own]
            if names != [p.name for p in params]:
                raise TypeError(f"{command.__name__}: parameters differ from the spec")
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return apply


class PanelledCommand(typer.core.TyperCommand):
    """A command whose help lists its options under their panels, the everyday ones first.

    The app prints click's plain help (`rich_markup_mode=None`): it wraps long help and
    long values onto more lines, where typer's rich panels at 80 columns cut them off with
    `…` and squeeze the help into a narrow column.
    """

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, panels = [], dict[str, list[tuple[str, str]]]()
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":  # typer would add `<str>`
                arguments.append((param.metavar or str(param.name).upper(), record[1]))
            else:
                panel = getattr(param, "rich_help_panel", None) or "Options"
                panels.setdefault(panel, []).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        # Stable: panels the order does not name keep the order their flags come in.
        for name in sorted(panels, key=lambda n: PANELS.index(n) if n in PANELS else len(PANELS)):
            with formatter.section(name):
                formatter.write_dl(panels[name])
