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
    """`-H 'Name: value'` → headers, one per name in any case (the last given wins).

    The value is never echoed, even when refused: it may be a credential."""
    from llmcli.headers import is_header_name, merged, value_problem

    headers: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition(":")
        name = name.strip()
        if not sep or not is_header_name(name):
            raise UsageError("invalid -H/--header: use -H 'Name: value'")
        problem = value_problem(value.strip())
        if problem:
            raise UsageError(
                f"-H {name}: the value contains {problem}: give one line of plain ASCII"
            )
        headers = merged(headers, {name: value.strip()})
    return headers
