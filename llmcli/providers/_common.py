"""Small pure helpers shared by the provider modules."""

from __future__ import annotations

import json
from typing import Any

from llmcli.errors import DecodeError, ProviderError
from llmcli.transport import RETRY_STATUSES


def load_json(text: str | bytes, what: str = "answer") -> Any:
    """Parse JSON, tolerating surrounding whitespace (OpenRouter pads bodies with it)."""
    try:
        return json.loads(text)
    except ValueError:
        snippet = (text.decode(errors="replace") if isinstance(text, bytes) else text).strip()
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
