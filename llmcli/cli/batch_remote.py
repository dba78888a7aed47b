"""`llmcli batch status|fetch|cancel|list`: the providers' Batch APIs (OpenAI, Anthropic)
after `batch submit` (cli/batch_submit.py). Results are decoded by the same decoders as
live calls into the same output lines as `batch run`. Registers its commands on
`batch_app`."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from llmcli.cli import spec, spec_batch
from llmcli.cli.batch import EXIT_FAILED, FLAG_NAMES, _logbook, batch_app
from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.batch.records import Record
    from llmcli.batch.remote import Remote
    from llmcli.providers.batch_api import BatchInfo

__all__ = ["batch_app"]
EXIT_INTERRUPTED = 130
# Provider batch ids: `batch_…` (OpenAI), `msgbatch_…` (Anthropic): batch-apis.md.
ID_PREFIXES = (("msgbatch_", "anthropic"), ("batch_", "openai"))


@batch_app.command("status")
@spec.signature(spec_batch.STATUS, spec.argument("batch_id", str, "The batch id `submit` printed."))
def status(batch_id: str, **given: Any) -> None:
    """The provider's state of a batch (its own word), its request counts and expiry."""
    from llmcli.batch import records

    remote, record, db = _remote(batch_id, given)
    info = remote.info(batch_id)
    if record:
        records.update(db, info)
    if given["json_out"]:
        typer.echo(json.dumps(dataclasses.asdict(info)))
        return
    typer.echo(_status_line(info, record))
    for error in info.errors:
        typer.echo(f"  error: {error}")


@batch_app.command("cancel")
@spec.signature(spec_batch.CANCEL, spec.argument("batch_id", str, "The batch id `submit` printed."))
def cancel(batch_id: str, **given: Any) -> None:
    """Cancel a batch: requests not yet run get no result; those done are kept (fetch them)."""
    from llmcli.batch import records

    remote, record, db = _remote(batch_id, given)
    info = remote.cancel(batch_id)
    if record:
        records.update(db, info)
    typer.echo(_status_line(info, record))


@batch_app.command("fetch")
@spec.signature(spec_batch.FETCH, spec.argument("batch_id", str, "The batch id `submit` printed."))
def fetch(batch_id: str, **given: Any) -> None:
    """Write an ended batch's results to --output, as `batch run` writes them."""
    if given["output"] is None:
        raise UsageError("batch fetch needs --output OUT.jsonl (re-running it resumes)")
    remote, record, _ = _remote(batch_id, given)
    if given["ordered"] and _input_path(record) is None:
        raise UsageError(
            f"--ordered needs the input file batch {batch_id} was submitted from, unchanged:"
            " fetch without --ordered"
        )
    if not given["wait"]:
        info = remote.info(batch_id)
        if not info.ended:
            raise UsageError(
                f"batch {batch_id} is {info.state} ({info.finished}/{info.total} done): fetch it"
                " when it ends, or add --wait"
            )
    failed = _wait_and_fetch(
        remote,
        batch_id,
        given["output"],
        given["poll"],
        given["log"],
        given["db"],
        fresh=given["fresh"],
        ordered=given["ordered"],
    )
    if failed:
        raise typer.Exit(EXIT_FAILED)


@batch_app.command("list")
@spec.signature(spec_batch.LIST)
def list_cmd(**given: Any) -> None:
    """Batches submitted from here (newest first), or with --provider those the provider has."""
    from llmcli.batch import records

    rows: list[tuple[BatchInfo, Record | None]]
    if given["provider"]:
        remote = _connect(given["provider"], None, given)
        rows = [(i, None) for i in remote.listing(given["number"])]
    else:
        rows = [
            (_info(r), r) for r in records.recent(_db(given["db"], write=False), given["number"])
        ]
    if given["json_out"]:
        typer.echo(json.dumps([_list_json(i, r) for i, r in rows]))
        return
    for info, record in rows:
        typer.echo(_status_line(info, record))


# ---- waiting and fetching --------------------------------------------------------------


def _wait_and_fetch(
    remote: Remote,
    batch_id: str,
    output: Path,
    poll: float,
    log: bool,
    db_path: Path | None,
    fresh: bool = False,
    ordered: bool = False,
) -> int:
    """Wait for the batch to end (Ctrl-C leaves it running), then write its results;
    the number of failed lines."""
    from llmcli.batch import records
    from llmcli.batch.collect import output_line, write_results
    from llmcli.batch.logbook import InputIndex
    from llmcli.batch.remote import StateLine, wait

    line = StateLine()
    try:
        info = wait(remote, batch_id, poll, line)
    except KeyboardInterrupt:
        line.close()
        sys.stderr.write(
            f"llmcli: stopped waiting; batch {batch_id} goes on at {remote.provider}:"
            f" `llmcli batch fetch {batch_id} --output {output}` gets its results later\n"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    line.close()
    if not info.sources and info.errors:  # OpenAI `failed`: the input was refused whole
        from llmcli.errors import LlmcliError

        raise LlmcliError(f"batch {batch_id} {info.state}: {'; '.join(info.errors)}")
    db = _db(db_path)
    record = records.find(db, batch_id)
    if record:
        records.update(db, info)
    model = record.model if record else ""
    flags = spec.Flags(log=log, db=db_path)
    logbook = _logbook(flags, f"batch {batch_id}")
    index = InputIndex(_input_path(record) if logbook or ordered else None, FLAG_NAMES)
    chat, provider = remote.chat, remote.provider

    def keep(custom_id: str, result: Any) -> None:
        if logbook:
            logbook.add(index.messages(custom_id), result, f"{provider}/{result.model}")

    try:
        tally = write_results(
            remote.outcomes(info),
            output,
            fresh,
            lambda outcome: output_line(outcome, chat, provider, model),
            keep,
            index if ordered else None,
        )
    finally:
        if logbook:
            logbook.close()
    if record:
        records.fetched(db, batch_id)
    sys.stderr.write(tally.summary(f"batch {batch_id} ({info.state})") + "\n")
    return tally.failed


def _input_path(record: Record | None) -> Path | None:
    """The input submitted, if it is still there unchanged (its lines become the prompts
    stored with each answer)."""
    from llmcli.batch.records import file_hash
    from llmcli.errors import warn

    if record is None or not record.input_path:
        return None
    path = Path(record.input_path)
    if path.is_file() and file_hash(path) == record.input_hash:
        return path
    warn(
        f"{path} changed or is gone since the batch was submitted: the history keeps the"
        " answers without their prompts"
    )
    return None


# ---- connections, records, lines -------------------------------------------------------


def _remote(batch_id: str, given: dict[str, Any]) -> tuple[Remote, Record | None, Any]:
    """The batch's provider (from its record, else from its id's form) and a client."""
    from llmcli.batch import records

    if not batch_id:
        raise UsageError("which batch? give its id (`llmcli batch list` shows them)")
    db = _db(given["db"])
    record = records.find(db, batch_id)
    if record is not None:
        provider = record.provider
    else:
        provider = next((p for prefix, p in ID_PREFIXES if batch_id.startswith(prefix)), "")
        if not provider:
            raise UsageError(
                f"no batch {batch_id} was submitted from here, and its id names no provider:"
                " see `llmcli batch list`"
            )
    return _connect(provider, record, given), record, db


def _connect(provider: str, record: Record | None, given: dict[str, Any]) -> Remote:
    from llmcli.batch.remote import Remote
    from llmcli.cli.target import target_for_provider
    from llmcli.providers.batch_api import PROVIDERS

    if provider not in PROVIDERS:
        raise UsageError(f"{provider}: no Batch API in llmcli (only {', '.join(PROVIDERS)})")
    target = target_for_provider(
        provider,
        api_key=given["api_key"],
        # The batch lives where it was submitted, unless --api-base says otherwise.
        api_base=given["api_base"] or (record.base_url if record else None),
        retries=given["retries"],
        timeout=given["timeout"],
        debug=given["debug"],
    )
    return Remote(provider, target.module, target.connection, target.policy)


def _chat(provider: str) -> Any:
    from llmcli.providers import PROVIDERS
    from llmcli.providers.base import load

    return load(PROVIDERS[provider])


def _db(path: Path | None, write: bool = True) -> Any:
    from llmcli import store

    return store.connect(path) if write else store.connect_readonly(path)


def _info(record: Record) -> BatchInfo:
    from llmcli.providers.batch_api import BatchInfo
    from llmcli.providers.batch_openai import TERMINAL

    counts = {"total": record.requests or 0}
    ended = record.state in TERMINAL or record.state == "ended"  # the last state seen
    state = record.state or "?"
    return BatchInfo(
        record.id, record.provider, state, ended, counts, record.created_at, record.expires_at
    )


def _status_line(info: BatchInfo, record: Record | None) -> str:
    import time

    model = f"{record.provider}/{record.model}" if record else info.provider
    counts = ", ".join(f"{k} {v}" for k, v in info.counts.items())
    expires = ""
    if info.expires_at and not info.ended:
        expires = "  expires " + time.strftime("%Y-%m-%d %H:%M", time.localtime(info.expires_at))
    return f"{info.id}\t{model}\t{info.state}\t{counts}{expires}"


def _list_json(info: BatchInfo, record: Record | None) -> dict[str, Any]:
    data = dataclasses.asdict(info)
    if record:
        data["local"] = dataclasses.asdict(record)
    return data


def _now() -> float:
    import time

    return time.time()
