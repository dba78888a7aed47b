"""The endpoints that are not a chat: embeddings, images and the model list."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from starlette.responses import JSONResponse, Response

from llmcli.gateway import openai_in, openai_out
from llmcli.gateway.errors import GatewayError
from llmcli.serve.chat import model_name
from llmcli.serve.record import Call
from llmcli.serve.router import Deployment, Router
from llmcli.serve.upstream import fetch
from llmcli.transport import HttpCall

if TYPE_CHECKING:
    from llmcli.atransport import AsyncTransport
    from llmcli.providers.base import Embedder, ImageMaker


def _offers(dep: Deployment, claimed: bool, what: str) -> Any:
    if not claimed:
        raise GatewayError(400, f"{dep.name} ({dep.provider}) makes no {what}", "invalid_request")
    return dep.module


async def embeddings(transport: AsyncTransport, router: Router, body: Any, call: Call) -> Response:
    name = call.model_name = model_name(body)

    def build(dep: Deployment) -> HttpCall:
        embedder = cast("Embedder", _offers(dep, dep.spec.embeds, "embeddings"))
        req = openai_in.embed_request(body, provider=dep.provider, model=dep.model)
        return embedder.encode_embed(req, dep.connection)

    dep, raw = await fetch(transport, router, name, build, on_attempt=call.attempt)
    result = cast("Embedder", dep.module).decode_embed(raw)
    fmt = openai_in.embed_encoding(body)
    return JSONResponse(openai_out.embeddings(result, model_name=name, encoding_format=fmt))


async def images(transport: AsyncTransport, router: Router, body: Any, call: Call) -> Response:
    name = call.model_name = model_name(body)

    def build(dep: Deployment) -> HttpCall:
        maker = cast("ImageMaker", _offers(dep, dep.spec.makes_images, "images"))
        req = openai_in.image_request(body, provider=dep.provider, model=dep.model)
        return maker.encode_image(req, dep.connection)

    dep, raw = await fetch(transport, router, name, build, on_attempt=call.attempt)
    made = cast("ImageMaker", dep.module).decode_image(raw)
    fmt = openai_in.image_format(body)
    return JSONResponse(openai_out.images(made, created=int(time.time()), response_format=fmt))


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
