"""Flags → `Request` + connection → one run with a renderer. Shared by `complete` and `chat`."""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pydantic import ValidationError

from llmcli import providers
from llmcli.cli.options import parse_headers, parse_options
from llmcli.engine import execute
from llmcli.errors import Interrupted, LlmcliError, UsageError
from llmcli.events import Event, Result
from llmcli.history import History
from llmcli.providers._common import merge
from llmcli.render import (
    JsonRenderer,
    Renderer,
    TerminalRenderer,
    TextRenderer,
    colour_allowed,
    usage_line,
)
from llmcli.request import Message, ReasoningEffort, Request
from llmcli.transport import Connection, Policy

if TYPE_CHECKING:
    from llmcli.config import Config


@dataclass
class Flags:
    """The request and output flags, exactly as given on the command line."""

    model: str | None = None
    system: str | None = None
    stream: bool = True
    thinking: bool = False
    thinking_budget: int | None = None
    reasoning_effort: ReasoningEffort | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    user: str | None = None
    suffix: str | None = None
    text_completion: bool = False
    options: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    api_key: str | None = None
    api_base: str | None = None
    retries: int = 2
    timeout: float = 600.0
    json: bool = False
    usage: bool = False
    hide_reasoning: bool = False
    debug: bool = False
    log: bool = True
    db: Path | None = None
    cid: str | None = None
    continue_latest: bool = False

    def __post_init__(self) -> None:
        # Typer hands over None for repeatable options not given, and enums for choices.
        self.stop = list(self.stop or [])
        self.options = list(self.options or [])
        self.headers = list(self.headers or [])
        if isinstance(self.reasoning_effort, Enum):
            self.reasoning_effort = self.reasoning_effort.value


# pydantic field → the flag the user typed, for one-line validation errors.
_FLAG_NAMES = {
    "thinking_budget": "--thinking-budget",
    "temperature": "--temperature",
    "top_p": "--top-p",
    "top_k": "--top-k",
    "max_tokens": "--max-tokens",
    "reasoning_effort": "--reasoning-effort",
}


@dataclass
class Prepared:
    """A validated request with where and how to send it."""

    request: Request
    provider: ModuleType
    connection: Connection
    policy: Policy


def prepare(flags: Flags, messages: list[Message]) -> Prepared:
    """Validate the flags once: request, provider module, connection and policy.

    The config file fills in what the flags leave out: the model (-m > LLMCLI_MODEL >
    `model`), aliases, the provider's `api_base` and `options` (under -o).
    """
    config = _config()
    model = flags.model or config.model
    if not model:
        raise UsageError("no model given: pass -m PROVIDER/MODEL or set LLMCLI_MODEL")
    model = config.aliases.get(model.strip(), model)
    spec, model_id = providers.route(model, flags.api_base)
    provider_config = config.providers.get(spec.name)
    conn = providers.connect(
        spec,
        api_key=flags.api_key,
        api_base=flags.api_base,
        config_base=provider_config.api_base if provider_config else None,
        headers=parse_headers(flags.headers),
    )
    options = parse_options(flags.options)
    if provider_config and provider_config.options:
        options = merge(copy.deepcopy(provider_config.options), options)
    try:
        req = Request(
            provider=spec.name,
            model=model_id,
            messages=messages,
            system=flags.system,
            stream=flags.stream,
            thinking=flags.thinking or flags.thinking_budget is not None,
            thinking_budget=flags.thinking_budget,
            reasoning_effort=flags.reasoning_effort,
            temperature=flags.temperature,
            top_p=flags.top_p,
            top_k=flags.top_k,
            max_tokens=flags.max_tokens,
            stop=flags.stop,
            user=flags.user,
            suffix=flags.suffix,
            text_completion=flags.text_completion,
            options=options,
        )
    except ValidationError as err:
        raise UsageError(_validation_line(err)) from None
    secrets = tuple(s for s in (conn.api_key,) if s)
    policy = Policy(
        timeout=flags.timeout,
        connect_timeout=min(flags.timeout, 10.0),
        retries=flags.retries,
        debug=_debug_printer if flags.debug else None,
        secrets=secrets,
    )
    return Prepared(req, providers.load(spec), conn, policy)


def _config() -> Config:
    from llmcli.config import settings

    return settings()


def _validation_line(err: ValidationError) -> str:
    first = err.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "value"
    flag = _FLAG_NAMES.get(name, name)
    return f"invalid {flag}: {first['msg'].lower()}"


def _debug_printer(line: str) -> None:
    sys.stderr.write(f"debug: {line}\n")
    sys.stderr.flush()


def make_renderer(flags: Flags) -> Renderer:
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
) -> Outcome:
    """Prepare, send and render one answer. Raises only for errors before it began."""
    job = prepare(flags, messages)
    clock = _Clock(renderer.event, on_first_event)
    result = execute(job.provider, job.request, job.connection, job.policy, clock.event, _warn)
    renderer.finish(result)
    return Outcome(result, job.request, clock.elapsed_ms(), clock.first_ms)


def run(flags: Flags, messages: list[Message]) -> Result:
    """`complete`: one prompt (continuing a stored conversation when asked), the answer
    rendered and logged, and an error raised if it failed (after showing what arrived)."""
    flags.log = flags.log and _config().log
    history = History(flags.db) if (flags.log or flags.cid or flags.continue_latest) else None
    cid = history.resolve(flags.cid, flags.continue_latest) if history else None
    previous: list[Message] = []
    if history and cid:
        previous = history.load(cid)
        flags.model = flags.model or history.model(cid)
    outcome = send(flags, previous + messages, make_renderer(flags))
    result = outcome.result
    if history and flags.log:
        outcome.save(history, cid, messages)
    if flags.usage:
        sys.stderr.write(usage_line(result.usage) + "\n")
    if result.interrupted:
        raise Interrupted("interrupted")
    if result.error:
        raise LlmcliError(result.error)
    return result


class _Clock:
    """Passes events on, noting when the first one arrived (time to first token)."""

    def __init__(
        self, forward: Callable[[Event], None], on_first: Callable[[], None] | None = None
    ) -> None:
        self.forward = forward
        self.on_first = on_first
        self.started = time.monotonic()
        self.first_ms: int | None = None

    def event(self, event: Event) -> None:
        if self.first_ms is None:
            self.first_ms = self.elapsed_ms()
            if self.on_first:
                self.on_first()
        self.forward(event)

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


def _warn(message: str) -> None:
    sys.stderr.write(f"llmcli: warning: {message}\n")
