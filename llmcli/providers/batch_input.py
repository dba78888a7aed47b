"""The providers' own batch input lines, read into messages and `Request` fields.

- OpenAI: `{"custom_id", "method", "url", "body"}`, body a chat completions request
  (OpenAI OpenAPI spec, `BatchRequestInput`; /work/shared/research/batch-apis.md §1.1);
- Anthropic: `{"custom_id", "params"}`, params a Messages request (Claude API reference,
  "Create a Message Batch"; batch-apis.md §2.1).
Body keys with no `Request` field are returned as options (merged into the body).
"""

from __future__ import annotations

from typing import Any

from llmcli.request import Message, TextPart

# Body key → the `Request` field it sets.
_FIELDS = {
    "openai": {
        "temperature": "temperature",
        "top_p": "top_p",
        "stop": "stop",
        "user": "user",
        "max_tokens": "max_tokens",
        "max_completion_tokens": "max_tokens",
        "reasoning_effort": "reasoning_effort",
    },
    "anthropic": {
        "temperature": "temperature",
        "top_p": "top_p",
        "top_k": "top_k",
        "stop_sequences": "stop",
        "max_tokens": "max_tokens",
    },
}
_NOT_OPTIONS = {"model", "messages", "system", "stream"}


class LineError(ValueError):
    """A line that cannot be sent, with the reason."""


def provider_line(body: Any, provider: str) -> tuple[list[Message], dict[str, Any], dict[str, Any]]:
    """An OpenAI `body` or Anthropic `params` → (messages, fields, options)."""
    if not isinstance(body, dict):
        raise LineError("body/params must be a JSON object")
    mapping = _FIELDS[provider]
    messages, fields = chat_messages(body.get("messages"))
    fields.update({mapping[k]: v for k, v in body.items() if k in mapping})
    if "system" in body:  # Anthropic's top-level system: a string or text blocks
        fields["system"] = _text(body["system"])
    if isinstance(fields.get("stop"), str):
        fields["stop"] = [fields["stop"]]
    model = body.get("model")
    if isinstance(model, str) and model:
        # A provider's batch line names the bare model: it is that provider's model.
        fields["model"] = model if "/" in model else f"{provider}/{model}"
    options = {k: v for k, v in body.items() if k not in mapping and k not in _NOT_OPTIONS}
    return messages, fields, options


def chat_messages(raw: Any) -> tuple[list[Message], dict[str, Any]]:
    """Chat messages (either provider's shape, text content only) and, when a system
    message is among them, the `system` field."""
    if not isinstance(raw, list) or not raw:
        raise LineError('no prompt: "messages" must be a non-empty list')
    messages: list[Message] = []
    fields: dict[str, Any] = {}
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("role") not in ("system", "user", "assistant"):
            raise LineError("each message needs a role: system, user or assistant")
        text = _text(entry.get("content"))
        if entry["role"] == "system":
            fields["system"] = text
        else:
            messages.append(Message(role=entry["role"], parts=[TextPart(text=text)]))
    if not messages:
        raise LineError("no prompt: no user message")
    return messages, fields


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
