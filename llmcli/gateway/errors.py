"""Errors a gateway answers with, in each endpoint's own shape."""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """One error answered to the client: an HTTP status, a neutral kind, one line."""

    def __init__(self, status: int, message: str, kind: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.param = param


def openai_error(err: GatewayError) -> dict[str, Any]:
    raise NotImplementedError


def anthropic_error(err: GatewayError) -> dict[str, Any]:
    raise NotImplementedError


def from_provider_error(err: Exception) -> GatewayError:
    raise NotImplementedError
