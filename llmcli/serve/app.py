"""The ASGI app: routes (each with and without `/v1`, as LiteLLM serves them), auth,
body limits, and every error in the endpoint's own shape."""

from __future__ import annotations

import contextlib
import hmac
import importlib.util
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from llmcli.atransport import AsyncTransport
from llmcli.gateway.errors import GatewayError, anthropic_error, openai_error
from llmcli.serve.chat import ANTHROPIC, OPENAI, chat
from llmcli.serve.observe import AccessLog, Metrics, Recorder
from llmcli.serve.record import Call
from llmcli.serve.router import Router
from llmcli.serve.streaming import EventStream

# Anthropic's documented Messages limit (32 MB, API overview): the largest a client
# may legitimately send to either route.
MAX_BODY = 32 * 1024 * 1024

Handler = Callable[["Gateway", HttpRequest, Any, Call], Awaitable[Response]]


@dataclass
class Gateway:
    """Everything a request handler needs, built once per worker."""

    router: Router
    master_key: str | None = None
    log: AccessLog = field(default_factory=lambda: AccessLog(quiet=False))
    record: bool = True
    max_body: int = MAX_BODY
    metrics: Metrics = field(default_factory=Metrics)
    transport: AsyncTransport | None = None  # made inside the event loop (startup)
    recorder: Recorder | None = None
    # Browser pages of other origins allowed to call (`--allow-origin`; see `guard`).
    allow_origins: tuple[str, ...] = ()
    # Bound to a loopback address: only loopback Host names are answered (`guard`).
    loopback: bool = True

    def finish(self, http: HttpRequest, call: Call) -> None:
        call.latency = time.perf_counter() - call.started
        self.metrics.observe(call)
        self.log.line(http.method, http.url.path, call)
        if self.recorder is not None and call.result is not None:
            self.recorder.add(call)


def create_app(gw: Gateway) -> Starlette:
    routes: list[BaseRoute] = []
    for prefix in ("/v1", ""):
        routes += [
            Route(f"{prefix}/chat/completions", _api(gw, _openai_chat, False), methods=["POST"]),
            Route(f"{prefix}/messages", _api(gw, _anthropic_chat, True), methods=["POST"]),
            Route(f"{prefix}/embeddings", _api(gw, _embeddings, False), methods=["POST"]),
            Route(f"{prefix}/images/generations", _api(gw, _images, False), methods=["POST"]),
            Route(f"{prefix}/models", _api(gw, _models, False, body=False), methods=["GET"]),
        ]
    routes += [
        Route("/health", _health(gw), methods=["GET"]),
        Route("/health/liveliness", _health, methods=["GET"]),
        Route("/health/readiness", _readiness(gw), methods=["GET"]),
        Route("/metrics", _api(gw, _metrics, False, body=False), methods=["GET"]),
    ]
    routes += extra_routes(gw)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        gw.transport = AsyncTransport()
        if gw.record:
            gw.recorder = Recorder()
        try:
            yield
        finally:
            await gw.transport.aclose()
            if gw.recorder is not None:
                gw.recorder.close()

    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware(gw))


def middleware(gw: Gateway) -> list[Middleware]:
    """The origin/host guard outside everything; CORS answers for the allowed origins."""
    from llmcli.serve.guard import Guard

    stack = [Middleware(Guard, allow=gw.allow_origins, loopback=gw.loopback, log=gw.log.text)]
    if gw.allow_origins:
        from starlette.middleware.cors import CORSMiddleware

        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(gw.allow_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
                expose_headers=["x-llmcli-warnings", "x-request-id"],
            )
        )
    return stack


def extra_routes(gw: Gateway) -> list[BaseRoute]:
    """The playground's pages (`llmcli.serve.pages`, when installed): the one place it
    is imported, so the server works without it."""
    if importlib.util.find_spec("llmcli.serve.pages") is None:
        return []
    from llmcli.serve import pages  # type: ignore[attr-defined, unused-ignore]

    found: list[BaseRoute] = pages.routes(gw)
    return found


def _api(gw: Gateway, handler: Handler, anthropic: bool, body: bool = True) -> Any:
    """Auth, body reading and error shaping around one endpoint's handler."""
    shape = anthropic_error if anthropic else openai_error

    async def endpoint(http: HttpRequest) -> Response:
        call = Call(route=http.url.path.removeprefix("/v1") or "/", started=time.perf_counter())
        call.id = request_id(http)
        try:
            _authorize(gw, http)
            payload = await read_json(http, gw.max_body) if body else None
            response = await handler(gw, http, payload, call)
        except GatewayError as err:
            call.status = err.status
            call.failed(err.message)
            response = JSONResponse(shape(err), status_code=err.status, headers=_headers(err))
        except Exception as err:  # never a traceback to the client; one line to the log
            call.status = 500
            import sys

            sys.stderr.write(f"llmcli serve: internal error: {type(err).__name__}: {err}\n")
            internal = GatewayError(500, "internal error in the gateway", "server")
            response = JSONResponse(shape(internal), status_code=500)
        if isinstance(response, EventStream):  # a stream is finished when it ends
            response.extra.append((REQUEST_ID.encode(), call.id.encode()))
        else:
            response.headers[REQUEST_ID] = call.id
            call.status = response.status_code
            gw.finish(http, call)
        return response

    return endpoint


# Each answer's id, on the access-log line too: what a user quotes to find a request.
# A client's own (a tracing id, as proxies pass it on) is kept when it is plainly one.
REQUEST_ID = "x-request-id"
_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(http: HttpRequest) -> str:
    given = http.headers.get(REQUEST_ID, "")
    return given if _ID.fullmatch(given) else "req_" + secrets.token_hex(12)


def _headers(err: GatewayError) -> dict[str, str]:
    # Errors the client cannot fix by waiting: the SDKs must not retry them.
    if err.status in (400, 401, 403, 404, 413):
        return {"x-should-retry": "false"}
    return {}


def _authorize(gw: Gateway, http: HttpRequest) -> None:
    if gw.master_key is None:
        return
    given = http.headers.get("x-api-key") or ""
    auth = http.headers.get("authorization") or ""
    if auth[:7].lower() == "bearer ":
        given = auth[7:].strip()
    if not hmac.compare_digest(given.encode(), gw.master_key.encode()):
        raise GatewayError(401, "invalid or missing API key for this gateway", "authentication")


async def read_json(http: HttpRequest, limit: int) -> Any:
    declared = http.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    data = bytearray()
    async for chunk in http.stream():
        data += chunk
        if len(data) > limit:
            raise _too_large(limit)
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise GatewayError(400, "the body is not UTF-8 JSON", "invalid_request") from None
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno} (char {err.pos})"
        raise GatewayError(
            400, f"the body is not valid JSON: {err.msg} at {where}", "invalid_request"
        ) from None


def _too_large(limit: int) -> GatewayError:
    return GatewayError(413, f"the body is larger than {limit // (1024 * 1024)} MB", "too_large")


async def _openai_chat(gw: Gateway, http: HttpRequest, body: Any, call: Call) -> Response:
    return await chat(gw, http, body, OPENAI, call)


async def _anthropic_chat(gw: Gateway, http: HttpRequest, body: Any, call: Call) -> Response:
    return await chat(gw, http, body, ANTHROPIC, call)


async def _embeddings(gw: Gateway, http: HttpRequest, body: Any, call: Call) -> Response:
    from llmcli.serve.tasks import embeddings

    assert gw.transport is not None
    return await embeddings(gw.transport, gw.router, body, call)


async def _images(gw: Gateway, http: HttpRequest, body: Any, call: Call) -> Response:
    from llmcli.serve.tasks import images

    assert gw.transport is not None
    return await images(gw.transport, gw.router, body, call)


async def _models(gw: Gateway, http: HttpRequest, body: Any, call: Call) -> Response:
    from llmcli.serve.tasks import models

    return JSONResponse(models(gw.router))


def _health(gw: Gateway) -> Callable[[HttpRequest], Awaitable[Response]]:
    """Liveness, free and without a key; `?probe=1` (or LiteLLM's `?model=NAME`) calls
    every configured deployment once instead, behind the master key (llmcli.serve.probe)."""
    probing = _api(gw, _probe, False, body=False)

    async def health(http: HttpRequest) -> Response:
        from llmcli.serve.probe import wanted

        if not wanted(http.query_params)[0]:
            return JSONResponse({"status": "healthy"})
        response: Response = await probing(http)
        return response

    return health


async def _probe(gw: Gateway, http: HttpRequest, body: Any, call: Call) -> Response:
    from llmcli.serve.probe import probe_all, targets, wanted

    assert gw.transport is not None
    deps = targets(gw.router, wanted(http.query_params)[1])
    return JSONResponse(await probe_all(gw.transport, deps))


def _readiness(gw: Gateway) -> Callable[[HttpRequest], Awaitable[Response]]:
    """Unauthenticated, as LiteLLM's is (probes carry no key)."""

    async def readiness(http: HttpRequest) -> Response:
        ready = gw.transport is not None
        return JSONResponse(
            {"status": "connected" if ready else "starting", "models": len(gw.router.names)},
            status_code=200 if ready else 503,
        )

    return readiness


async def _metrics(gw: Gateway, http: HttpRequest, body: Any, call: Call) -> Response:
    return PlainTextResponse(gw.metrics.text(), media_type="text/plain; version=0.0.4")
