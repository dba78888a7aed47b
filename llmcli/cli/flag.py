"""How a flag is declared (`Flag`) and how a command takes its parameters from a table of
them (`signature`): typer reads the `__signature__` this sets. The tables are in `spec`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer

REQUEST = "Request"  # the default help panel


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
        return typer.Option(*self.decls, help=self.help, rich_help_panel=self.panel, **self.click)

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
        annotation=Annotated[type, typer.Argument(help=help)],
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
