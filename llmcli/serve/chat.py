"""The chat endpoints: OpenAI `chat/completions` and Anthropic `messages`.

Both run the same way: the gateway reads the body into a `Request` for the deployment
the router picked, the provider's encoder builds the call, the answer's events go to an
`Accumulator` (the history, the metrics) and, streaming, straight to the client's
re-encoder (`Chunks` / `Events`) as each upstream frame arrives.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response

from llmcli.errors import DecodeError, TransportError
from llmcli.events import Accumulator, Result, StreamError
from llmcli.gateway import anthropic_in, anthropic_out, openai_in, openai_out
from llmcli.gateway.errors import GatewayError, from_provider_error, stream_error
from llmcli.gateway.fields import anthropic_field, notes, openai_field
from llmcli.inputs import download_attachments, url_attachments
from llmcli.providers.anthropic.body import client_betas
from llmcli.request import Request
from llmcli.serve.record import Call
from llmcli.serve.router import Deployment
from llmcli.serve.streaming import EventStream
from llmcli.serve.upstream import Upstream, open_upstream
from llmcli.transport import HttpCall


@dataclass
class Shape:
    """One endpoint's format: how its body becomes a call and its answers go out."""

    anthropic: bool

    def read(self, body: Any, dep: Deployment, name: str, http: HttpRequest) -> Any:
        if self.anthropic:
            return anthropic_in.messages_call(
                body,
                provider=dep.provider,
                model=dep.model,
                model_name=name,
                betas=client_betas(http.headers),
            )
        return openai_in.chat_call(body, provider=dep.provider, model=dep.model, model_name=name)

    def new_id(self) -> str:
        return ("msg_" if self.anthropic else "chatcmpl-") + secrets.token_hex(12)

    def whole(self, result: Result, name: str, id: str) -> dict[str, Any]:
        if self.anthropic:
            return anthropic_out.message(result, model_name=name, id=id)
        return openai_out.completion(result, model_name=name, id=id, created=int(time.time()))

    def writer(self, name: str, id: str, parsed: Any) -> Any:
        if self.anthropic:
            return anthropic_out.Events(model_name=name, id=id)
        return openai_out.Chunks(
            model_name=name, id=id, created=int(time.time()), include_usage=parsed.include_usage
        )

    @property
    def spell(self) -> Callable[[str], str]:
        return anthropic_field if self.anthropic else openai_field


OPENAI = Shape(anthropic=False)
ANTHROPIC = Shape(anthropic=True)


async def chat(gw: Any, http: HttpRequest, body: Any, shape: Shape, call: Call) -> Response:
    """Open the upstream (with failover), then answer whole or as a stream."""
    name = model_name(body)
    call.model_name = name
    parsed: dict[str, Any] = {}

    async def build(dep: Deployment) -> HttpCall:
        parsed["call"] = chat_call = shape.read(body, dep, name, http)
        call.extra["messages"] = chat_call.request.messages
        await _download(chat_call.request, dep)
        encoded: HttpCall = dep.module.encode(chat_call.request, dep.connection)
        return encoded

    upstream = await open_upstream(gw.transport, gw.router, name, build, shape.spell, call.attempt)
    chat_call = parsed["call"]
    acc = Accumulator(upstream.dep.provider, upstream.dep.model)
    id = shape.new_id()
    call.warnings = chat_call.warnings + notes(upstream.call.warnings, anthropic=shape.anthropic)
    headers = warning_header(call.warnings)
    if chat_call.stream:
        writer = shape.writer(name, id, chat_call)
        frames = _stream(upstream, writer, acc, call)
        return EventStream(frames, on_close=lambda: gw.finish(http, call), headers=headers)
    try:
        await _drain(upstream, acc, call)
    finally:
        await upstream.close()
    result = _priced(acc.finish(), upstream)
    call.result = result
    if result.finish_reason == "error" and not result.content and not result.tool_calls:
        raise stream_error(StreamError(result.error or "the upstream answer failed"))
    return JSONResponse(shape.whole(result, name, id), headers=headers)


# What the provider could not take as asked (dropped fields, settings it ignores): the
# client's own field names, on one header line (the answer's shape has no place for it).
WARNING_HEADER = "x-llmcli-warnings"


def warning_header(lines: list[str]) -> dict[str, str]:
    if not lines:
        return {}
    text = " | ".join(" ".join(line.split()) for line in lines)
    return {WARNING_HEADER: text.encode("ascii", "replace").decode()[:2000]}


async def _download(request: Request, dep: Deployment) -> None:
    """Image URLs fetched for a provider that takes only inline data (Ollama), as the CLI
    does (`inputs.download_attachments`: the same capped GET), in a thread: it blocks."""
    if dep.spec.inline_attachments and url_attachments(request):
        await asyncio.to_thread(download_attachments, request, dep.policy.timeout)


def model_name(body: Any) -> str:
    name = body.get("model") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise GatewayError(400, "model is required", "invalid_request", "model")
    return name.strip()


def _priced(result: Result, upstream: Upstream) -> Result:
    """The cost in `usage.cost` before the answer's last chunk is written (the client,
    the history and /metrics all see it): the CLI's rule, `catalog.fill_cost`."""
    from llmcli.catalog import fill_cost

    fill_cost(upstream.dep.provider, upstream.dep.model, result.usage)
    return result


async def _drain(upstream: Upstream, acc: Accumulator, call: Call) -> None:
    try:
        async for event in upstream.events():
            if call.ttft is None:
                call.ttft = time.perf_counter() - call.started
            acc.add(event)
    except (TransportError, DecodeError) as err:
        acc.fail(str(from_provider_error(err, secrets=upstream.dep.policy.secrets)))


async def _stream(
    upstream: Upstream, writer: Any, acc: Accumulator, call: Call
) -> AsyncGenerator[bytes, None]:
    """Each upstream event re-encoded and sent at once; a failure after the start ends
    the stream with an error event in the client's format, never a hang."""
    secrets_ = upstream.dep.policy.secrets
    failed: GatewayError | None = None
    try:
        async for event in upstream.events():
            if call.ttft is None:
                call.ttft = time.perf_counter() - call.started
            acc.add(event)
            if isinstance(event, StreamError):
                failed = stream_error(event)
                continue
            for frame in writer.feed(event):
                yield frame
    except (TransportError, DecodeError) as err:
        failed = from_provider_error(err, secrets=secrets_)
        acc.fail(failed.message)
    except (asyncio.CancelledError, GeneratorExit):
        # The client went away: what arrived is still recorded; 499 as nginx logs it.
        acc.fail("the client disconnected", interrupted=True)
        call.result, call.status = _priced(acc.finish(), upstream), 499
        raise
    finally:
        await upstream.close()
    result = _priced(acc.finish(), upstream)
    call.result = result
    if failed is not None:
        call.status = 502
        for frame in writer.fail(failed):
            yield frame
        return
    for frame in writer.finish(result):
        yield frame
