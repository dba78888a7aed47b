"""The endpoints that are not a chat: embeddings, images and the model list."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from starlette.responses import JSONResponse, Response

from llmcli.catalog import fill_cost, images_cost, lookup
from llmcli.errors import DecodeError
from llmcli.events import Result, Usage
from llmcli.gateway import openai_in, openai_out
from llmcli.gateway.errors import GatewayError, from_provider_error
from llmcli.gateway.fields import notes
from llmcli.request import Message, TextPart
from llmcli.serve.chat import model_name, warning_header
from llmcli.serve.record import Call
from llmcli.serve.router import Deployment, Router
from llmcli.serve.upstream import fetch
from llmcli.transport import HttpCall

if TYPE_CHECKING:
    from llmcli.atransport import AsyncTransport
    from llmcli.providers.base import Embedder, ImageMaker
    from llmcli.request import ImageRequest

T = TypeVar("T")


def _offers(dep: Deployment, claimed: bool, what: str) -> Any:
    if not claimed:
        raise GatewayError(400, f"{dep.name} ({dep.provider}) makes no {what}", "invalid_request")
    return dep.module


async def embeddings(transport: AsyncTransport, router: Router, body: Any, call: Call) -> Response:
    name = call.model_name = model_name(body)

    def build(dep: Deployment) -> HttpCall:
        embedder = cast("Embedder", _offers(dep, dep.spec.embeds, "embeddings"))
        req = openai_in.embed_request(body, provider=dep.provider, model=dep.model)
        call.extra["messages"] = [_asked(req.inputs)]
        return embedder.encode_embed(req, dep.connection)

    dep, raw = await fetch(transport, router, name, build, on_attempt=call.attempt)
    result = _decoded(dep, lambda: cast("Embedder", dep.module).decode_embed(raw))
    fill_cost(dep.provider, dep.model, result.usage)
    _done(call, dep, result.usage, "embeddings")
    fmt = openai_in.embed_encoding(body)
    answer = openai_out.embeddings(result, model_name=name, encoding_format=fmt)
    return JSONResponse(answer, headers=warning_header(call.warnings))


async def images(transport: AsyncTransport, router: Router, body: Any, call: Call) -> Response:
    name = call.model_name = model_name(body)
    asked: dict[str, ImageRequest] = {}

    def build(dep: Deployment) -> HttpCall:
        maker = cast("ImageMaker", _offers(dep, dep.spec.makes_images, "images"))
        req = asked["req"] = openai_in.image_request(body, provider=dep.provider, model=dep.model)
        call.extra["messages"] = [_asked([req.prompt])]
        return maker.encode_image(req, dep.connection)

    dep, raw = await fetch(transport, router, name, build, on_attempt=call.attempt)
    made = _decoded(dep, lambda: cast("ImageMaker", dep.module).decode_image(raw))
    req = asked["req"]
    made.usage.cost = images_cost(
        dep.provider, dep.model, made.usage, req.quality, req.size, len(made.images)
    )
    _done(call, dep, made.usage, "image_generation")
    fmt = openai_in.image_format(body)
    answer = openai_out.images(made, created=int(time.time()), response_format=fmt)
    return JSONResponse(answer, headers=warning_header(call.warnings))


def _decoded(dep: Deployment, decode: Callable[[], T]) -> T:
    """An unreadable answer is a 502 in the endpoint's shape (as for chat), not a 500."""
    try:
        return decode()
    except DecodeError as err:
        raise from_provider_error(err, secrets=dep.policy.secrets) from None


def _asked(texts: list[str]) -> Message:
    return Message(role="user", parts=[TextPart(text=t) for t in texts])


def _done(call: Call, dep: Deployment, usage: Usage, capability: str) -> None:
    """As a chat call is: a Result for the history and /metrics (usage and cost, no
    content), and what the provider could not take for the header and the log line."""
    call.result = Result(dep.provider, dep.model, usage=usage, finish_reason="stop")
    sent = call.wire[0].warnings if call.wire is not None else []
    call.warnings = _catalog_note(dep, capability) + notes(sent)


def _catalog_note(dep: Deployment, capability: str) -> list[str]:
    """The CLI's `embed` warning, for images too: a model the catalog knows for other
    things is still asked (the provider has the last word)."""
    entry = lookup(dep.provider, dep.model)
    if entry is None or not entry.capabilities or entry.has(capability):
        return []
    kind = "an embedding" if capability == "embeddings" else "an image generation"
    return [f"{entry.id} is not {kind} model (model catalog)"]


def models(router: Router) -> dict[str, Any]:
    """The configured names; with no config, the catalog's models (any is routable)."""
    created = int(time.time())
    if router.open:
        from llmcli.catalog import models as catalog_models

        ids = [m.id for m in catalog_models()]
        owners = [m.provider for m in catalog_models()]
    else:
        ids = router.names
        owners = [router.groups[n][0].provider for n in ids]
    data = [
        {"id": i, "object": "model", "created": created, "owned_by": o}
        for i, o in zip(ids, owners, strict=True)
    ]
    return {"object": "list", "data": data}
