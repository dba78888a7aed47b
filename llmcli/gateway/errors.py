"""Errors a gateway answers with, in each endpoint's own shape, and upstream failures
mapped onto them.

Shapes: OpenAI `{"error": {"message", "type", "param", "code"}}` (openai-openapi `Error`,
all four keys required); Anthropic `{"type": "error", "error": {"type", "message"}}`
(https://platform.claude.com/docs/en/api/errors). See /work/shared/research/gateway.md §1.3
and §2.4 for the status → SDK exception tables these follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from llmcli.errors import ConnectFailed, DecodeError, LlmcliError, ProviderError, TransportError
from llmcli.events import StreamError
from llmcli.notes import Refused
from llmcli.redact import REDACTED, redact_text


class GatewayError(Exception):
    """One error answered to the client: an HTTP status, a neutral kind, one line.

    Kinds: invalid_request, authentication, permission, not_found, too_large, rate_limit,
    upstream, overloaded, timeout, server.
    """

    def __init__(self, status: int, message: str, kind: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.param = param


def bad_request(message: str, param: str | None = None) -> GatewayError:
    return GatewayError(400, message, "invalid_request", param)


# kind → (OpenAI error.type, OpenAI error.code). The types are the ones OpenAI sends:
# invalid_request_error for every 4xx, "server_error" for 5xx (error-codes guide).
_OPENAI: dict[str, tuple[str, str | None]] = {
    "invalid_request": ("invalid_request_error", None),
    "authentication": ("invalid_request_error", "invalid_api_key"),
    "permission": ("invalid_request_error", "permission_denied"),
    "not_found": ("invalid_request_error", "model_not_found"),
    "too_large": ("invalid_request_error", "request_too_large"),
    "rate_limit": ("rate_limit_error", "rate_limit_exceeded"),
    "upstream": ("server_error", "upstream_error"),
    "overloaded": ("server_error", "overloaded"),
    "timeout": ("server_error", "timeout"),
    "server": ("server_error", None),
}

# kind → Anthropic error.type (the documented list: invalid_request_error,
# authentication_error, permission_error, not_found_error, request_too_large,
# rate_limit_error, api_error, timeout_error, overloaded_error).
_ANTHROPIC: dict[str, str] = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "too_large": "request_too_large",
    "rate_limit": "rate_limit_error",
    "upstream": "api_error",
    "overloaded": "overloaded_error",
    "timeout": "timeout_error",
    "server": "api_error",
}


def openai_error(err: GatewayError) -> dict[str, Any]:
    kind, code = _OPENAI.get(err.kind, ("server_error", None))
    return {"error": {"message": err.message, "type": kind, "param": err.param, "code": code}}


def anthropic_error(err: GatewayError) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": _ANTHROPIC.get(err.kind, "api_error"), "message": err.message},
    }


# Upstream HTTP status → (status answered, kind). 5xx become 502 (the gateway's upstream
# failed) except the "overloaded" ones, which SDKs retry the same way (429/5xx/529).
_BY_STATUS: dict[int, tuple[int, str]] = {
    400: (400, "invalid_request"),
    401: (401, "authentication"),
    403: (403, "permission"),
    404: (404, "not_found"),
    408: (504, "timeout"),
    413: (413, "too_large"),
    422: (400, "invalid_request"),
    429: (429, "rate_limit"),
    503: (503, "overloaded"),
    504: (504, "timeout"),
    529: (529, "overloaded"),
}

# What looks like a credential in a message an upstream wrote: bearer tokens and the
# `sk-…` key shapes OpenAI, Anthropic, DeepSeek and OpenRouter hand out.
_KEYLIKE = re.compile(r"(?i)(bearer\s+)\S+|\bsk-[A-Za-z0-9_\-]{6,}")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with known secrets and anything key-shaped replaced by `<redacted>`."""
    text = redact_text(text, secrets)
    return _KEYLIKE.sub(lambda m: (m.group(1) or "") + REDACTED, text)


def from_provider_error(
    err: Exception,
    *,
    secrets: Iterable[str] = (),
    spell: Callable[[str], str] | None = None,
) -> GatewayError:
    """An upstream failure (or a request an encoder refused) as the error to answer with.

    `spell` writes a `Request` field as the client's body field (`openai_field`,
    `anthropic_field` in llmcli.gateway.fields); `secrets` are the server's keys.
    """
    if isinstance(err, GatewayError):
        return err
    if isinstance(err, Refused):
        speller = spell or (lambda name: name)
        return bad_request(scrub(err.render(speller), secrets), speller(err.field))
    if isinstance(err, ProviderError):
        status, kind = _status_kind(err.status)
        return GatewayError(status, scrub(str(err), secrets), kind)
    if isinstance(err, ConnectFailed):
        return GatewayError(502, scrub(f"upstream unreachable: {err}", secrets), "upstream")
    if isinstance(err, (TransportError, DecodeError)):
        return GatewayError(502, scrub(f"upstream failed: {err}", secrets), "upstream")
    if isinstance(err, LlmcliError):  # UsageError from an encoder: the request cannot go
        return bad_request(scrub(str(err), secrets))
    return GatewayError(500, "internal error in the gateway", "server")


def _status_kind(status: int | None) -> tuple[int, str]:
    if status is None:  # an error inside a stream that had begun
        return 502, "upstream"
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return 502, "upstream"
    if status >= 400:
        return status, "invalid_request"
    return 502, "upstream"


# An error inside a stream that had begun (`StreamError.error_type`, as the provider
# named it) → kind: Anthropic's `overloaded_error` and friends, OpenAI's codes.
_STREAM_KINDS = {
    "overloaded_error": "overloaded",
    "rate_limit_error": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "invalid_request_error": "invalid_request",
    "timeout_error": "timeout",
}


def stream_error(event: StreamError) -> GatewayError:
    """A `StreamError` event (the provider failed after the answer began) as the error
    frame to end the client's stream with."""
    kind = _STREAM_KINDS.get(event.error_type or "", "upstream")
    status = event.status or (529 if kind == "overloaded" else 502)
    return GatewayError(status, scrub(event.message), kind)
