"""llmcli answers → OpenAI response bodies (chat.completion, chunks, embeddings, images)."""

from __future__ import annotations

from typing import Any

from llmcli.events import Event, Result
from llmcli.gateway.errors import GatewayError
from llmcli.tasks import Embeddings, Images


def completion(result: Result, *, model_name: str, id: str, created: int) -> dict[str, Any]:
    raise NotImplementedError


class Chunks:
    """chat.completion.chunk SSE frames for one streamed answer."""

    def __init__(self, *, model_name: str, id: str, created: int, include_usage: bool) -> None:
        self.model_name = model_name
        self.id = id
        self.created = created
        self.include_usage = include_usage

    def feed(self, event: Event) -> list[bytes]:
        raise NotImplementedError

    def finish(self, result: Result) -> list[bytes]:
        raise NotImplementedError

    def fail(self, err: GatewayError) -> list[bytes]:
        raise NotImplementedError


def embeddings(emb: Embeddings, *, model_name: str) -> dict[str, Any]:
    raise NotImplementedError


def images(images: Images) -> dict[str, Any]:
    raise NotImplementedError
