"""The input lines of `llmcli batch run`: three shapes, one `Item`.

- `{"custom_id", "prompt"|"messages", ...flag fields}`: fields override the flags;
- OpenAI's batch line `{"custom_id", "method", "url", "body"}` (body: a chat completions
  request; OpenAI OpenAPI spec, `BatchRequestInput`);
- Anthropic's `{"custom_id", "params"}` (params: a Messages request; Claude API
  reference, "Create a Message Batch").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from llmcli.providers.batch_input import LineError, chat_messages, provider_line
from llmcli.request import Message, TextPart


@dataclass
class Item:
    """One request to make: its id, its input line number, messages and overrides."""

    custom_id: str
    number: int
    messages: list[Message]
    fields: dict[str, Any] = field(default_factory=dict)  # flag name → value
    options: dict[str, Any] = field(default_factory=dict)  # merged into the body


def parse_line(text: str, number: int, flag_names: frozenset[str]) -> Item:
    """One input line → an `Item`, or `LineError` saying what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError:
        raise LineError("not JSON") from None
    if not isinstance(data, dict):
        raise LineError("not a JSON object")
    custom_id = data.get("custom_id", str(number))
    if not isinstance(custom_id, str | int) or str(custom_id) == "":
        raise LineError("custom_id must be a non-empty string")
    if "body" in data or "params" in data:
        provider = "openai" if "body" in data else "anthropic"
        messages, fields, options = provider_line(data.get("body", data.get("params")), provider)
        item = Item("", 0, messages, fields, options)
    else:
        item = _plain_line(data, flag_names)
    item.custom_id, item.number = str(custom_id), number
    return item


def _plain_line(data: dict[str, Any], flag_names: frozenset[str]) -> Item:
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("custom_id", "prompt", "messages"):
            continue
        if key not in flag_names:
            raise LineError(f"unknown field {key!r}")
        # A value given inline in JSONL as an object (a schema) is the flag's JSON text.
        fields[key] = json.dumps(value) if isinstance(value, dict) else value
    prompt = data.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        return Item("", 0, [Message(role="user", parts=[TextPart(text=prompt)])], fields)
    if "messages" in data:
        messages, own = chat_messages(data["messages"])
        return Item("", 0, messages, {**own, **fields})
    raise LineError('no prompt: give "prompt" or "messages"')


def check_all(lines: Iterable[str], flag_names: frozenset[str]) -> tuple[list[str], int]:
    """Every problem in the input, `line N: why`, found before anything is sent (only the
    ids are kept, so a large input costs no memory), and how many lines are valid."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, text in numbered(lines):
        try:
            item = parse_line(text, number, flag_names)
        except LineError as err:
            problems.append(f"line {number}: {err}")
            continue
        first = seen.setdefault(item.custom_id, number)
        if first != number:
            problems.append(f"line {number}: custom_id {item.custom_id!r} repeats line {first}")
    return problems, len(seen)


def numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line number, text) for each non-blank line."""
    for number, text in enumerate(lines, 1):
        if text.strip():
            yield number, text


def items(lines: Iterable[str], flag_names: frozenset[str]) -> Iterator[Item]:
    """The valid items, in input order (invalid ones were reported or are skipped)."""
    seen: set[str] = set()
    for number, text in numbered(lines):
        try:
            item = parse_line(text, number, flag_names)
        except LineError:
            continue
        if item.custom_id not in seen:
            seen.add(item.custom_id)
            yield item
