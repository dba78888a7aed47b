"""Parsing of the repeatable `-o KEY=VALUE` and `-H 'Name: value'` flags."""

from __future__ import annotations

import json
from typing import Any

from llmcli.errors import UsageError


def parse_options(items: list[str] | None) -> dict[str, Any]:
    """`-o key=value` pairs → a nested dict (values parsed as JSON when they parse)."""
    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"invalid -o '{item}': use KEY=VALUE, e.g. -o seed=42")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        target = result
        *parents, leaf = key.split(".")
        for parent in parents:
            node = target.setdefault(parent, {})
            if not isinstance(node, dict):
                raise UsageError(f"invalid -o '{item}': '{parent}' is already set to a value")
            target = node
        target[leaf] = value
    return result


def parse_headers(items: list[str] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            # The value is not echoed: it may be a credential.
            raise UsageError("invalid -H/--header: use -H 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers
