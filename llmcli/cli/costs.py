"""--estimate, --max-cost and the daily budget (`budget.daily_usd`), checked after the
request is built and before it is sent (llmcli/cost.py does the sums)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer

from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.cli.spec import Flags
    from llmcli.cost import Estimate
    from llmcli.policy import Policy
    from llmcli.providers.base import ChatProvider
    from llmcli.request import Request
    from llmcli.transport import Connection


def guard(
    flags: Flags, req: Request, provider: ChatProvider, conn: Connection, policy: Policy
) -> None:
    """Print the estimate and stop (--estimate), or refuse a request over --max-cost or
    over what is left of today's budget (--force sends it anyway)."""
    from llmcli.config import settings

    daily = settings().budget.daily_usd
    if not flags.estimate and flags.max_cost is None and daily is None:
        return
    from llmcli import cost

    counted = None
    if flags.estimate or flags.max_cost is not None:  # worth a (free) round trip
        counted = cost.count_input(req, provider, conn, policy)
    found = cost.estimate(req, counted)
    if flags.estimate:
        _show(found, flags.json)
        raise typer.Exit(0)
    if flags.max_cost is not None:
        _check_max(found, flags.max_cost)
    if daily is not None and not flags.force:
        _check_daily(found, daily, flags)


def _show(found: Estimate, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(found.as_json()) + "\n")
        return
    most = f"{found.max_output:,}" if found.max_output is not None else "unknown"
    sys.stdout.write(
        f"{found.model}: {found.tokens_text()}, at most {most} output tokens\n"
        f"cost: {_range(found)}\n"
    )


def _range(found: Estimate) -> str:
    from llmcli.render import format_usd

    if found.low is None:
        return "unknown (no price for the model in the catalog)"
    if found.high is None:
        return f"at least {format_usd(found.low)} (no bound on the answer's length)"
    return f"{format_usd(found.low)} to {format_usd(found.high)} (catalog prices)"


def _check_max(found: Estimate, limit: float) -> None:
    from llmcli.render import format_usd

    if found.high is None:
        why = "the model has no price in the catalog" if found.low is None else "set --max-tokens"
        raise UsageError(f"--max-cost cannot be checked: {why}")
    if found.high > limit:
        raise UsageError(
            f"this request may cost up to {format_usd(found.high)} ({found.tokens_text()}, "
            f"at most {found.max_output:,} output tokens), over --max-cost {format_usd(limit)}: "
            "lower --max-tokens or raise --max-cost"
        )


def _check_daily(found: Estimate, daily: float, flags: Flags) -> None:
    from llmcli import cost
    from llmcli.render import format_usd

    spent = cost.spent_today(flags.db)
    worst = found.high or 0.0
    if spent + worst <= daily:
        return
    ask = f" + up to {format_usd(worst)} for this request" if worst else ""
    raise UsageError(
        f"over the daily budget of {format_usd(daily)} (budget.daily_usd): "
        f"{format_usd(spent)} spent today{ask}; the day resets at local midnight "
        f"(in {cost.reset_in()}); --force sends it anyway"
    )
