"""Errors in each endpoint's shape, upstream failures mapped, and the embeddings and
images endpoints through the openai SDK (in process)."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import httpx
import pytest
from anthropic.types import ErrorResponse
from openai.types import ErrorObject, ImagesResponse

from llmcli.errors import ConnectFailed, DecodeError, ProviderError, TransportError, UsageError
from llmcli.events import StreamError, Usage
from llmcli.gateway import openai_in, openai_out
from llmcli.gateway.errors import (
    GatewayError,
    anthropic_error,
    from_provider_error,
    openai_error,
    stream_error,
)
from llmcli.gateway.fields import anthropic_field, notes, openai_field
from llmcli.notes import Refused, Unsupported
from llmcli.providers import PROVIDERS, base
from llmcli.tasks import Embeddings, ImageData, Images
from llmcli.transport import Connection
from tests.gateway_sdk import openai_call, openai_client

UPSTREAM = [
    (
        ProviderError("openai", "Rate limit reached", status=429),
        429,
        "rate_limit",
        "rate_limit_error",
    ),
    (
        ProviderError("anthropic", "bad", status=400, error_type="invalid_request_error"),
        400,
        "invalid_request",
        "invalid_request_error",
    ),
    (ProviderError("anthropic", "who?", status=401), 401, "authentication", "authentication_error"),
    (ProviderError("anthropic", "no", status=403), 403, "permission", "permission_error"),
    (ProviderError("openai", "no model", status=404), 404, "not_found", "not_found_error"),
    (ProviderError("anthropic", "big", status=413), 413, "too_large", "request_too_large"),
    (ProviderError("anthropic", "Overloaded", status=529), 529, "overloaded", "overloaded_error"),
    (ProviderError("openai", "boom", status=500), 502, "upstream", "api_error"),
    (ProviderError("deepseek", "bad gateway", status=502), 502, "upstream", "api_error"),
    (ConnectFailed("cannot connect to http://127.0.0.1:9"), 502, "upstream", "api_error"),
    (TransportError("the answer stopped"), 502, "upstream", "api_error"),
    (DecodeError("not JSON"), 502, "upstream", "api_error"),
    (
        UsageError("anthropic takes text documents inline"),
        400,
        "invalid_request",
        "invalid_request_error",
    ),
    (RuntimeError("secret internals"), 500, "server", "api_error"),
]


@pytest.mark.parametrize(("err", "status", "kind", "anthropic_type"), UPSTREAM)
def test_upstream_failures_map_to_status_and_kind(
    err: Exception, status: int, kind: str, anthropic_type: str
) -> None:
    mapped = from_provider_error(err)
    assert (mapped.status, mapped.kind) == (status, kind)
    body = openai_error(mapped)
    ErrorObject.model_validate(body["error"])
    assert set(body["error"]) == {"message", "type", "param", "code"}
    shaped = anthropic_error(mapped)
    # request_too_large is documented (platform.claude.com/docs/en/api/errors) but not in
    # the SDK's ErrorResponse union; the SDK picks its exception by status, not by type.
    if anthropic_type != "request_too_large":
        ErrorResponse.model_validate(shaped)
    assert set(shaped) == {"type", "error"} and set(shaped["error"]) == {"type", "message"}
    assert shaped["error"]["type"] == anthropic_type
    assert "secret internals" not in mapped.message


def test_no_key_leaks_into_an_error() -> None:
    key = "sk-ant-api03-abcdefghijklmnop"
    err = ProviderError("anthropic", f"invalid x-api-key {key} (Bearer {key})", status=401)
    mapped = from_provider_error(err, secrets=["upstream-secret-value"])
    assert key not in mapped.message and "<redacted>" in mapped.message
    err = TransportError("GET http://h/?key=upstream-secret-value failed: upstream-secret-value")
    assert (
        "upstream-secret-value"
        not in from_provider_error(err, secrets=["upstream-secret-value"]).message
    )


def test_a_refusal_names_the_clients_field() -> None:
    refused = Refused(
        "max_tokens", "anthropic", "{max_tokens} (300) must exceed the thinking budget (1024)"
    )
    openai = from_provider_error(refused, spell=openai_field)
    assert openai.status == 400 and openai.param == "max_completion_tokens"
    assert openai.message.startswith("max_completion_tokens (300)")
    anthropic = from_provider_error(Refused("stop", "x", "no {stop}"), spell=anthropic_field)
    assert anthropic.param == "stop_sequences" and anthropic.message == "no stop_sequences"
    assert notes([Unsupported("top_k", "openai", "OpenAI has no top_k: {top_k} was not sent")]) == [
        "OpenAI has no top_k: top_k was not sent"
    ]


def test_stream_errors_keep_their_kind() -> None:
    assert stream_error(StreamError("Overloaded", "overloaded_error")).kind == "overloaded"
    assert stream_error(StreamError("Overloaded", "overloaded_error")).status == 529
    assert stream_error(StreamError("x", None)).status == 502


# ---- embeddings and images through the SDK ------------------------------------------------


def _serve(route: Any) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        try:
            return httpx.Response(200, json=route(json.loads(request.content)))
        except GatewayError as err:
            return httpx.Response(err.status, json=openai_error(err))

    return openai_client(handler)


def _fake_vectors(req: Any) -> Embeddings:
    return Embeddings(
        [[float(len(t)), 0.5, -1.25] for t in req.inputs], usage=Usage(input_tokens=7)
    )


@pytest.mark.parametrize("encoding", [None, "float", "base64"])
def test_embeddings_round_trip_through_the_sdk(encoding: str | None) -> None:
    seen: list[Any] = []

    def route(body: dict[str, Any]) -> dict[str, Any]:
        req = openai_in.embed_request(body, provider="openai", model="text-embedding-3-small")
        seen.append(req)
        fmt = openai_in.embed_encoding(body)
        return openai_out.embeddings(
            _fake_vectors(req), model_name=body["model"], encoding_format=fmt
        )

    kwargs: dict[str, Any] = {"encoding_format": encoding} if encoding else {}
    answer = _serve(route).embeddings.create(
        model="emb", input=["ab", "abcd"], dimensions=3, **kwargs
    )
    if encoding == "base64":  # asked for explicitly: the SDK hands the string back as is
        raw = base64.b64decode(answer.data[0].embedding)  # type: ignore[arg-type]
        assert struct.unpack("<3f", raw) == (2.0, 0.5, -1.25)
    else:  # float, or unset: the SDK asks for base64 itself and decodes it
        assert [d.embedding for d in answer.data] == [[2.0, 0.5, -1.25], [4.0, 0.5, -1.25]]
    assert answer.usage.prompt_tokens == 7 and answer.model == "emb"
    wire = (
        base.load(PROVIDERS["openai"]).encode_embed(seen[0], Connection("http://u.test", "k")).json
    )  # type: ignore[attr-defined]
    assert wire["dimensions"] == 3 and wire["input"] == ["ab", "abcd"]


def test_bad_embedding_input_is_a_400() -> None:
    with pytest.raises(GatewayError) as caught:
        openai_in.embed_request({"input": [1, 2]}, provider="openai", model="m")
    assert caught.value.param == "input[0]"
    with pytest.raises(GatewayError):
        openai_in.embed_request(
            {"input": "x", "encoding_format": "int8"}, provider="openai", model="m"
        )


def test_images_round_trip_through_the_sdk() -> None:
    body = openai_call(
        "images.generate",
        model="img",
        prompt="a pelican",
        n=2,
        size="1024x1024",
        quality="high",
        response_format="b64_json",
    )
    req = openai_in.image_request(body, provider="openai", model="gpt-image-1")
    assert (req.prompt, req.n, req.size, req.quality) == ("a pelican", 2, "1024x1024", "high")
    wire = base.load(PROVIDERS["openai"]).encode_image(req, Connection("http://u.test", "k")).json  # type: ignore[attr-defined]
    assert wire["prompt"] == "a pelican" and wire["n"] == 2 and wire["size"] == "1024x1024"
    made = Images(
        [
            ImageData(data=b"\x89PNG", mime="image/png"),
            ImageData(url="https://cdn.test/a.png", revised_prompt="p"),
        ]
    )
    out = openai_out.images(made, created=5, response_format=openai_in.image_format(body))
    parsed = ImagesResponse.model_validate(out)
    assert parsed.data is not None and base64.b64decode(parsed.data[0].b64_json or "") == b"\x89PNG"
    assert parsed.data[1].url == "https://cdn.test/a.png" and parsed.created == 5
    as_urls = openai_out.images(made, response_format="url")
    assert as_urls["data"][0]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "prompt"),
        ({"prompt": "x", "size": "big"}, "size"),
        ({"prompt": "x", "n": 0}, "n"),
        ({"prompt": "x", "response_format": "gif"}, "response_format"),
    ],
)
def test_bad_image_bodies_are_400(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as caught:
        openai_in.image_request(body, provider="openai", model="m")
    assert caught.value.param == param
