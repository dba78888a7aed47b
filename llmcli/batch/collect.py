"""Batch results → the output lines of `batch run`, decoded by the live decoders.

A succeeded line's body goes through the provider's `decode` into the `Result` that
`complete --json` prints; a failed call's body through its `decode_error` into the same
error shape as live mode; a request the batch never ran (expired, canceled) gets an
error line saying so. Usage is priced at the batch discount.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.batch.output import open_append, resume
from llmcli.errors import DecodeError
from llmcli.events import Accumulator, Result
from llmcli.providers.batch_api import DISCOUNT, LineOutcome

if TYPE_CHECKING:
    from llmcli.batch.logbook import InputIndex
    from llmcli.providers.base import ChatProvider

# Why a request has no result, by the kind its line gives.
NOT_RUN = {
    "expired": "the batch expired before this request ran",
    "batch_expired": "the batch expired before this request ran",
    "canceled": "the batch was canceled before this request ran",
    "batch_cancelled": "the batch was canceled before this request ran",
}


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    tokens: int = 0
    cost: float = 0.0

    def summary(self, what: str) -> str:
        from llmcli.render import format_usd

        return (
            f"llmcli: {what}: {self.ok} done, {self.failed} failed, {self.skipped} skipped,"
            f" {self.tokens:,} tokens, {format_usd(self.cost)} (batch price)"
        )


def output_line(
    outcome: LineOutcome, chat: ChatProvider, provider: str, model: str
) -> tuple[dict[str, Any], Result | None]:
    """One result → (the output line, the decoded answer when it succeeded)."""
    if outcome.body is not None and outcome.status == 200:
        try:
            result = _decode(outcome.body, chat, provider, model)
        except DecodeError as err:
            return _line(outcome, None, "decode_error", None, f"{provider}: {err}"), None
        return {"custom_id": outcome.custom_id, "result": result.as_json(), "error": None}, result
    if outcome.body is not None:
        refused = chat.decode_error(outcome.status or 0, outcome.body)
        kind = refused.error_type or "provider_error"
        return _line(outcome, None, kind, refused.status or None, str(refused)), None
    kind = outcome.kind or "batch_error"
    why = outcome.message or NOT_RUN.get(kind, "no result")
    return _line(outcome, None, kind, None, f"{provider}: {why}"), None


def _line(
    outcome: LineOutcome, result: Any, kind: str, status: int | None, message: str
) -> dict[str, Any]:
    error = {"type": kind, "status": status, "message": message}
    return {"custom_id": outcome.custom_id, "result": result, "error": error}


def _decode(body: bytes, chat: ChatProvider, provider: str, model: str) -> Result:
    import json

    from llmcli.catalog import usage_cost

    if not model:  # a batch submitted elsewhere: the answer names its model
        try:
            named = json.loads(body).get("model")
        except (ValueError, AttributeError):
            named = None
        model = named if isinstance(named, str) else ""
    acc = Accumulator(provider, model)
    for event in chat.decode(body):
        acc.add(event)
    result = acc.finish()
    if result.usage.cost is None:
        cost = usage_cost(provider, model, result.usage)
        result.usage.cost = None if cost is None else round(cost * DISCOUNT, 12)
    return result


def write_results(
    outcomes: Iterable[LineOutcome],
    out_path: Path,
    fresh: bool,
    decode: Callable[[LineOutcome], tuple[dict[str, Any], Result | None]],
    keep: Callable[[str, Result], None],
    order: InputIndex | None = None,
) -> Tally:
    """Append a line per result not yet in `out_path` (a fetch cut short resumes: every
    custom_id already there, answered or failed, is skipped); `keep` each answer. With
    `order` (the input submitted), the lines go in its order (ordered.py)."""
    import json

    from llmcli.batch.ordered import Spool

    tally = Tally()
    done = resume(out_path, fresh, any_line=True)
    spool = Spool(order.last, out_path.parent) if order is not None else None
    with open_append(out_path) as out:
        for outcome in outcomes:
            if outcome.custom_id in done:
                tally.skipped += 1
                continue
            line, result = decode(outcome)
            text = json.dumps(line, ensure_ascii=False) + "\n"
            if spool is not None and order is not None:
                spool.add(order.number(outcome.custom_id), text)
            else:
                out.write(text)
                out.flush()
                done.wrote(outcome.custom_id, len(text.encode("utf-8", "surrogatepass")))
            _count(tally, result)
            if result is not None:
                keep(outcome.custom_id, result)
        if spool is not None:
            spool.drain(out)
    return tally


def _count(tally: Tally, result: Result | None) -> None:
    if result is None:
        tally.failed += 1
        return
    tally.ok += 1
    usage = result.usage
    tally.tokens += (usage.input_tokens or 0) + (usage.output_tokens or 0)
    tally.cost += usage.cost or 0.0
