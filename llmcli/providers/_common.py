"""Small pure helpers shared by the provider modules."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec

from llmcli.errors import DecodeError, ProviderError
from llmcli.events import (
    Citation,
    Event,
    Finish,
    ImageOut,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.transport import RETRY_STATUSES

P = ParamSpec("P")


def load_json(text: str | bytes, what: str = "answer") -> Any:
    """Parse JSON, tolerating surrounding whitespace (OpenRouter pads bodies with it).

    Bytes must be UTF-8 (as JSON is on the wire): `json.loads` alone would let encoded
    surrogates through (it decodes bytes with "surrogatepass"), which print nowhere.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise DecodeError(f"the {what} is not valid UTF-8 ({err.reason})") from None
    try:
        return json.loads(text)
    except ValueError:
        snippet = text.strip()
        if not snippet:
            raise DecodeError(f"the {what} was empty") from None
        raise DecodeError(f"the {what} is not valid JSON: {snippet[:80]!r}") from None


def parse_arguments(raw: str) -> Any:
    """Tool-call arguments as an object; `{}` for an empty string, the raw text if invalid."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `-o key=value` options into a body: nested objects merge, the rest replace."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def put(body: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` only when there is a value (so the provider's own default applies)."""
    if value is not None and value != []:
        body[key] = value


def fallback_error(provider: str, status: int, body: bytes) -> ProviderError:
    """An error body that is not the provider's JSON (proxy HTML page, empty body)."""
    text = body.decode(errors="replace").strip()
    if not text:
        message = "empty error body"
    elif text.lstrip().startswith("<"):
        message = "the server answered with an HTML page (a proxy or gateway error?)"
    else:
        message = text.splitlines()[0][:200]
    return ProviderError(provider, message, status=status, retryable=status in RETRY_STATUSES)


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# ---- odd JSON shapes -----------------------------------------------------------------------

# What reading a value of the wrong JSON type raises: `.get` on a string, iterating a number,
# a list as a dict key, `"".join` over objects...
SHAPE_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError)
_STR, _INT, _NUM = (str,), (int,), (int, float)
# Each event's fields: (name, types, may be None).
_FIELDS: dict[type, tuple[tuple[str, tuple[type, ...], bool], ...]] = {
    TextDelta: (("text", _STR, False),),
    ReasoningDelta: (("text", _STR, False), ("signature", _STR, True), ("redacted", _STR, True)),
    ToolCallStart: (("id", _STR, False), ("name", _STR, False)),
    ToolCallDelta: (("id", _STR, False), ("arguments_fragment", _STR, False)),
    ToolCallDone: (("id", _STR, False), ("name", _STR, False)),
    Citation: (
        ("kind", _STR, False),
        *((name, _STR, True) for name in ("cited_text", "title", "url")),
        *((name, _INT, True) for name in ("document_index", "start", "end")),
    ),
    ImageOut: (("url", _STR, False), ("mime", _STR, True)),
    Usage: (
        *(
            (name, _INT, True)
            for name in (
                "input_tokens",
                "output_tokens",
                "reasoning_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
            )
        ),
        ("cost", _NUM, True),
    ),
    Finish: (("reason", _STR, False), ("model", _STR, True)),
    StreamError: (("message", _STR, False), ("error_type", _STR, True), ("status", _INT, True)),
}


def well_typed(event: Event) -> Event:
    """`event` if each field has its declared type, else a DecodeError: a value of another
    JSON type (`"text": 7`, `"model": []`) would only fail later, in a renderer.

    A lone surrogate (JSON's `"\\ud83d"`: half an emoji) becomes U+FFFD: it could be
    neither printed nor stored.
    """
    if type(event) is TextDelta and type(event.text) is str and event.text.isascii():
        return event  # nearly every event of a stream, and well typed: no more to check
    for name, kinds, optional in _FIELDS.get(type(event), ()):
        value = getattr(event, name)
        if value is None and optional:
            continue
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise DecodeError(
                f"the answer has an unexpected shape: {type(value).__name__} for "
                f"{type(event).__name__}.{name}"
            )
        if isinstance(value, str) and not value.isascii() and _SURROGATE.search(value):
            setattr(event, name, _SURROGATE.sub("\ufffd", value))
    if isinstance(event, ToolCallDone):
        event.arguments = _printable(event.arguments)
    return event


_SURROGATE = re.compile("[\ud800-\udfff]")


def _printable(value: Any) -> Any:
    """Parsed JSON with lone surrogates in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if not value.isascii() else value
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    return value


def shape_checked(decoder: Callable[P, Iterator[Event]]) -> Callable[P, Iterator[Event]]:
    """For `decode` and `decode_stream`: an answer whose JSON has an unexpected shape (a
    string where the API documents an object...) ends in one DecodeError, like invalid
    JSON does, never in a Python exception; each event is checked with `well_typed`.

    Only what the decoder's own code raises is turned into a DecodeError: our own errors
    (a TransportError from the frames it reads) pass through unchanged.
    """

    @functools.wraps(decoder)
    def checked(*args: P.args, **kwargs: P.kwargs) -> Iterator[Event]:
        try:
            for event in decoder(*args, **kwargs):
                # Plain ASCII text is nearly every event of a stream: checked here, no call.
                if type(event) is TextDelta and type(event.text) is str and event.text.isascii():
                    yield event
                else:
                    yield well_typed(event)
        except SHAPE_ERRORS as err:
            raise shape_error(err) from err

    return checked


def shape_error(err: Exception) -> DecodeError:
    """What `shape_checked` turns one of `SHAPE_ERRORS` into (for a decoder that checks
    its own events, without the wrapper)."""
    return DecodeError(f"the answer has an unexpected shape ({type(err).__name__}: {err})")
