"""HTTP delivery: one httpx request, retries before the answer starts, framed reading.

Knows nothing of any provider: it is handed an `HttpCall` and a predicate that
says whether an error body may be retried.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from llmcli.errors import ConnectFailed, TransportError
from llmcli.framing import Frame, parser_for
from llmcli.redact import redact_headers, redact_text

Framing = Literal["sse", "ndjson", "json"]

# Statuses worth another try (Anthropic uses 529 for "overloaded").
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass
class Connection:
    """Where and as whom to call: resolved from flags, environment and files."""

    base_url: str
    api_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class HttpCall:
    """What an encoder produces: everything needed to send one request."""

    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any] | None
    framing: Framing
    warnings: list[str] = field(default_factory=list)


@dataclass
class Policy:
    timeout: float = 600.0
    connect_timeout: float = 10.0
    retries: int = 2
    debug: Callable[[str], None] | None = None
    secrets: tuple[str, ...] = ()
    sleep: Callable[[float], None] = time.sleep


RetryCheck = Callable[[int, bytes], bool]


@contextmanager
def open_call(
    call: HttpCall, policy: Policy, retryable: RetryCheck | None = None
) -> Iterator[httpx.Response]:
    """Send `call`, retrying connection failures and retryable statuses, and yield the
    response with its body still unread (so a stream can be read as it arrives)."""
    timeout = httpx.Timeout(policy.timeout, connect=policy.connect_timeout)
    body = json.dumps(call.json, ensure_ascii=False).encode() if call.json is not None else None
    _log_request(call, body, policy)
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        request = client.build_request(call.method, call.url, headers=call.headers, content=body)
        attempt = 0
        while True:
            response = _send(client, request, call.url, policy, attempt)
            if response is None:
                attempt += 1
                continue
            if policy.debug:
                policy.debug(f"< HTTP {response.status_code} {response.reason_phrase}")
            if response.status_code in RETRY_STATUSES and attempt < policy.retries:
                error_body = response.read()
                if retryable is None or retryable(response.status_code, error_body):
                    response.close()
                    policy.sleep(_backoff(attempt, response.headers))
                    attempt += 1
                    continue
            try:
                yield response
            finally:
                response.close()
            return


def _send(
    client: httpx.Client, request: httpx.Request, url: str, policy: Policy, attempt: int
) -> httpx.Response | None:
    """One try; None means "failed to connect, try again"."""
    try:
        return client.send(request, stream=True)
    except httpx.TimeoutException:
        if attempt < policy.retries:
            policy.sleep(_backoff(attempt, None))
            return None
        raise ConnectFailed(f"timed out waiting for {url}") from None
    except httpx.TransportError as err:
        if attempt < policy.retries:
            policy.sleep(_backoff(attempt, None))
            return None
        raise ConnectFailed(f"cannot connect to {url} ({_reason(err)})") from None


def iter_frames(response: httpx.Response, framing: Framing, url: str) -> Iterator[Frame]:
    """Frames as their bytes arrive; a connection lost mid-answer becomes TransportError."""
    parser = parser_for(framing)
    try:
        for chunk in response.iter_raw():
            yield from parser.feed(chunk)
    except httpx.TimeoutException:
        raise TransportError(f"timed out reading the answer from {url}") from None
    except httpx.TransportError as err:
        raise TransportError(f"connection lost reading {url} ({_reason(err)})") from None
    yield from parser.close()


def read_body(response: httpx.Response, url: str) -> bytes:
    try:
        return response.read()
    except httpx.TimeoutException:
        raise TransportError(f"timed out reading the answer from {url}") from None
    except httpx.TransportError as err:
        raise TransportError(f"connection lost reading {url} ({_reason(err)})") from None


def _backoff(attempt: int, headers: httpx.Headers | None) -> float:
    """Seconds before the next try: the server's retry-after, else exponential with jitter."""
    if headers is not None:
        hinted = retry_after_seconds(headers)
        if hinted is not None:
            return min(hinted, 60.0)
    base: float = min(0.5 * 2**attempt, 8.0)
    return base * (0.75 + random.random() / 2)


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """`retry-after-ms`, `retry-after` in seconds, or `retry-after` as an HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(float(when.timestamp()) - time.time(), 0.0)


def _reason(err: Exception) -> str:
    text = str(err) or type(err).__name__
    return text.splitlines()[0]


def _log_request(call: HttpCall, body: bytes | None, policy: Policy) -> None:
    if not policy.debug:
        return
    policy.debug(f"> {call.method} {redact_text(call.url, policy.secrets)}")
    for name, value in redact_headers(call.headers, policy.secrets).items():
        policy.debug(f"> {name}: {value}")
    if body is not None:
        policy.debug(redact_text(body.decode(), policy.secrets))
