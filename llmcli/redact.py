"""Keep API keys out of everything llmcli prints or stores."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})
REDACTED = "<redacted>"
_QUERY_KEY = re.compile(r"([?&](?:key|api_key|api-key)=)[^&#\s]+", re.IGNORECASE)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else redact_text(value, secrets)
        for name, value in headers.items()
    }


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace `?key=` query values and every occurrence of a known secret."""
    text = _QUERY_KEY.sub(rf"\1{REDACTED}", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text
