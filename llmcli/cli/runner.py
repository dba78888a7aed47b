"""Flags → `Request` + connection → one run with a renderer. Shared by `complete` and `chat`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from pydantic import ValidationError

from llmcli import providers
from llmcli.cli.options import parse_headers, parse_options
from llmcli.engine import execute
from llmcli.errors import Interrupted, LlmcliError, UsageError
from llmcli.events import Event, Result
from llmcli.history import History
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
    """Validate the flags once: request, provider module, connection and policy."""
    if not flags.model:
        raise UsageError("no model given: pass -m PROVIDER/MODEL or set LLMCLI_MODEL")
    spec, model_id = providers.route(flags.model, flags.api_base)
    conn = providers.connect(
        spec,
        api_key=flags.api_key,
        api_base=flags.api_base,
        headers=parse_headers(flags.headers),
    )
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
            options=parse_options(flags.options),
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
    if colour_allowed(sys.stdout):
        return TerminalRenderer(show_reasoning=not flags.hide_reasoning)
    return TextRenderer(show_reasoning=not flags.hide_reasoning)


def run(flags: Flags, messages: list[Message]) -> Result:
    """Send one prompt (continuing a stored conversation when asked), render the answer,
    log the exchange, and raise if it failed (after showing and storing what arrived)."""
    history = History(flags.db) if (flags.log or flags.cid or flags.continue_latest) else None
    cid = history.resolve(flags.cid, flags.continue_latest) if history else None
    previous: list[Message] = []
    if history and cid:
        previous = history.load(cid)
        flags.model = flags.model or history.model(cid)
    job = prepare(flags, previous + messages)
    renderer = make_renderer(flags)
    clock = _Clock(renderer.event)
    result = execute(job.provider, job.request, job.connection, job.policy, clock.event, _warn)
    renderer.finish(result)
    if history and flags.log:
        history.save(
            cid,
            messages,
            result,
            model=f"{job.request.provider}/{job.request.model}",
            latency_ms=clock.elapsed_ms(),
            ttft_ms=clock.first_ms,
        )
    if flags.usage:
        sys.stderr.write(usage_line(result.usage) + "\n")
    if result.interrupted:
        raise Interrupted("interrupted")
    if result.error:
        raise LlmcliError(result.error)
    return result


class _Clock:
    """Passes events on, noting when the first one arrived (time to first token)."""

    def __init__(self, forward: Callable[[Event], None]) -> None:
        self.forward = forward
        self.started = time.monotonic()
        self.first_ms: int | None = None

    def event(self, event: Event) -> None:
        if self.first_ms is None:
            self.first_ms = self.elapsed_ms()
        self.forward(event)

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


def _warn(message: str) -> None:
    sys.stderr.write(f"llmcli: warning: {message}\n")
