"""How a rule on a value is said, in one wording for click's refusals, the request's
checks (request_rules.py) and the gateway's 400s: `must be a number from 0 to 2`.
No imports: `llmcli --help` loads it with cli/invalid.py."""

from __future__ import annotations


def number_rule(
    kind: type,
    low: float | None = None,
    high: float | None = None,
    *,
    above: float | None = None,
) -> str:
    """`must be a number from 0 to 2`, `must be a whole number of at least 1`...

    `above` is a strict lower bound: for a whole number it is the next one up, for a
    number it is said as such."""
    whole = kind is int
    noun = "a whole number" if whole else "a number"
    if above is not None:
        if whole:
            low = max(low, above + 1) if low is not None else above + 1
        elif low is None or above >= low:
            return f"must be {noun} greater than {shown_number(above)}"
    if low is not None and high is not None:
        return f"must be {noun} from {shown_number(low)} to {shown_number(high)}"
    if low is not None:
        return f"must be {noun} of at least {shown_number(low)}"
    if high is not None:
        return f"must be {noun} of at most {shown_number(high)}"
    return f"must be {noun}"


def shown_number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
