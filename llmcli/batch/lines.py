"""The input lines of `llmcli batch run`: three shapes, one `Item`.

- `{"custom_id", "prompt"|"messages", ...flag fields}`: fields override the flags; such a
  line may also name a `template`, its variables (`param`: an object) and its
  `fragment`/`system_fragment` sources (lists), added to the command line's -t, -p, -f
  and --sf (named as the flags are: `params` is Anthropic's shape);
- OpenAI's batch line `{"custom_id", "method", "url", "body"}` (body: a chat completions
  request; OpenAI OpenAPI spec, `BatchRequestInput`);
- Anthropic's `{"custom_id", "params"}` (params: a Messages request; Claude API
  reference, "Create a Message Batch").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from llmcli.batch.ids import IdTable, digest
from llmcli.errors import UsageError
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
    prompt_parts: dict[str, Any] = field(default_factory=dict)  # PROMPT_PARTS given


# What a plain line may give to build its prompt (cli/batch_prompts.py), and its type.
PROMPT_PARTS = {"template": str, "param": dict, "fragment": list, "system_fragment": list}


def parse_line(
    text: str,
    number: int,
    flag_names: frozenset[str],
    check: Callable[[Item], object] | None = None,
) -> Item:
    """One input line → an `Item`, or `LineError` saying what is wrong with it (`check`'s
    usage error too: a template variable the line leaves without a value)."""
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
    if check is not None:
        try:
            check(item)
        except UsageError as err:
            raise LineError(str(err)) from None
    return item


def _plain_line(data: dict[str, Any], flag_names: frozenset[str]) -> Item:
    fields: dict[str, Any] = {}
    parts = {key: _prompt_part(key, data[key]) for key in PROMPT_PARTS if key in data}
    for key, value in data.items():
        if key in ("custom_id", "prompt", "messages", *parts):
            continue
        if key not in flag_names:
            raise LineError(f"unknown field {key!r}")
        # A value given inline in JSONL as an object (a schema) is the flag's JSON text.
        fields[key] = json.dumps(value) if isinstance(value, dict) else value
    prompt = data.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        user = Message(role="user", parts=[TextPart(text=prompt)])
        return Item("", 0, [user], fields, prompt_parts=parts)
    if "messages" in data:
        messages, own = chat_messages(data["messages"])
        return Item("", 0, messages, {**own, **fields}, prompt_parts=parts)
    if parts:  # a template or fragments may be the whole prompt
        return Item("", 0, [], fields, prompt_parts=parts)
    raise LineError('no prompt: give "prompt" or "messages"')


def _prompt_part(key: str, value: Any) -> Any:
    kind = PROMPT_PARTS[key]
    if not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
        shape = {str: "a string", dict: "an object", list: "a list of strings"}[kind]
        raise LineError(f"{key} must be {shape}")
    if kind is dict:
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
    return value


def check_all(
    lines: IO[str], flag_names: frozenset[str], check: Callable[[Item], object] | None = None
) -> tuple[list[str], int, set[int]]:
    """Every problem in the input, `line N: why`, found before anything is sent; how many
    lines are valid; the numbers of the lines to skip (invalid, or an id repeated).
    `check` builds each line's prompt (templates and fragments) to find its problems.

    Only a digest per id is kept (ids.py): a digest seen twice is a repeat or, very
    rarely, two ids sharing a digest; a second pass over the input compares the texts
    of just those ids, so both the repeats and their line numbers are exact."""
    problems: list[tuple[int, str]] = []
    skip: set[int] = set()
    seen, twice = IdTable(), set[int]()
    valid = 0
    for number, text in numbered(lines):
        try:
            item = parse_line(text, number, flag_names, check)
        except LineError as err:
            problems.append((number, str(err)))
            skip.add(number)
            continue
        valid += 1
        key = digest(item.custom_id)
        if not seen.add(key):
            twice.add(key)
    if twice:
        lines.seek(0)
        repeats = _repeats(lines, twice, skip)
        problems += repeats
        valid -= len(repeats)
    lines.seek(0)
    return [f"line {n}: {why}" for n, why in sorted(problems)], valid, skip


def _repeats(lines: IO[str], keys: set[int], skip: set[int]) -> list[tuple[int, str]]:
    """The second pass: the lines whose id repeats an earlier valid line's, exactly."""
    first: dict[str, int] = {}  # only ids whose digest was seen twice
    found: list[tuple[int, str]] = []
    for number, text in numbered(lines):
        if number in skip:
            continue
        custom_id = str(json.loads(text).get("custom_id", number))
        if digest(custom_id) not in keys:
            continue
        was = first.setdefault(custom_id, number)
        if was != number:
            found.append((number, f"custom_id {custom_id!r} repeats line {was}"))
            skip.add(number)
    return found


def numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line number, text) for each non-blank line."""
    for number, text in enumerate(lines, 1):
        if text.strip():
            yield number, text


def items(lines: Iterable[str], flag_names: frozenset[str], skip: set[int]) -> Iterator[Item]:
    """The valid items, in input order: every line but those `check_all` said to skip
    (invalid, or an id repeated; nothing per line is kept here)."""
    for number, text in numbered(lines):
        if number in skip:
            continue
        try:
            yield parse_line(text, number, flag_names)
        except LineError:
            continue
