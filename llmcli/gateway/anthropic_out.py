"""llmcli answers → Anthropic Messages bodies (message JSON and the SSE sequence)."""

from __future__ import annotations

from typing import Any

from llmcli.events import Event, Result
from llmcli.gateway.errors import GatewayError


def message(result: Result, *, model_name: str, id: str) -> dict[str, Any]:
    raise NotImplementedError


class Events:
    """Messages SSE frames (event: + data: lines) for one streamed answer."""

    def __init__(self, *, model_name: str, id: str, input_tokens: int | None = None) -> None:
        self.model_name = model_name
        self.id = id
        self.input_tokens = input_tokens

    def feed(self, event: Event) -> list[bytes]:
        raise NotImplementedError

    def finish(self, result: Result) -> list[bytes]:
        raise NotImplementedError

    def fail(self, err: GatewayError) -> list[bytes]:
        raise NotImplementedError
