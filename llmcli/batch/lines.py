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

from llmcli.request import Message, TextPart

# Body keys of the provider shapes → the flag they set; the rest go to --option.
_OPENAI_FIELDS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "stop": "stop",
    "user": "user",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "reasoning_effort": "reasoning_effort",
}
_ANTHROPIC_FIELDS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "stop_sequences": "stop",
    "max_tokens": "max_tokens",
}
_DROPPED = {"model", "messages", "system", "stream"}


@dataclass
class Item:
    """One request to make: its id, its input line number, messages and overrides."""

    custom_id: str
    number: int
    messages: list[Message]
    fields: dict[str, Any] = field(default_factory=dict)  # flag name → value
    options: dict[str, Any] = field(default_factory=dict)  # merged into the body


class LineError(ValueError):
    """A line that cannot be sent, with the reason."""


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
    if "body" in data:
        item = _provider_line(data["body"], "openai", _OPENAI_FIELDS)
    elif "params" in data:
        item = _provider_line(data["params"], "anthropic", _ANTHROPIC_FIELDS)
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
        # A schema given inline in JSONL is an object; the flag takes its JSON text.
        fields[key] = json.dumps(value) if key == "json_schema" and not isinstance(value, str) else value
    prompt = data.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        return Item("", 0, [Message(role="user", parts=[TextPart(text=prompt)])], fields)
    if "messages" in data:
        messages, system = _messages(data["messages"])
        if system is not None:
            fields.setdefault("system", system)
        return Item("", 0, messages, fields)
    raise LineError("no prompt: give \"prompt\" or \"messages\"")


def _provider_line(body: Any, provider: str, mapping: dict[str, str]) -> Item:
    if not isinstance(body, dict):
        raise LineError("body/params must be a JSON object")
    messages, system = _messages(body.get("messages"))
    fields: dict[str, Any] = {mapping[k]: v for k, v in body.items() if k in mapping}
    system = _text(body["system"]) if "system" in body else system
    if system is not None:
        fields["system"] = system
    if isinstance(fields.get("stop"), str):
        fields["stop"] = [fields["stop"]]
    model = body.get("model")
    if isinstance(model, str) and model:
        # A provider's batch line names the bare model: it is that provider's model.
        fields["model"] = model if "/" in model else f"{provider}/{model}"
    options = {k: v for k, v in body.items() if k not in mapping and k not in _DROPPED}
    return Item("", 0, messages, fields, options)


def _messages(raw: Any) -> tuple[list[Message], str | None]:
    """Chat messages (OpenAI or Anthropic shape, text content only) and the system text."""
    if not isinstance(raw, list) or not raw:
        raise LineError("no prompt: \"messages\" must be a non-empty list")
    messages: list[Message] = []
    system: str | None = None
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("role") not in ("system", "user", "assistant"):
            raise LineError("each message needs a role: system, user or assistant")
        text = _text(entry.get("content"))
        if entry["role"] == "system":
            system = text
        else:
            messages.append(Message(role=entry["role"], parts=[TextPart(text=text)]))
    if not messages:
        raise LineError("no prompt: no user message")
    return messages, system


def _text(content: Any) -> str:
    """A string, or a list of text blocks (both providers' shape)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        for b in content
    ):
        return "".join(b["text"] for b in content)
    raise LineError("only text content is supported in batch lines")


def check_all(lines: Iterable[str], flag_names: frozenset[str]) -> list[str]:
    """Every problem in the input, `line N: why`, found before anything is sent (only the
    ids are kept, so a large input costs no memory)."""
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
    return problems


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
