"""One upstream call for the server: deployments tried in the router's order, then the
answer decoded by the provider's pure decoder as its frames arrive.

Failover happens only before anything reached the client: on a 429, a 5xx or a
connection failure the deployment is cooled down and the next one is tried; any other
HTTP error is the client's (a 400 stays a 400). Once an answer began, it is this one.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from llmcli.atransport import AsyncAnswer, AsyncTransport
from llmcli.engine import provider_error
from llmcli.errors import ConnectFailed, ProviderError, TransportError
from llmcli.events import Event
from llmcli.gateway.errors import GatewayError, from_provider_error
from llmcli.serve.router import Deployment, Router
from llmcli.transport import HttpCall

# Upstream statuses that move the request to another deployment (and cool this one).
FAILOVER = frozenset({408, 429, 500, 502, 503, 504, 529})

# Encodes the request for a deployment; async when it must first fetch something
# (Ollama's URL images).
BuildCall = Callable[[Deployment], HttpCall | Awaitable[HttpCall]]


class Upstream:
    """An opened upstream answer: `events()` decodes it; `close()` ends it (and with it
    the upstream connection, at once: a client that went away stops the provider)."""

    def __init__(self, dep: Deployment, call: HttpCall, answer: AsyncAnswer, stack: AsyncExitStack):
        self.dep = dep
        self.call = call
        self.answer = answer
        self._stack = stack

    async def events(self) -> AsyncIterator[Event]:
        module = self.dep.module
        if self.call.framing == "json":
            body = await self.answer.read()
            for event in module.decode(body):
                yield event
            return
        decoder = module.stream_decoder()
        async for frames in self.answer.frames(self.call.framing):
            for frame in frames:
                for event in decoder.feed(frame):
                    yield event
                if decoder.done:
                    break
            if decoder.done:
                break
        for event in decoder.end():
            yield event

    async def read(self) -> bytes:
        return await self.answer.read()

    async def close(self) -> None:
        await self._stack.aclose()


async def open_upstream(
    transport: AsyncTransport,
    router: Router,
    name: str,
    build: BuildCall,
    spell: Callable[[str], str] | None = None,
    on_attempt: Callable[[Deployment, HttpCall], None] | None = None,
) -> Upstream:
    """The first deployment of `name` (or its fallbacks) that answers 2xx.

    `build` encodes the request for a deployment (raising GatewayError or Refused for a
    request that cannot go: that is final, no other deployment is tried).
    """
    plan = router.plan(name)
    last: GatewayError | None = None
    for dep in plan:
        try:
            made = build(dep)
            call = await made if inspect.isawaitable(made) else made
        except GatewayError:
            raise
        except Exception as err:  # Refused / UsageError from the encoder
            raise from_provider_error(err, secrets=dep.policy.secrets, spell=spell) from None
        if on_attempt is not None:
            on_attempt(dep, call)
        stack = AsyncExitStack()
        dep.in_flight += 1
        stack.callback(_done, dep)
        try:
            answer = await stack.enter_async_context(transport.open(call, dep.policy))
            if answer.status_code >= 400:
                body = await answer.read()
                raise provider_error(dep.module, answer.status_code, body, dep.policy.secrets)
        except (ProviderError, TransportError) as err:
            await stack.aclose()
            failed = from_provider_error(err, secrets=dep.policy.secrets, spell=spell)
            if not _fails_over(err):
                raise failed from None
            router.cool(dep)
            last = failed
            continue
        except BaseException:
            await stack.aclose()
            raise
        return Upstream(dep, call, answer, stack)
    assert last is not None  # plan is never empty: router.group raised a 404 otherwise
    raise last


def _done(dep: Deployment) -> None:
    dep.in_flight -= 1


def _fails_over(err: Exception) -> bool:
    if isinstance(err, ProviderError):
        return err.status in FAILOVER
    return isinstance(err, (ConnectFailed, TransportError))


async def fetch(
    transport: AsyncTransport,
    router: Router,
    name: str,
    build: BuildCall,
    spell: Callable[[str], str] | None = None,
    on_attempt: Callable[[Deployment, HttpCall], None] | None = None,
) -> tuple[Deployment, bytes]:
    """A whole-body call (embeddings, images) with the same failover."""
    upstream = await open_upstream(transport, router, name, build, spell, on_attempt)
    try:
        return upstream.dep, await upstream.read()
    finally:
        await upstream.close()


def describe(dep: Deployment) -> dict[str, Any]:
    return {"provider": dep.provider, "model": dep.model, "deployment": dep.id}
