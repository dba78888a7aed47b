"""HTTP header values llmcli can send safely, and merging headers by name.

Header names are case-insensitive (RFC 9110 §5.1), so a header the user gives with -H
replaces llmcli's own of the same name instead of going out next to it. A value with a
line break would end the header early (header injection); httpx encodes values as ASCII,
so a non-ASCII value fails only once the request is being sent. Both are refused first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# RFC 9110 §5.1: field-name = token; tchar = "!" / "#" / ... / DIGIT / ALPHA.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NAMED = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}


def value_problem(value: str, *, spaces: bool = True) -> str | None:
    """What makes `value` unfit for a header (`a newline`, ...), or None when it is fit.

    Never returns the value itself: it may be a key. `spaces=False` refuses spaces and
    tabs too (an API key has none; one there is a paste error)."""
    for char in value:
        code = ord(char)
        if char in " \t" and spaces:
            continue
        if char in _NAMED:
            return _NAMED[char]
        if code < 0x20 or code == 0x7F:
            return "a control character"
        if code > 0x7E:
            return "a non-ASCII character"
    return None


def is_header_name(name: str) -> bool:
    return _TOKEN.fullmatch(name) is not None


def merged(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """`base` with every header of `extra` put in place of any of the same name, in any
    case: one header per name, `extra`'s spelling kept."""
    headers = dict(base)
    for name, value in extra.items():
        lower = name.lower()
        for old in [old for old in headers if old.lower() == lower]:
            del headers[old]
        headers[name] = value
    return headers
