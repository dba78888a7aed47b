"""One wording for every invalid flag value, whether click refused it while parsing or the
`Request` refused it while validating:

    invalid --top-p 'nan': must be a number from 0 to 1

The rule is said from what the flag declares (its type, click's min/max, the `Request`
field's bounds), not from pydantic's message ("input should be less than or equal to 2"
for a NaN that is no number at all).
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

from llmcli.errors import UsageError
from llmcli.rule_words import number_rule, shown_number


def invalid_value(flag: str, value: object, rule: str) -> str:
    return f"invalid {flag} {_shown(value)}: {rule}"


def choice_rule(choices: type[Enum]) -> str:
    return "must be one of " + ", ".join(str(c.value) for c in choices)


def rule_for(kind: Any, low: float | None, high: float | None, above: float | None) -> str | None:
    """The rule for a value of `kind` (int, float or an Enum), or None for other kinds."""
    if isinstance(kind, type) and issubclass(kind, Enum):
        return choice_rule(kind)
    if kind in (int, float):
        return number_rule(kind, low, high, above=above)
    return None


def field_rule(name: str, kind: Any = None, low: Any = None, high: Any = None) -> str | None:
    """The rule for flag/field `name`: its kind and click bounds (when given) joined with
    the bounds of the `Request` field of that name (request_rules.BOUNDS)."""
    from llmcli.request import BOUNDS, CHOICES

    bound = BOUNDS.get(name)
    if bound is not None:
        kind = kind or bound.kind
        low = bound.low if bound.low is not None else low
        high = bound.high if bound.high is not None else high
        return rule_for(kind, low, high, bound.above)
    if name in CHOICES and kind is None:
        return "must be one of " + ", ".join(CHOICES[name])
    return rule_for(kind, low, high, None)


def param_rule(param: Any) -> str | None:
    descriptor = getattr(param, "type_descriptor", None)
    kind = getattr(descriptor, "annotation", None)
    return field_rule(
        str(param.name), kind, getattr(param, "min", None), getattr(param, "max", None)
    )


def check_finite(param: Any, value: Any) -> Any:
    """A float flag given `nan` or `inf` (which Python's float() takes): refused, as a
    number out of any range would be. Called after click converted the value."""
    if isinstance(value, float) and not math.isfinite(value):
        flag = long_name(getattr(param, "opts", []) or [str(param.name)])
        raise UsageError(invalid_value(flag, value, param_rule(param) or "must be a number"))
    return value


def click_line(err: Any) -> str | None:
    """A click/typer `BadParameter` raised by typer's pydantic coercion, in our wording;
    None when it is another kind of error (a missing value, a bad path...)."""
    param = getattr(err, "param", None)
    cause = err.__cause__
    if param is None or not hasattr(cause, "errors"):
        return None
    first = cause.errors()[0]
    rule = param_rule(param)
    if rule is None:
        return None
    return invalid_value(long_name(param.opts), first.get("input"), rule)


def long_name(opts: list[str]) -> str:
    longs = [o for o in opts if o.startswith("--")]
    return (longs or opts)[0]


def _shown(value: object) -> str:
    text = shown_number(value) if isinstance(value, float) else str(value)
    # One line, and short: the value is the user's, echoed so they can find it.
    text = text.replace("\n", " ")
    return repr(text if len(text) <= 60 else text[:57] + "...")
