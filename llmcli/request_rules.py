"""The rules a `Request`'s bounded and choice fields follow, checked once where values
come in: the CLI's flags (cli/runner.py) and a gateway client's body (gateway/openai_in.py).
cli/invalid.py words click's refusals from the same table."""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Literal, Union

from llmcli.request import BOUNDS, CHOICES, Bound, Request
from llmcli.rule_words import number_rule


class InvalidField(ValueError):
    """A request field whose value its rule refuses; `name` is the field's name."""

    def __init__(self, name: str, value: Any, rule: str) -> None:
        super().__init__(f"{name}: {rule}")
        self.name = name
        self.value = value
        self.rule = rule


def check(req: Request) -> Request:
    """Every field of `req` against its type, then its bounds or choices: InvalidField for
    the first value refused (a None field is unset and always passes). Values come from
    parsed flags, a batch line's JSON or a gateway client's body; nothing is coerced."""
    for name, hint in _hints().items():
        value = getattr(req, name)
        if not _fits(value, hint):
            bound = BOUNDS.get(name)
            rule = _bound_words(bound) if bound else "must be " + _said(hint)
            raise InvalidField(name, value, rule)
    for name, bound in BOUNDS.items():
        value = getattr(req, name)
        if value is not None and not bound.holds(value):
            raise InvalidField(name, value, _bound_words(bound))
    for name, choices in CHOICES.items():
        value = getattr(req, name)
        if value is not None and value not in choices:
            raise InvalidField(name, value, "must be one of " + ", ".join(choices))
    return req


@functools.cache
def _hints() -> dict[str, Any]:
    """Request's fields → their types (evaluated once, on the first check)."""
    return typing.get_type_hints(Request)


def _fits(value: Any, hint: Any) -> bool:
    """Whether `value` is of type `hint`: the scalars, Literal, unions, list[X], dict and
    classes that Request's fields are made of (a list is checked item by item)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin is Literal:
        return value in typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _said(hint: Any) -> str:
    """`a string`, `true or false`, `a list of strings`..., for a refused value."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType) and len(args) == 1:
        return _said(args[0])
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin is list:
        return "a list of " + _said(args[0]).removeprefix("a ").removeprefix("an ") + "s"
    if origin is dict:
        return "an object"
    names = {str: "a string", bool: "true or false", int: "a whole number", float: "a number"}
    return names.get(hint, f"a {getattr(hint, '__name__', hint)}")


def _bound_words(bound: Bound) -> str:
    return number_rule(bound.kind, bound.low, bound.high, above=bound.above)
