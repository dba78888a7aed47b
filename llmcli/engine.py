"""Run one request end to end: encode → transport → decode → events → `Result`.

The caller passes `on_event` (a renderer); the engine never prints. It knows a provider
only by the contract in `llmcli.providers.base`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from llmcli.errors import (
    ConnectFailed,
    DecodeError,
    Interrupted,
    ProviderError,
    TransportError,
    error_line,
)
from llmcli.events import TEXT_FOLD, Accumulator, Event, Result, StreamError, TextDelta
from llmcli.notes import Unsupported
from llmcli.redact import redact_headers, redact_text, redact_value
from llmcli.request import Request
from llmcli.transport import (
    RETRY_STATUSES,
    Answer,
    Connection,
    HttpCall,
    Policy,
    open_call,
)

if TYPE_CHECKING:
    from llmcli.providers.base import ChatProvider, ErrorDecoder


def execute(
    provider: ChatProvider,
    req: Request,
    conn: Connection,
    policy: Policy,
    on_event: Callable[[Event], None],
    on_warning: Callable[[Unsupported], None] = lambda _: None,
    on_first: Callable[[], None] | None = None,
) -> Result:
    """Send `req` and feed each decoded event to `on_event`; `on_first` is called just
    before the first one (time to first token).

    An HTTP error raises `ProviderError` before anything is shown. A failure after
    the answer began does not raise: the partial `Result` comes back with
    `finish_reason == "error"` and `error` set, so nothing received is lost.
    Ctrl-C before the answer began raises `Interrupted`.
    """
    call: HttpCall = provider.encode(req, conn)
    for warning in call.warnings:
        on_warning(warning)
    acc = Accumulator(req.provider, req.model)
    # The loop below runs once per chunk of a stream (tens of thousands of times): text
    # goes straight to the accumulator's list, and `on_first` is checked, not wrapped
    # around `on_event`, so a text chunk costs no Python call besides `on_event`.
    texts = acc.texts
    try:
        with _answer(provider, call, policy, conn.connect_hint) as answer:
            if req.prefill:
                # The API continues the prefill without repeating it: show it first.
                if on_first is not None:
                    on_first()
                    on_first = None
                acc.add(TextDelta(req.prefill))
                on_event(TextDelta(req.prefill))
            try:
                for event in _events(provider, call, answer):
                    if on_first is not None:
                        on_first()
                        on_first = None
                    if type(event) is TextDelta:
                        texts.append(event.text)
                        if len(texts) >= TEXT_FOLD:
                            acc.fold_text()
                    else:
                        if isinstance(event, StreamError):
                            if policy.debug:  # whole: the error line is cut to one line
                                policy.debug("< " + redact_text(event.message, policy.secrets))
                            event.message = _stream_error_line(req.provider, event, policy.secrets)
                        acc.add(event)
                    on_event(event)
            except TransportError as err:
                acc.fail(str(err))
            except DecodeError as err:
                acc.fail(f"{req.provider}: {err}")
            except KeyboardInterrupt:
                # Ctrl-C keeps what arrived; the caller decides what interrupting means.
                acc.fail("interrupted", interrupted=True)
    except DecodeError as err:
        raise DecodeError(f"{req.provider}: {err}") from None
    result = acc.finish()
    result.request = redacted_request(call, policy)
    return result


def _stream_error_line(provider: str, event: StreamError, secrets: tuple[str, ...]) -> str:
    """Redacted before it is cut to one line: a key across the cut would leave a piece."""
    kind = redact_text(event.error_type, secrets) if event.error_type else None
    return error_line(provider, event.status, kind, redact_text(event.message, secrets))


def redacted_request(call: HttpCall, policy: Policy) -> dict[str, Any]:
    """The wire request as the history database keeps it: no key anywhere."""
    secrets = policy.secrets
    body = redact_value(call.json, secrets) if call.json else None
    return {
        "method": call.method,
        "url": redact_text(call.url, secrets),
        "headers": redact_headers(call.headers, secrets, policy.private_headers),
        "body": body,
    }


def _http_error(
    provider: ErrorDecoder,
    answer: Answer,
    secrets: tuple[str, ...],
    debug: Callable[[str], None] | None = None,
) -> ProviderError:
    return provider_error(provider, answer.status_code, answer.read(), secrets, debug)


def provider_error(
    provider: ErrorDecoder,
    status: int,
    body: bytes,
    secrets: tuple[str, ...],
    debug: Callable[[str], None] | None = None,
) -> ProviderError:
    """An HTTP error body → the provider's `ProviderError`, keys redacted (sync and async)."""
    if debug:  # the error line is cut to one line (errors.MESSAGE_LIMIT): the whole body
        debug("< " + redact_text(body.decode(errors="replace"), secrets))
    err: ProviderError = provider.decode_error(status, body)
    # Some servers echo the key they refused ("Incorrect API key provided: sk-...").
    message = redact_text(err.provider_message, secrets)
    quota = err.status in RETRY_STATUSES and not err.retryable
    if quota:
        # A status that is normally retried, refused by the provider's own verdict on
        # the body: today that is only an exhausted quota or spend limit.
        message += " (not retried: quota exhausted)"
    elif message == err.provider_message:
        return err
    return ProviderError(
        err.provider,
        message,
        status=err.status,
        error_type=err.error_type,
        retryable=err.retryable and not quota,
    )


def _events(provider: ChatProvider, call: HttpCall, answer: Answer) -> Iterator[Event]:
    if call.framing == "json":
        events: Iterator[Event] = provider.decode(answer.read())
    else:
        events = provider.decode_stream(answer.frames(call.framing))
    return events


def fetch(provider: ErrorDecoder, call: HttpCall, policy: Policy, *, hint: str = "") -> bytes:
    """One request whose answer is read whole (embeddings, images, model lists).

    Retries as `execute` does; an HTTP error raises the provider's `ProviderError`, a
    refused connection names `hint` (`Connection.connect_hint`). The caller shows
    `call.warnings`.
    """

    with _answer(provider, call, policy, hint) as answer:
        return answer.read()


@contextmanager
def _answer(provider: ErrorDecoder, call: HttpCall, policy: Policy, hint: str) -> Iterator[Answer]:
    """The answer to `call`, retried as the provider's error bodies allow; an HTTP error
    raises its `ProviderError`, a refused connection names the provider's hint, and
    Ctrl-C before the answer is `Interrupted`."""

    def retryable(status: int, body: bytes) -> bool:
        return bool(provider.decode_error(status, body).retryable)

    try:
        with open_call(call, policy, retryable) as answer:
            if answer.status_code >= 400:
                raise _http_error(provider, answer, policy.secrets, policy.debug)
            yield answer
    except ConnectFailed as err:
        raise ConnectFailed(f"{err}: {hint}" if hint else str(err)) from None
    except KeyboardInterrupt:
        raise Interrupted("interrupted") from None


def download(url: str, policy: Policy, limit: int = 64 * 1024 * 1024) -> bytes:
    """GET a file (a generated image's URL): no credentials are sent with it."""
    call = HttpCall(method="GET", url=url, headers={}, json=None, framing="json")
    try:
        with open_call(call, policy) as answer:
            if answer.status_code >= 400:
                raise TransportError(f"could not download {url}: HTTP {answer.status_code}")
            data = bytearray()
            for chunk in answer.chunks():
                data += chunk
                if len(data) > limit:
                    raise TransportError(f"{url} is larger than {limit // (1024 * 1024)} MB")
            return bytes(data)
    except KeyboardInterrupt:
        raise Interrupted("interrupted") from None
