"""`llmcli batch submit`: the input's lines to the provider's Batch API (OpenAI,
Anthropic). Each line becomes the same `Request` as in `batch run`, encoded by the same
provider encoder, and is checked before anything is uploaded. Registers the command on
`batch_app`; cli/app.py loads the `batch` group from here (this module imports the
others, which register theirs)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from llmcli.cli import spec, spec_batch
from llmcli.cli.batch import EXIT_BUDGET, EXIT_FAILED, FLAG_NAMES, _check, _input, _line_flags
from llmcli.cli.batch_prompts import LinePrompts
from llmcli.cli.batch_remote import _chat, _db, _now, _wait_and_fetch, batch_app
from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.batch.records import Record
    from llmcli.batch.submit import Encoded
    from llmcli.providers.batch_api import BatchInfo

__all__ = ["batch_app"]


@batch_app.command("submit")
@spec.signature(
    spec_batch.SUBMIT, spec.argument("source", str, "Input JSONL file, or - for stdin.")
)
def submit(source: str, **given: Any) -> None:
    """Submit SOURCE to the provider's Batch API (half price, within 24 h); print the id."""
    from llmcli.batch import records
    from llmcli.batch.remote import Remote
    from llmcli.batch.submit import Problems, plan

    own = {k: given.pop(k) for k in ("output", "wait", "poll", "skip_invalid", "max_cost")}
    if own["wait"] and own["output"] is None:
        raise UsageError("--wait fetches the results when the batch ends: give --output OUT.jsonl")
    flags = spec.Flags(**given)
    flags.stream = False
    prompts = LinePrompts(source == "-")  # templates and fragments, as in `batch run`
    with _input(source) as lines:
        _, skip = _check(lines, own["skip_invalid"], flags, prompts)
        policies: list[Any] = []
        cost = _Cost(own["max_cost"])
        try:
            built = plan(_encoded(flags, lines, skip, policies, cost, prompts))
        except Problems as err:
            for problem in err.problems:
                sys.stderr.write(f"llmcli: {problem}\n")
            raise
    cost.check(built)
    input_path = None if source == "-" else Path(source).resolve()
    try:
        remote = Remote(built.provider, _chat(built.provider), built.connection, policies[0])
        db = _db(flags.db)
        ids = []
        for part in built.parts:
            info = remote.create(built, part)
            records.add(db, _record(info, built, input_path, part.count))
            ids.append(info.id)
            typer.echo(info.id)
    finally:
        built.close()
    if len(ids) > 1:
        sys.stderr.write(f"llmcli: the input was cut into {len(ids)} batches (provider limits)\n")
    if not own["wait"]:
        sys.stderr.write(f"llmcli: `llmcli batch fetch {ids[0]} --output OUT.jsonl` once it ends\n")
        return
    failed = 0
    for batch_id in ids:
        failed += _wait_and_fetch(remote, batch_id, own["output"], own["poll"], flags.log, flags.db)
    if failed:
        raise typer.Exit(EXIT_FAILED)


class _Cost:
    """--max-cost: the most the whole input may cost at the batch price, checked before
    anything is uploaded (each line estimated as `batch run --max-cost` estimates it)."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.most = 0.0

    def add(self, flags: spec.Flags, item: Any) -> None:
        if self.limit is not None:
            from llmcli.cli.batch import _estimate, _tokens
            from llmcli.providers.batch_api import DISCOUNT

            self.most += _estimate(flags, _tokens(flags, item)) * DISCOUNT

    def check(self, built: Any) -> None:
        if self.limit is None or self.most <= self.limit:
            return
        from llmcli.render import format_usd

        built.close()
        sys.stderr.write(
            f"llmcli: nothing submitted: the {built.requests} requests could cost up to"
            f" {format_usd(self.most)} at the batch price, more than --max-cost"
            f" {format_usd(self.limit)} (lower --max-tokens, or raise --max-cost)\n"
        )
        raise typer.Exit(EXIT_BUDGET)


def _encoded(
    flags: spec.Flags,
    lines: IO[str],
    skip: set[int],
    policies: list[Any],
    cost: _Cost,
    prompts: LinePrompts,
) -> Iterator[Encoded]:
    """Each valid line as the live call `batch run` would make (the same `prepare`)."""
    from llmcli.batch.lines import items
    from llmcli.batch.submit import Encoded
    from llmcli.cli.runner import prepare
    from llmcli.errors import warn
    from llmcli.providers.batch_api import PROVIDERS

    said: set[str] = set()
    for item in items(lines, FLAG_NAMES, skip):
        line_flags = _line_flags(flags, item)
        prompts.apply(line_flags, item)
        job = prepare(line_flags, item.messages)
        provider = job.request.provider
        if provider not in PROVIDERS:
            raise UsageError(
                f"{provider}/ has no Batch API in llmcli (only {', '.join(PROVIDERS)}):"
                " use `llmcli batch run` for live calls"
            )
        cost.add(line_flags, item)
        call = job.provider.encode(job.request, job.connection)
        for note in call.warnings:
            message = note.render(spec.flag_for)
            if message not in said:
                said.add(message)
                warn(message)
        policies[:] = policies or [job.policy]
        yield Encoded(
            item.custom_id, item.number, provider, job.request.model, call, job.connection
        )


def _record(info: BatchInfo, built: Any, input_path: Path | None, count: int) -> Record:
    from llmcli.batch.records import Record, file_hash
    from llmcli.redact import redact_text

    secrets = tuple(s for s in (built.connection.api_key,) if s)
    return Record(
        id=info.id,
        provider=built.provider,
        model=built.model,
        base_url=redact_text(built.connection.base_url, secrets),
        input_path=str(input_path) if input_path else None,
        input_hash=file_hash(input_path) if input_path else None,
        requests=count,
        state=info.state,
        created_at=info.created_at or _now(),
        expires_at=info.expires_at,
    )


# In `batch --help`, `submit` reads best right after `run` (it was registered last).
batch_app.registered_commands.insert(1, batch_app.registered_commands.pop())
