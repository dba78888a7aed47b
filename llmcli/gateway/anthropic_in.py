"""Anthropic Messages request bodies → llmcli Request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmcli.request import Request


@dataclass
class MessagesCall:
    request: Request
    stream: bool
    model_name: str


def messages_call(body: Any, *, provider: str, model: str, model_name: str) -> MessagesCall:
    raise NotImplementedError
