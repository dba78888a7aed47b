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


def invalid_value(flag: str, value: object, rule: str) -> str:
    return f"invalid {flag} {_shown(value)}: {rule}"


def number_rule(
    kind: type,
    low: float | None = None,
    high: float | None = None,
    *,
    above: float | None = None,
) -> str:
    """`must be a number from 0 to 2`, `must be a whole number of at least 1`...

    `above` is a strict lower bound (pydantic's `gt`): for a whole number it is the next
    one up, for a number it is said as such."""
    whole = kind is int
    noun = "a whole number" if whole else "a number"
    if above is not None:
        if whole:
            low = max(low, above + 1) if low is not None else above + 1
        elif low is None or above >= low:
            return f"must be {noun} greater than {_num(above)}"
    if low is not None and high is not None:
        return f"must be {noun} from {_num(low)} to {_num(high)}"
    if low is not None:
        return f"must be {noun} of at least {_num(low)}"
    if high is not None:
        return f"must be {noun} of at most {_num(high)}"
    return f"must be {noun}"


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
    the bounds of the `Request` field of that name (ge, gt, le)."""
    from llmcli.request import Request

    above = None
    field = Request.model_fields.get(name)
    if field is not None:
        kinds = getattr(field.annotation, "__args__", (field.annotation,))
        kind = kind or next((k for k in kinds if k is not type(None)), None)
        for meta in field.metadata:
            low = getattr(meta, "ge", low)
            above = getattr(meta, "gt", above)
            high = getattr(meta, "le", high)
    return rule_for(kind, low, high, above)


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
    text = _num(value) if isinstance(value, float) else str(value)
    # One line, and short: the value is the user's, echoed so they can find it.
    text = text.replace("\n", " ")
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
