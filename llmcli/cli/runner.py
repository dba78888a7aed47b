"""Flags → `Request` + connection → one run with a renderer. Shared by `complete` and `chat`."""

from __future__ import annotations

import copy
import gc
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from llmcli.cli.costs import guard
from llmcli.cli.features import (
    check_attachments,
    check_prompt_size,
    feature_fields,
)
from llmcli.cli.options import parse_options
from llmcli.cli.spec import FLAG_NAMES, Flags, flag_for
from llmcli.cli.steps import ToolSteps, start_mcp
from llmcli.cli.target import serve_local, target_for_model
from llmcli.engine import execute
from llmcli.errors import Interrupted, LlmcliError, ProviderError, UsageError, warn
from llmcli.events import Result
from llmcli.history import History, assistant_message
from llmcli.policy import Policy
from llmcli.providers._common import merge
from llmcli.render import (
    ExtractRenderer,
    JsonRenderer,
    Renderer,
    TerminalRenderer,
    TextRenderer,
    colour_allowed,
    usage_line,
)
from llmcli.request import Message, Request
from llmcli.request_rules import InvalidField, check
from llmcli.transport import Connection

if TYPE_CHECKING:
    from llmcli.config import Config
    from llmcli.mcp.tools import McpTools
    from llmcli.providers.base import ChatProvider
    from llmcli.store_fragments import Use


@dataclass
class Prepared:
    """A validated request with where and how to send it."""

    request: Request
    provider: ChatProvider
    connection: Connection
    policy: Policy


class Fitter(Protocol):
    """--context (cli/window.py): fits a conversation to the model's window, and says
    whether a provider's "too long" error deserves one more try."""

    def fit(self, req: Request) -> Request: ...
    def retry(self, err: ProviderError) -> bool: ...


def prepare(
    flags: Flags,
    messages: list[Message],
    mcp: McpTools | None = None,
    window: Fitter | None = None,
) -> Prepared:
    """Validate the flags once: request, provider module, connection and policy.

    The config file fills in what the flags leave out: the model (-m > LLMCLI_MODEL >
    `model`), aliases, the provider's `api_base` and `options` (under -o).
    """
    config = _config()
    target = target_for_model(
        model_name(flags, config),
        api_key=flags.api_key,
        api_base=flags.api_base,
        headers=flags.headers,
        retries=flags.retries,
        timeout=flags.timeout,
        debug=flags.debug,
        secrets=(flags.mcp_token,),  # kept out of --debug output and the stored request
    )
    provider_config = config.providers.get(target.provider)
    options = parse_options(flags.options)
    if provider_config and provider_config.options:
        options = merge(copy.deepcopy(provider_config.options), options)
    features = feature_fields(flags)
    if mcp is not None:  # the MCP servers' tools, named within this provider's limits
        features["tools"] = [*features["tools"], *mcp.tools(target.provider)]
    req = Request(
        provider=target.provider,
        model=target.model,
        messages=list(messages),
        options=options,
        **flags.request_fields(),
        **features,
    )
    try:
        check(req)
    except InvalidField as err:
        raise UsageError(_invalid_line(err)) from None
    if window is not None:
        req = window.fit(req)
    _catalog_warnings(req)
    serve_local(target, threads=flags.local_threads)
    if target.spec.inline_attachments:
        from llmcli.inputs import download_attachments

        download_attachments(req, target.policy.timeout)
    check_attachments(req, flags.max_attachment_size)
    check_prompt_size(req, flags.force)
    # --estimate, --max-cost, the daily budget: before anything is paid for.
    guard(flags, req, target.module, target.connection, target.policy)
    return Prepared(req, target.module, target.connection, target.policy)


def _config() -> Config:
    from llmcli.config import settings

    return settings()


_default_noted = False


def model_name(flags: Flags, config: Config | None = None) -> str:
    """-m > LLMCLI_MODEL > config `model` > the offline default (said once on stderr)."""
    global _default_noted
    config = config or _config()
    model = flags.model or config.model
    if model and model.strip():
        return model
    from llmcli.local import DEFAULT_MODEL

    if not _default_noted:
        _default_noted = True
        sys.stderr.write(
            f"llmcli: no model chosen: using {DEFAULT_MODEL}, a small offline model; pick"
            " another with -m PROVIDER/MODEL, LLMCLI_MODEL or"
            " `llmcli config set model PROVIDER/MODEL`\n"
        )
    return DEFAULT_MODEL


def release_local_servers() -> None:
    """Stop the llama.cpp and MCP servers this process started (when none: imports nothing)."""
    for name in ("llmcli.local.serving", "llmcli.mcp.client"):
        module = sys.modules.get(name)
        if module is not None:
            module.stop_all()


def _invalid_line(err: InvalidField) -> str:
    """`invalid --top-p 'nan': must be a number from 0 to 1`, as click's errors are
    worded (cli/invalid.py): the rule comes from the field's bounds or choices."""
    from llmcli.cli.invalid import invalid_value

    return invalid_value(FLAG_NAMES.get(err.name, err.name), err.value, err.rule)


def make_renderer(flags: Flags) -> Renderer:
    if flags.extract or flags.extract_last:
        return ExtractRenderer(flags.extract_last, flags.json)
    if flags.json:
        return JsonRenderer()
    config = _config()
    show_reasoning = not flags.hide_reasoning and config.show_reasoning
    if colour_allowed(sys.stdout, config.color):
        return TerminalRenderer(show_reasoning=show_reasoning, colour=config.color)
    return TextRenderer(show_reasoning=show_reasoning, colour=config.color)


@dataclass
class Outcome:
    """One answer with its timings and the request that produced it."""

    result: Result
    request: Request
    latency_ms: int
    ttft_ms: int | None

    def save(self, history: History, cid: str | None, new: list[Message]) -> str:
        return history.save(
            cid,
            new,
            self.result,
            model=f"{self.request.provider}/{self.request.model}",
            latency_ms=self.latency_ms,
            ttft_ms=self.ttft_ms,
        )


def send(
    flags: Flags,
    messages: list[Message],
    renderer: Renderer,
    on_first_event: Callable[[], None] | None = None,
    mcp: McpTools | None = None,
    window: Fitter | None = None,
) -> Outcome:
    """Prepare, send and render one answer. Raises only for errors before it began.
    A conversation the provider finds too long is fitted once more and sent again."""
    job = prepare(flags, messages, mcp, window)
    clock = _Clock(on_first_event)
    try:
        result = _execute(job, renderer, clock)
    except ProviderError as err:
        if window is None or not window.retry(err):
            raise
        job = prepare(flags, messages, mcp, window)
        try:
            result = _execute(job, renderer, clock)
        except ProviderError as again:
            raise LlmcliError(f"{again} (still too long after dropping older exchanges)") from None
    _price(result, job.request)
    _keep_images(result, flags, messages)
    renderer.finish(result)  # per answer; renderer.close() once at the very end
    return Outcome(result, job.request, clock.elapsed_ms(), clock.first_ms)


def _execute(job: Prepared, renderer: Renderer, clock: _Clock) -> Result:
    return execute(
        job.provider,
        job.request,
        job.connection,
        job.policy,
        renderer.event,
        lambda note: warn(note.render(flag_for)),
        on_first=clock.first,
    )


def run(flags: Flags, messages: list[Message], fragments: Sequence[Use] = ()) -> Result:
    """`complete`: one prompt (continuing a stored conversation when asked), the answer
    rendered and logged, and an error raised if it failed (after showing what arrived).
    The history links the answer to the `fragments` (-f, --sf) the prompt holds.

    When the model calls tools bound with --tool-exec, they run (once approved), their
    results go back, and the model answers again, up to --max-steps times.
    """
    gc.freeze()  # everything imported by now lives until exit: keep it out of collections
    flags.log = flags.log and _config().log
    reads = flags.log or flags.cid or flags.continue_latest
    history = History(flags.db, write=flags.log).open() if reads else None
    if history:
        history.use_fragments(fragments)
    cid = history.resolve(flags.cid, flags.continue_latest) if history else None
    conversation: list[Message] = []
    if history and cid:
        conversation = history.load(cid)
        flags.model = flags.model or history.model(cid)
    renderer = make_renderer(flags)
    mcp = start_mcp(flags, fatal=True)
    steps = ToolSteps(flags.tool_exec, flags.yes, flags.max_steps, mcp, flags.tool_timeout)
    new = list(messages)
    window = _window(flags, history, lambda: cid) if cid else None  # -c and --cid
    while True:
        conversation += new
        outcome = send(flags, conversation, renderer, mcp=mcp, window=window)
        if history and flags.log:
            # httpx's response and its stream refer to each other: only the collector frees
            # them, and with them the encoded request body (50 MB for a 50 MB prompt). Since
            # the freeze above, a collection walks only what this run has made.
            gc.collect()
            cid = outcome.save(history, cid, new)
        steps.count(outcome.result)
        new = steps.next_messages(outcome.result)
        if not new:
            break
        conversation.append(assistant_message(outcome.result))
    release_local_servers()
    result = outcome.result
    renderer.close()
    if flags.usage:
        from llmcli.cost import cache_saving

        saved = cache_saving(outcome.request.provider, outcome.request.model, steps.usage)
        sys.stderr.write(usage_line(steps.usage, saved) + "\n")
    if result.interrupted:
        raise Interrupted("interrupted")
    if result.error:
        raise LlmcliError(result.error)
    _check_answer(result, outcome.request)
    return result


def _window(flags: Flags, history: History | None, cid: Callable[[], str | None]) -> Fitter:
    from llmcli.cli.window import Window

    return Window(flags, history, cid, send)


def _check_answer(result: Result, request: Request) -> None:
    """--json-schema / --json-mode: the (already printed) answer must be valid JSON."""
    if request.response_format is None or result.tool_calls:
        return
    from llmcli.inputs import validate_answer

    problem = validate_answer(result.content, request.response_format)
    if problem:
        raise LlmcliError(problem)


class _Clock:
    """Notes when the first event arrived (time to first token). The engine calls `first`
    once, rather than every event passing through here: that was one Python call more
    for each chunk of a stream."""

    def __init__(self, on_first: Callable[[], None] | None = None) -> None:
        self.on_first = on_first
        self.started = time.monotonic()
        self.first_ms: int | None = None

    def first(self) -> None:
        self.first_ms = self.elapsed_ms()
        if self.on_first:
            self.on_first()

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


# ---- the model catalog: warnings and prices; images in answers ------------------------

_warned: set[str] = set()


def _catalog_warnings(req: Request) -> None:
    """A flag the catalog says the model cannot honour: a warning (once), not a silent drop."""
    from llmcli.catalog import request_warnings

    for note in request_warnings(req):
        message = note.render(flag_for)
        if message not in _warned:
            _warned.add(message)
            warn(message)


def _price(result: Result, request: Request) -> None:
    """The provider's own cost (OpenRouter) when it gave one, else usage times the catalog price."""
    from llmcli.catalog import fill_cost

    fill_cost(request.provider, request.model, result.usage)


def _keep_images(result: Result, flags: Flags, messages: list[Message]) -> None:
    """--save-images DIR: write the answer's images (named after the prompt), note the
    paths in the result (`--json` lists them) and on stderr."""
    if not result.images:
        return
    if flags.save_images is None:
        if not flags.json:
            count = len(result.images)
            warn(f"the answer has {count} image(s): --save-images DIR saves them")
        return
    from llmcli.engine import download
    from llmcli.images import check_image, plan, write_all
    from llmcli.tasks import data_url

    prompt = next((m.text for m in reversed(messages) if m.role == "user" and m.text), "")
    files = []
    for number, image in enumerate(result.images, 1):
        decoded = data_url(image.url)
        data = decoded.data if decoded.data is not None else download(image.url, Policy())
        files.append((data, check_image(data, f"image {number} of the answer")))
    paths = plan([kind for _, kind in files], prompt=prompt, output_dir=flags.save_images)
    write_all([(path, data) for path, (data, _) in zip(paths, files, strict=True)])
    for image, path in zip(result.images, paths, strict=True):
        image.path = str(path)
        sys.stderr.write(f"llmcli: saved {path}\n")
