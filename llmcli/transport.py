"""HTTP delivery: one httpx request, retries before the answer starts, framed reading.

Knows nothing of any provider: it is handed an `HttpCall` and a predicate that
says whether an error body may be retried.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from llmcli.errors import ConnectFailed, DecodeError, TransportError
from llmcli.framing import Frame, parser_for
from llmcli.notes import Unsupported
from llmcli.policy import Policy as Policy  # re-exported: callers import it from here too
from llmcli.redact import redact_headers, redact_text

Framing = Literal["sse", "ndjson", "json"]

# Statuses worth another try (Anthropic uses 529 for "overloaded").
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})

# Backoff: 0.5 s, 1 s, 2 s ... capped, each scaled by a jitter of ±25 %.
BASE_DELAY = 0.5
MAX_DELAY = 8.0
JITTER = 0.25
# A longer retry-after is not waited for: like the official SDKs, fall back to backoff.
MAX_RETRY_AFTER = 60.0


@dataclass
class Connection:
    """Where and as whom to call: resolved from flags, environment and files."""

    base_url: str
    api_key: str | None = None  # already in `headers` (the edge puts it there); kept to redact
    headers: dict[str, str] = field(default_factory=dict)
    # Said when the server cannot be reached ("is the Ollama server running?").
    connect_hint: str = ""
    # False: `base_url` is the whole endpoint URL, sent to as given (Anthropic's
    # LLMCLI_ANTHROPIC_DISABLE_URL_SUFFIX): the encoder appends no path.
    append_path: bool = True


@dataclass
class HttpCall:
    """What an encoder produces: everything needed to send one request."""

    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any] | None
    framing: Framing
    warnings: list[Unsupported] = field(default_factory=list)  # what was not sent as asked


RetryCheck = Callable[[int, bytes], bool]


class Answer:
    """A response whose status and headers arrived; its body is read through `chunks`.

    The first body bytes were already received (that is where retrying stops), so the
    body must be read here, never from `response` directly.
    """

    def __init__(
        self, response: httpx.Response, url: str, first: bytes, rest: Iterator[bytes]
    ) -> None:
        self.response = response
        self.url = url
        self._first = first
        self._rest = rest

    @property
    def status_code(self) -> int:
        return self.response.status_code

    def chunks(self) -> Iterator[bytes]:
        """Decoded body bytes as they arrive; a broken connection becomes TransportError."""
        if self._first:
            yield self._first
        with _reading(self.url):
            yield from self._rest

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def frames(self, framing: Framing) -> Iterator[Frame]:
        """Frames as their bytes arrive; a connection lost mid-answer becomes TransportError.

        Reads the body itself rather than through `chunks`: one generator step fewer for
        each of the thousands of chunks of a long stream.
        """
        parser = parser_for(framing)
        if self._first:
            yield from parser.feed(self._first)
        with _reading(self.url):
            for chunk in self._rest:
                yield from parser.feed(chunk)
        yield from parser.close()


@dataclass
class _Retry:
    delay: float
    reason: str


@contextmanager
def open_call(
    call: HttpCall, policy: Policy, retryable: RetryCheck | None = None
) -> Iterator[Answer]:
    """Send `call` and yield the answer once its first body bytes arrived.

    Until then every failure is retried (up to `policy.retries` times): connection
    errors, timeouts, a connection lost before the body, and the statuses in
    `RETRY_STATUSES` whose body `retryable` accepts. Nothing is retried after that,
    since the caller may already have shown part of the answer.
    """
    timeout = httpx.Timeout(policy.timeout, connect=policy.connect_timeout)
    body = request_body(call, policy)
    # Plain-http calls (local servers, tests) skip loading the CA bundle (~17 ms); they
    # then follow no redirects, so an http → https hop can never go unverified.
    secure = call.url.startswith("https://")
    with httpx.Client(timeout=timeout, follow_redirects=secure, verify=secure) as client:
        request = client.build_request(call.method, call.url, headers=call.headers, content=body)
        attempt = 0
        while True:
            outcome = _try_once(client, request, call.url, policy, retryable, attempt)
            if isinstance(outcome, _Retry):
                if policy.debug:
                    policy.debug(
                        f"retry {attempt + 1} of {policy.retries} in {outcome.delay:.2f}s"
                        f" ({outcome.reason})"
                    )
                policy.sleep(outcome.delay)
                attempt += 1
                continue
            try:
                yield outcome
            finally:
                outcome.response.close()
            return


def _try_once(
    client: httpx.Client,
    request: httpx.Request,
    url: str,
    policy: Policy,
    retryable: RetryCheck | None,
    attempt: int,
) -> Answer | _Retry:
    """One attempt: the answer, a `_Retry` saying how long to wait, or a raised error."""
    can_retry = attempt < policy.retries
    try:
        response = client.send(request, stream=True)
    except httpx.TransportError as err:
        return _retry_or_raise(err, url, attempt, can_retry)
    if policy.debug:
        policy.debug(f"< HTTP {response.status_code} {response.reason_phrase}")
    status = response.status_code
    if policy.on_headers is not None:
        policy.on_headers(response.headers)
    try:
        if status in RETRY_STATUSES and can_retry:
            # Read the whole (small) error body: the provider decides from it.
            error_body = response.read()
            if retryable is None or retryable(status, error_body):
                response.close()
                return _Retry(backoff_delay(attempt, response.headers), f"HTTP {status}")
            return Answer(response, url, b"", response.iter_bytes())
        chunks = _body(response)
        # Wait for the first body bytes: a failure before them is still retried.
        first = next(chunks, b"")
    except httpx.TransportError as err:
        response.close()
        return _retry_or_raise(err, url, attempt, can_retry)
    except httpx.DecodingError as err:
        response.close()
        raise DecodeError(f"the answer could not be decompressed ({_reason(err)})") from None
    return Answer(response, url, first, chunks)


def _body(response: httpx.Response) -> Iterator[bytes]:
    """The unread body as it arrives. Without a content-encoding, httpx's decoding layer
    would only pass each chunk through (two more calls per chunk of a long stream)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return response.iter_raw()
    return response.iter_bytes()


def _retry_or_raise(err: httpx.TransportError, url: str, attempt: int, can_retry: bool) -> _Retry:
    """A failure before any body byte: retry it, or raise the one-line error."""
    final = sending_failure(err, url)
    if not can_retry:
        raise final from None
    return _Retry(backoff_delay(attempt), str(final))


def sending_failure(err: httpx.TransportError, url: str) -> TransportError:
    """An httpx failure before any body byte → our one-line error (sync and async)."""
    if isinstance(err, httpx.ConnectTimeout):
        return ConnectFailed(f"timed out connecting to {url}")
    if isinstance(err, httpx.ConnectError):
        return ConnectFailed(f"cannot connect to {url} ({_reason(err)})")
    if isinstance(err, httpx.TimeoutException):
        return TransportError(f"timed out waiting for an answer from {url}")
    return TransportError(f"connection lost before the answer from {url} ({_reason(err)})")


def reading_failure(err: httpx.HTTPError, url: str) -> TransportError | DecodeError:
    """An httpx failure while reading a body → our one-line error (sync and async)."""
    if isinstance(err, httpx.TimeoutException):
        return TransportError(f"timed out reading the answer from {url}")
    if isinstance(err, httpx.DecodingError):
        return DecodeError(f"the answer could not be decompressed ({_reason(err)})")
    return TransportError(f"connection lost reading {url} ({_reason(err)})")


@contextmanager
def _reading(url: str) -> Iterator[None]:
    """httpx errors while reading a body → our one-line errors."""
    try:
        yield
    except (httpx.TransportError, httpx.DecodingError) as err:
        raise reading_failure(err, url) from None


def backoff_delay(attempt: int, headers: httpx.Headers | None = None) -> float:
    """Seconds before retry number `attempt + 1`: the server's hint, else exponential
    backoff with jitter (so many clients failing together do not retry in step)."""
    if headers is not None:
        hinted = retry_after_seconds(headers)
        if hinted is not None and hinted <= MAX_RETRY_AFTER:
            return hinted
    base = min(BASE_DELAY * 2.0**attempt, MAX_DELAY)
    return base * (1 - JITTER + 2 * JITTER * random.random())


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """`retry-after-ms`, `retry-after` in seconds, or `retry-after` as an HTTP date;
    None when absent or unreadable."""
    ms = _number(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no zone given
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(float(when.timestamp()) - time.time(), 0.0)


def _number(text: str | None) -> float | None:
    """A finite, non-negative number (rejects "nan", "inf" and "-5": sleep cannot take them)."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _reason(err: Exception) -> str:
    text = str(err) or type(err).__name__
    return text.splitlines()[0]


def request_body(call: HttpCall, policy: Policy) -> bytes | None:
    """The JSON body as sent (shown with --debug, redacted)."""
    body = json.dumps(call.json, ensure_ascii=False).encode() if call.json is not None else None
    _log_request(call, body, policy)
    return body


def _log_request(call: HttpCall, body: bytes | None, policy: Policy) -> None:
    if not policy.debug:
        return
    policy.debug(f"> {call.method} {redact_text(call.url, policy.secrets)}")
    for name, value in redact_headers(call.headers, policy.secrets, policy.private_headers).items():
        policy.debug(f"> {name}: {value}")
    if body is not None:
        policy.debug(redact_text(body.decode(), policy.secrets))
