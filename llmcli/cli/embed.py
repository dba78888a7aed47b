"""`llmcli embed`: texts in, embedding vectors out (OpenAI, OpenRouter, Ollama).

Inputs are read lazily and sent in batches (`--batch-size`) by a few threads at once
(`--concurrency`); results are written in input order. `--format jsonl` writes each
vector as soon as its batch is in, so a large file takes constant memory.
Only typer is imported at module level: `--help` must stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.cli import spec, spec_embed
from llmcli.errors import UsageError

if TYPE_CHECKING:
    from llmcli.cli.target import Target
    from llmcli.embed_io import Item, Job, Output
    from llmcli.tasks import Embeddings


@spec.signature(spec_embed.EMBED, spec.argument("texts", list[str] | None, spec_embed.TEXTS_HELP))
def embed(
    texts: list[str] | None = None,
    *,
    model: str | None,
    lines: bool,
    file: Path | None,
    dimensions: int | None,
    batch_size: int,
    concurrency: int,
    json_out: bool,
    fmt: spec_embed.Format | None,
    usage: bool,
    options: list[str] | None,
    headers: list[str] | None,
    api_key: str | None,
    api_base: str | None,
    retries: int,
    timeout: float,
    debug: bool,
) -> None:
    """Embed texts: TEXT arguments, stdin (whole, or --lines) or --file (lines or JSONL)."""
    from llmcli.embed_io import Job

    run(
        Job(
            texts=list(texts or []),
            model=model,
            lines=lines,
            file=file,
            dimensions=dimensions,
            batch_size=batch_size,
            concurrency=concurrency,
            fmt="json" if json_out else (fmt.value if fmt else None),
            usage=usage,
            options=list(options or []),
            headers=list(headers or []),
            api_key=api_key,
            api_base=api_base,
            retries=retries,
            timeout=timeout,
            debug=debug,
        )
    )


def run(job: Job) -> None:
    from llmcli import catalog
    from llmcli.cli.options import EMBED_CONTROLLED, parse_options
    from llmcli.cli.target import serve_local, target_for_model
    from llmcli.embed_io import JsonlOutput, JsonOutput, Summary, batched, read_items
    from llmcli.errors import warn
    from llmcli.events import Usage

    target = target_for_model(
        job.model or "",
        api_key=job.api_key,
        api_base=job.api_base,
        headers=job.headers,
        retries=job.retries,
        timeout=job.timeout,
        debug=job.debug,
    )
    target.embedder("embeddings endpoint: use an openai/, openrouter/ or ollama/ embedding model")
    entry = catalog.lookup(target.provider, target.model)
    if entry is not None and job.dimensions is not None and entry.dimensions_adjustable is False:
        raise UsageError(
            f"--dimensions: {entry.id} makes vectors of {entry.embedding_dimensions} "
            "dimensions only"
        )
    if entry is not None and entry.capabilities and not entry.has("embeddings"):
        warn(f"{entry.id} is not an embedding model (model catalog)")
    serve_local(target, embeddings=True)  # `embed -m local/NAME`
    items, total = read_items(job)
    batches = batched(items, job.batch_size)
    options = parse_options(job.options, EMBED_CONTROLLED)
    fmt = job.fmt or ("json" if not sys.stdout.isatty() else "summary")
    out: Output = {"json": JsonOutput, "jsonl": JsonlOutput, "summary": Summary}[fmt]()
    total_batches = -(-total // job.batch_size) if total is not None else None
    used = Usage(input_tokens=None)
    costs: list[float | None] = []
    model_name: str | None = None
    with _Progress(total_batches) as progress:
        for batch, result in _ordered(target, batches, job, options, progress):
            out.add(batch, result.vectors)
            model_name = model_name or result.model
            if result.usage.input_tokens is not None:
                used.input_tokens = (used.input_tokens or 0) + result.usage.input_tokens
            costs.append(result.usage.cost)
    if out.count == 0:
        raise UsageError("nothing to embed: pass TEXT, --file FILE, or pipe text on stdin")
    if costs and all(c is not None for c in costs):
        used.cost = round(sum(c for c in costs if c is not None), 12)
    else:
        used.cost = catalog.usage_cost(target.provider, target.model, used)
    out.finish(model_name or target.model, used)
    if job.usage and fmt != "summary":  # the summary has its usage line already
        from llmcli.render import usage_line

        sys.stderr.write(usage_line(used) + "\n")


# ---- requests ------------------------------------------------------------------------


def _ordered(
    target: Target,
    batches: Iterator[list[Item]],
    job: Job,
    options: dict[str, Any],
    progress: _Progress,
) -> Iterator[tuple[list[Item], Embeddings]]:
    """Each batch with its embeddings, in input order; at most `concurrency` requests
    (and batches in memory) at a time."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    from llmcli.errors import Interrupted

    pending: deque[tuple[list[Item], Future[Embeddings]]] = deque()
    pool = ThreadPoolExecutor(max_workers=job.concurrency, thread_name_prefix="embed")
    sent = 0

    def submit() -> bool:
        nonlocal sent
        batch = next(batches, None)
        if batch is None:
            return False
        sent += 1
        progress.sent(sent)
        pending.append((batch, pool.submit(_one, target, batch, job, options)))
        return True

    try:
        for _ in range(job.concurrency):
            if not submit():
                break
        while pending:
            batch, future = pending.popleft()
            result = future.result()
            submit()
            progress.done()
            yield batch, result
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise Interrupted("interrupted") from None
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _one(target: Target, batch: list[Item], job: Job, options: dict[str, Any]) -> Embeddings:
    from llmcli.engine import fetch
    from llmcli.errors import DecodeError, LlmcliError
    from llmcli.request import EmbedRequest

    req = EmbedRequest(
        provider=target.provider,
        model=target.model,
        inputs=[item.text for item in batch],
        dimensions=job.dimensions,
        options=options,
    )
    embedder = target.embedder("embeddings endpoint")
    call = embedder.encode_embed(req, target.connection)
    body = fetch(embedder, call, target.policy, hint=target.connection.connect_hint)
    try:
        result: Embeddings = embedder.decode_embed(body)
    except DecodeError as err:
        raise DecodeError(f"{target.provider}: {err}") from None
    if len(result.vectors) != len(batch):
        raise LlmcliError(
            f"{target.provider}: asked for {len(batch)} embeddings, got {len(result.vectors)}"
        )
    return result


class _Progress:
    """A progress bar on stderr, shown on a terminal once there is a second batch."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> _Progress:
        return self

    def sent(self, count: int) -> None:
        if count == 2 and self.bar is None and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("embedding batches"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=sys.stderr),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("embed", total=self.total)
        if self.bar is not None and self.total is None:
            self.bar.update(self.task, total=None)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
