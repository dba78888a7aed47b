"""`llmcli batch run`: the third front end on the core. It builds a `Request` per input
line from the flags (overridden by the line) and runs it with `engine.execute`, as
`complete --json` does; it never touches a wire format."""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from llmcli.cli import spec, spec_batch
from llmcli.cli.batch_prompts import LinePrompts
from llmcli.errors import LlmcliError, ProviderError, UsageError

if TYPE_CHECKING:
    from llmcli.batch.output import Done

batch_app = typer.Typer(help="Run many prompts from a JSONL file.", no_args_is_help=True)

EXIT_FAILED, EXIT_BUDGET = 1, 3
# Output tokens assumed for the --max-cost estimate when a line sets no --max-tokens.
DEFAULT_OUTPUT_ESTIMATE = 4096


@batch_app.command("run")
@spec.signature(spec_batch.BATCH, spec.argument("source", str, "Input JSONL file, or - for stdin."))
def run(source: str, **given: Any) -> None:
    """Send every line of SOURCE live, a few at a time; write one JSON line per input line."""
    from llmcli.batch.output import open_append, resume

    batch = {
        k: given.pop(k)
        for k in (
            "output",
            "concurrency",
            "ordered",
            "skip_invalid",
            "fresh",
            "max_cost",
            "rpm",
            "tpm",
        )
    }
    if batch["output"] is None:
        raise UsageError("batch run needs -o OUT.jsonl (the results; re-running resumes it)")
    flags = spec.Flags(**given)
    logbook = _logbook(flags, f"batch run {batch['output']}")
    flags.stream, flags.log = False, False  # whole answers, stored by the logbook
    prompts = LinePrompts(source == "-")  # templates and fragments: each line's prompt
    try:
        with _input(source) as lines:
            total, skip = _check(lines, batch["skip_invalid"], flags, prompts)
            done = resume(Path(batch["output"]), batch["fresh"])
            with open_append(Path(batch["output"])) as out:
                tally = _Run(flags, out, batch, done, total, prompts, logbook).go(lines, skip)
    finally:
        if logbook:
            logbook.close()
    sys.stderr.write(tally.summary() + "\n")
    if tally.budget_stopped:
        raise typer.Exit(EXIT_BUDGET)
    if tally.failed:
        raise typer.Exit(EXIT_FAILED)


FLAG_NAMES = frozenset(spec.BATCH_REUSED)


def _logbook(flags: spec.Flags, source: str) -> Any:
    """Where each answer is stored (None with --no-log or `log = false` in the config)."""
    from llmcli.config import settings

    if not (flags.log and settings().log):
        return None
    from llmcli.batch.logbook import Logbook

    return Logbook(flags.db, source)


@contextmanager
def _input(source: str) -> Iterator[IO[str]]:
    """The input, readable twice (checked, then sent): stdin is spooled to a file."""
    if source != "-":
        try:
            with open(source, encoding="utf-8") as file:
                yield file
        except OSError as err:
            raise UsageError(f"cannot read {source}: {err.strerror or err}") from None
        return
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for text in sys.stdin:
            spool.write(text)
        spool.seek(0)
        yield spool


def _check(
    lines: IO[str], skip_invalid: bool, flags: spec.Flags, prompts: LinePrompts
) -> tuple[int, set[int]]:
    """Report the invalid lines (exit 2 unless skipped); the number of valid ones and the
    numbers of the lines to skip."""
    from llmcli.batch.lines import check_all

    problems, valid, skip = check_all(
        lines, FLAG_NAMES, lambda item: prompts.apply(_line_flags(flags, item), item)
    )
    if problems and not skip_invalid:
        for problem in problems:
            sys.stderr.write(f"llmcli: {problem}\n")
        raise UsageError(
            f"{len(problems)} invalid input line(s), nothing sent: fix them or pass --skip-invalid"
        )
    for problem in problems:
        sys.stderr.write(f"llmcli: skipped {problem}\n")
    return valid, skip


class _Run:
    """One `batch run`: the pool, the budget, the writer and the tally."""

    def __init__(
        self,
        flags: spec.Flags,
        out: IO[str],
        batch: dict[str, Any],
        done: Done,
        total: int,
        prompts: LinePrompts,
        logbook: Any = None,
    ):
        from llmcli.batch.output import Writer
        from llmcli.batch.pool import Budget, Limiter
        from llmcli.batch.progress import Progress

        self.progress = Progress(sys.stderr, total)
        self.flags, self.done, self.prompts, self.logbook = flags, done, prompts, logbook
        self.limiter = Limiter(batch["concurrency"], batch["rpm"], batch["tpm"])
        self.budget = Budget(batch["max_cost"])
        self.writer = Writer(out, batch["ordered"], window=4 * batch["concurrency"])
        self.lock = threading.Lock()
        self.ok = self.failed = self.skipped = self.tokens = 0
        self.cost = 0.0
        self.started = time.monotonic()

    @property
    def budget_stopped(self) -> bool:
        return self.budget.stopped

    def go(self, lines: IO[str], skip: set[int]) -> _Run:
        from llmcli.batch.lines import items

        with ThreadPoolExecutor(self.limiter.maximum, thread_name_prefix="batch") as pool:
            sequence = 0
            for item in items(lines, FLAG_NAMES, skip):
                if item.custom_id in self.done:
                    self.skipped += 1
                    continue
                flags = _line_flags(self.flags, item)
                try:
                    self.prompts.apply(flags, item)
                except UsageError:
                    continue  # an invalid line, reported and skipped (--skip-invalid)
                tokens = _tokens(flags, item)
                estimate = _estimate(flags, tokens) if self.budget.limit is not None else 0.0
                self.writer.room(sequence)
                self.limiter.acquire(sum(tokens))
                if not self.budget.reserve(estimate):
                    self.limiter.release(ok=True)
                    break
                pool.submit(self._one, sequence, item, flags, estimate)
                sequence += 1
        self.progress.close()  # the pool has finished: nothing redraws it
        return self

    def _one(self, sequence: int, item: Any, flags: spec.Flags, estimate: float) -> None:
        result, error, cost, tokens = None, None, 0.0, 0
        try:
            answer = _send(flags, item, self.limiter)
            usage = answer.usage
            cost = usage.cost or 0.0
            tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0)
            if answer.error:
                error = {"type": "stream_error", "status": None, "message": answer.error}
            else:
                result = answer.as_json()
                if self.logbook:
                    self.logbook.add(item.messages, answer, f"{answer.provider}/{answer.model}")
        except ProviderError as err:
            error = {
                "type": err.error_type or "provider_error",
                "status": err.status,
                "message": str(err),
            }
        except LlmcliError as err:
            error = {"type": type(err).__name__, "status": None, "message": spec.spoken(err)}
        except Exception as err:  # one line's bug must not end the run or lose the line
            error = {"type": "internal_error", "status": None, "message": repr(err)}
        finally:
            self.budget.settle(estimate, cost)
            self.limiter.release(ok=error is None)
        self.writer.write(sequence, {"custom_id": item.custom_id, "result": result, "error": error})
        with self.lock:
            self.ok += error is None
            self.failed += error is not None
            self.tokens += tokens
            self.cost += cost
            self.progress.update(self.ok, self.failed, self.skipped, self.tokens, self.cost)

    def summary(self) -> str:
        from llmcli.render import format_usd

        seconds = time.monotonic() - self.started
        stop = "; stopped by --max-cost" if self.budget.stopped else ""
        return (
            f"llmcli: batch: {self.ok} done, {self.failed} failed, {self.skipped} skipped,"
            f" {self.tokens:,} tokens, {format_usd(self.cost)}, {seconds:.1f}s; concurrency"
            f" {self.limiter.lowest} at lowest, {int(self.limiter.limit)} at the end{stop}"
        )


def _line_flags(base: spec.Flags, item: Any) -> spec.Flags:
    """The command's flags with the line's own fields over them."""
    flags = copy.copy(base)
    for name, value in item.fields.items():
        setattr(flags, name, value)
    if item.options:
        extra = [f"{key}={json.dumps(value)}" for key, value in item.options.items()]
        flags.options = [*(flags.options or []), *extra]
    return flags


def _send(flags: spec.Flags, item: Any, limiter: Any) -> Any:
    """One request through the engine, as `complete --json` sends it. A retry's wait
    (the server's retry-after, else backoff) and the rate-limit headers go to the limiter."""
    from llmcli.batch.ratelimit import pause_for
    from llmcli.cli.runner import _price, prepare
    from llmcli.engine import execute
    from llmcli.errors import warn

    job = prepare(flags, item.messages)
    sleep = job.policy.sleep

    def waiting(delay: float) -> None:
        limiter.backoff(delay)
        sleep(delay)

    def headers(values: Any) -> None:
        limiter.hold(pause_for(values))

    policy = dataclasses.replace(job.policy, sleep=waiting, on_headers=headers)
    result = execute(
        job.provider,
        job.request,
        job.connection,
        policy,
        lambda _: None,
        lambda note: warn(note.render(spec.flag_for)),
    )
    _price(result, job.request)
    return result


def _tokens(flags: spec.Flags, item: Any) -> tuple[int, int]:
    """The most tokens a line may take, (input, output): its text at 4 characters a
    token, and its output cap (else DEFAULT_OUTPUT_ESTIMATE)."""
    # Every text of the line: its messages and the string flags (an instruction too).
    chars = sum(len(m.text) for m in item.messages)
    chars += sum(len(v) for v in flags.request_fields().values() if isinstance(v, str))
    return chars // 4 + 1, getattr(flags, spec.OUTPUT_CAP) or DEFAULT_OUTPUT_ESTIMATE


def _estimate(flags: spec.Flags, tokens: tuple[int, int]) -> float:
    """The most this line may cost: `tokens` at the catalog price."""
    from llmcli.catalog import usage_cost
    from llmcli.cli.target import resolve_model
    from llmcli.events import Usage
    from llmcli.providers import route

    provider, model = route(resolve_model(flags.model or ""), flags.api_base)
    cost = usage_cost(provider.name, model, Usage(input_tokens=tokens[0], output_tokens=tokens[1]))
    if cost is None:
        raise UsageError(
            f"--max-cost: no price for {flags.model} in the catalog; run without"
            " --max-cost or pick a priced model"
        )
    return cost
