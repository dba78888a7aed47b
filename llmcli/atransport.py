"""Async HTTP delivery for the server: the twin of `llmcli.transport`, no thread per request.

One shared `httpx.AsyncClient` pool per process. The call (`HttpCall`), the retry rules
(`RETRY_STATUSES`, `backoff_delay`, the provider's verdict on the error body), the
one-line errors and the framing parsers are `transport`'s and `framing`'s own: only the
waiting is different.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import certifi
import httpx

from llmcli.framing import Frame, parser_for
from llmcli.transport import (
    RETRY_STATUSES,
    Framing,
    HttpCall,
    Policy,
    RetryCheck,
    backoff_delay,
    reading_failure,
    request_body,
    sending_failure,
)

# Connections kept open per pool; no cap on open ones (the server caps its requests).
POOL = httpx.Limits(max_connections=None, max_keepalive_connections=64)
SHARDS = 16


class AsyncAnswer:
    """A response whose status and headers arrived; the body is read through this."""

    def __init__(self, response: httpx.Response, url: str) -> None:
        self.response = response
        self.url = url

    @property
    def status_code(self) -> int:
        return self.response.status_code

    async def read(self) -> bytes:
        try:
            return await self.response.aread()
        except (httpx.TransportError, httpx.DecodingError) as err:
            raise reading_failure(err, self.url) from None

    async def frames(self, framing: Framing) -> AsyncIterator[list[Frame]]:
        """The frames each received chunk completes (a list per chunk: one await each)."""
        parser = parser_for(framing)
        try:
            async for chunk in self.response.aiter_raw():
                frames = parser.feed(chunk)
                if frames:
                    yield frames
        except (httpx.TransportError, httpx.DecodingError) as err:
            raise reading_failure(err, self.url) from None
        last = parser.close()
        if last:
            yield last


class AsyncTransport:
    """The process's shared connection pools (TLS-verifying for https, plain for http).

    Each kind is split into `SHARDS` clients used in turn: httpcore's pool does work
    proportional to its open connections on every request it assigns, so one pool
    holding a thousand streams spent more time there than on the streams themselves.
    """

    def __init__(self, limits: httpx.Limits = POOL, shards: int = SHARDS) -> None:
        # Plain-http upstreams (local servers, tests) skip loading the CA bundle and follow
        # no redirects, so an http → https hop can never go unverified (as `transport`).
        self._limits = limits
        self._shards = shards
        self._secure: list[httpx.AsyncClient] = []  # made at the first https call
        self._plain = [
            httpx.AsyncClient(limits=limits, follow_redirects=False, verify=False)
            for _ in range(shards)
        ]
        self._turn = itertools.count()

    async def aclose(self) -> None:
        for client in (*self._secure, *self._plain):
            await client.aclose()

    def _secure_clients(self) -> list[httpx.AsyncClient]:
        if not self._secure:
            # One TLS context for all: loading the CA bundle takes some 20 ms each time.
            context = ssl.create_default_context(cafile=certifi.where())
            self._secure = [
                httpx.AsyncClient(limits=self._limits, follow_redirects=True, verify=context)
                for _ in range(self._shards)
            ]
        return self._secure

    @asynccontextmanager
    async def open(
        self, call: HttpCall, policy: Policy, retryable: RetryCheck | None = None
    ) -> AsyncIterator[AsyncAnswer]:
        """Send `call`; yield the answer once its status and headers arrived.

        Retried as `transport.open_call` does, up to `policy.retries` times: connection
        failures and `RETRY_STATUSES` whose body `retryable` accepts. The response is
        closed on leaving, also when the caller is cancelled (client gone): the upstream
        sees its connection close at once.
        """
        clients = self._secure_clients() if call.url.startswith("https://") else self._plain
        client = clients[next(self._turn) % len(clients)]
        timeout = httpx.Timeout(policy.timeout, connect=policy.connect_timeout)
        request = client.build_request(
            call.method,
            call.url,
            headers=call.headers,
            content=request_body(call, policy),
            timeout=timeout,
        )
        attempt = 0
        while True:
            can_retry = attempt < policy.retries
            try:
                response = await client.send(request, stream=True)
            except httpx.TransportError as err:
                final = sending_failure(err, call.url)
                if not can_retry:
                    raise final from None
                await asyncio.sleep(backoff_delay(attempt))
                attempt += 1
                continue
            if policy.on_headers is not None:
                policy.on_headers(response.headers)
            try:
                if response.status_code in RETRY_STATUSES and can_retry:
                    body = await AsyncAnswer(response, call.url).read()
                    if retryable is None or retryable(response.status_code, body):
                        await response.aclose()
                        await asyncio.sleep(backoff_delay(attempt, response.headers))
                        attempt += 1
                        continue
                yield AsyncAnswer(response, call.url)
            finally:
                await response.aclose()
            return
