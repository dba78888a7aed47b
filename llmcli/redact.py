"""Keep API keys out of everything llmcli prints or stores."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

# A header whose name holds one of these is a credential (authorization, x-api-key,
# x-goog-api-key, x-auth-token, cookie, set-cookie, x-client-secret, ...).
SECRET_WORDS = ("key", "token", "secret", "auth", "cookie")
REDACTED = "<redacted>"
_QUERY_KEY = re.compile(r"([?&](?:key|api_key|api-key)=)[^&#\s]+", re.IGNORECASE)


def redact_headers(
    headers: Mapping[str, str], secrets: Iterable[str] = (), private: Collection[str] = ()
) -> dict[str, str]:
    """Every credential header's value replaced, and every header named in `private`
    (lower case: the ones the user gave with -H, whose meaning llmcli cannot know)."""
    secrets = tuple(secrets)
    return {
        name: REDACTED if is_secret_header(name, private) else redact_text(value, secrets)
        for name, value in headers.items()
    }


def is_secret_header(name: str, private: Collection[str] = ()) -> bool:
    lower = name.lower()
    return lower in private or any(word in lower for word in SECRET_WORDS)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace `?key=` query values and every occurrence of a known secret."""
    text = _QUERY_KEY.sub(rf"\1{REDACTED}", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def redact_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    """Parsed JSON with `redact_text` applied to every string in it, keys included.

    A string with nothing to redact comes back as the same object, so a request holding
    a 50 MB prompt is not copied to be stored (dumping it to text and parsing it back
    took two more copies).
    """
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {redact_text(k, secrets): redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, secrets) for v in value]
    return value
