"""The official SDKs as request builders and response readers, in process: an
httpx.MockTransport stands where the gateway's socket would be."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import httpx2
import openai

from llmcli.events import Accumulator, Event, Result
from llmcli.framing import frames_of
from llmcli.providers import PROVIDERS, base
from llmcli.transport import Connection
from tests.servers import load_case

KEY = "sk-gateway-client-key-123456"
Handler = Callable[[Any], Any]


def openai_client(handler: Handler) -> openai.OpenAI:
    transport = httpx.MockTransport(handler)
    return openai.OpenAI(
        api_key=KEY,
        base_url="http://gw.test/v1",
        max_retries=0,
        http_client=httpx.Client(transport=transport),
    )


def anthropic_client(handler: Handler) -> anthropic.Anthropic:
    # anthropic-python 2.x is built on httpx2 (a fork with the same API).
    transport = httpx2.MockTransport(handler)
    return anthropic.Anthropic(
        api_key=KEY,
        base_url="http://gw.test",
        max_retries=0,
        http_client=httpx2.Client(transport=transport),
    )


def _capture(http: Any = httpx) -> tuple[list[dict[str, Any]], Handler]:
    seen: list[dict[str, Any]] = []

    def handler(request: Any) -> Any:
        seen.append(json.loads(request.content))
        return http.Response(418, json={"error": {"message": "captured", "type": "x"}})

    return seen, handler


def openai_body(**kwargs: Any) -> dict[str, Any]:
    """The body openai-python sends for `chat.completions.create(**kwargs)`."""
    seen, handler = _capture()
    with contextlib.suppress(openai.APIStatusError):
        openai_client(handler).chat.completions.create(**kwargs)
    return seen[0]


def openai_call(method: str, **kwargs: Any) -> dict[str, Any]:
    """The body of another openai-python call (`embeddings.create`, `images.generate`)."""
    seen, handler = _capture()
    resource, name = method.split(".")
    with contextlib.suppress(openai.APIStatusError):
        getattr(getattr(openai_client(handler), resource), name)(**kwargs)
    return seen[0]


def anthropic_body(**kwargs: Any) -> dict[str, Any]:
    seen, handler = _capture(httpx2)
    with contextlib.suppress(anthropic.APIStatusError):
        anthropic_client(handler).messages.create(**kwargs)
    return seen[0]


def encode(provider: str, request: Any) -> dict[str, Any]:
    module = base.load(PROVIDERS[provider])
    body = module.encode(request, Connection("http://upstream.test", "upstream-secret-key")).json
    assert body is not None
    return body


def recorded(provider: str, name: str) -> tuple[list[Event], Result]:
    """A recorded answer decoded by llmcli's own decoder: its events and Result."""
    case = load_case(provider, name)
    module = base.load(PROVIDERS[provider])
    suffix = case.meta["response_file"].rsplit(".", 1)[-1]
    if suffix == "json":
        events = list(module.decode(case.response))
    else:
        framing = "sse" if suffix == "sse" else "ndjson"
        events = list(module.decode_stream(frames_of(case.response, framing)))
    acc = Accumulator(provider, "m")
    for event in events:
        acc.add(event)
    return events, acc.finish()
