"""The OpenAI shape of the endpoints that are not chat: embeddings and model lists.

Shared by openai, openrouter, deepseek and local, like `body` and `answers` for chat.
"""

from __future__ import annotations

from typing import Any

from llmcli import catalog as _catalog
from llmcli import tasks as _tasks
from llmcli.events import Usage
from llmcli.providers._common import int_or_none, load_json, merge, put
from llmcli.providers.openai_chat.body import auth_headers
from llmcli.request import EmbedRequest
from llmcli.transport import Connection, HttpCall


def embed_call(req: EmbedRequest, conn: Connection) -> HttpCall:
    """`POST {base}/embeddings {model, input: [...], dimensions?}`.

    OpenAI API reference, "Create embeddings" (`dimensions`: "only supported in
    text-embedding-3 and later models"; corpus openai/embeddings-float-dimensions);
    OpenRouter takes the same body (openrouter.ai/docs/api-reference/embeddings; corpus
    openrouter/embeddings). No `encoding_format` is sent, so the answer has float lists;
    `-o encoding_format=base64` gets base64 strings, which `decode_embeddings` reads too.
    """
    body: dict[str, Any] = {"model": req.model, "input": list(req.inputs)}
    put(body, "dimensions", req.dimensions)
    merge(body, req.options)
    return HttpCall(
        method="POST",
        url=conn.base_url + "/embeddings",
        headers=auth_headers(conn),
        json=body,
        framing="json",
    )


def decode_embeddings(body: bytes) -> _tasks.Embeddings:
    """`{data: [{embedding, index}], model, usage: {prompt_tokens, cost?}}` → vectors in
    input order. An embedding is a float list, or (`encoding_format: base64`) a base64
    string of little-endian float32 values."""
    from llmcli.errors import DecodeError

    data = load_json(body, "embeddings answer")
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DecodeError("the embeddings answer has no `data` list")
    ordered = sorted(
        enumerate(items), key=lambda pair: (int_or_none(pair[1].get("index")) or 0, pair[0])
    )
    vectors = [embedding_vector(item.get("embedding")) for _, item in ordered]
    raw_usage = data.get("usage") or {}
    cost = raw_usage.get("cost")
    return _tasks.Embeddings(
        vectors=vectors,
        model=data.get("model") if isinstance(data.get("model"), str) else None,
        usage=Usage(
            input_tokens=int_or_none(raw_usage.get("prompt_tokens")),
            cost=float(cost)
            if isinstance(cost, (int, float)) and not isinstance(cost, bool)
            else None,
        ),
    )


def embedding_vector(raw: Any) -> list[float]:
    """A float list as is; a base64 string as little-endian float32 values."""
    import array
    import sys

    from llmcli.errors import DecodeError

    if isinstance(raw, list):
        return [float(x) for x in raw]
    if isinstance(raw, str):
        packed = _tasks.decode_base64(raw, "embedding")
        if len(packed) % 4:
            raise DecodeError("a base64 embedding is not a whole number of float32 values")
        values = array.array("f", packed)
        if sys.byteorder == "big":
            values.byteswap()
        return values.tolist()
    raise DecodeError("an embedding is neither a list of numbers nor a base64 string")


def models_call(conn: Connection) -> HttpCall:
    """`GET {base}/models` (OpenAI API reference, "List models")."""
    headers = {k: v for k, v in auth_headers(conn).items() if k.lower() != "content-type"}
    return HttpCall(
        method="GET", url=conn.base_url + "/models", headers=headers, json=None, framing="json"
    )


def decode_model_list(body: bytes, provider: str) -> list[_catalog.Model]:
    """`{object: "list", data: [{id, object: "model", created, owned_by}]}` → models
    (ids only: the list says nothing of capabilities or prices)."""
    from llmcli.errors import DecodeError

    data = load_json(body, "model list")
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DecodeError("the model list has no `data` list")
    return [
        _catalog.Model(id=f"{provider}/{item['id']}", note=item.get("owned_by"))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]
