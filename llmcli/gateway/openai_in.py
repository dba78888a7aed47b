"""OpenAI request bodies (chat completions, embeddings, images) → llmcli requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmcli.request import EmbedRequest, ImageRequest, Request


@dataclass
class ChatCall:
    request: Request
    stream: bool
    include_usage: bool
    model_name: str  # what the client asked for, echoed back


def chat_call(body: Any, *, provider: str, model: str, model_name: str) -> ChatCall:
    raise NotImplementedError


def embed_request(body: Any, *, provider: str, model: str) -> EmbedRequest:
    raise NotImplementedError


def image_request(body: Any, *, provider: str, model: str) -> ImageRequest:
    raise NotImplementedError
