"""OpenAI chat `messages` → llmcli's system prompt and neutral messages.

Roles: system/developer (joined into the one system prompt, in order), user (text,
`image_url`, `file` parts), assistant (text, `tool_calls`, `reasoning_content` as
DeepSeek clients echo it), tool (a result for an earlier call; its name is looked up).
"""

from __future__ import annotations

from typing import Any

from llmcli.gateway.errors import bad_request
from llmcli.gateway.read import arguments, call_names, obj, typed, url_part
from llmcli.request import (
    AttachmentPart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    changed,
)


def read_messages(value: Any) -> tuple[str | None, list[Message], bool]:
    """(system prompt, messages, whether a system part asked for a cache breakpoint)."""
    items = typed(value, list, "messages")
    if not items:
        raise bad_request("messages must not be empty", "messages")
    systems: list[str] = []
    cache = False
    messages: list[Message] = []
    for i, item in enumerate(items):
        param = f"messages[{i}]"
        item = obj(item, param)
        role = item.get("role")
        if role in ("system", "developer"):
            text, cached = _plain_text(item.get("content"), f"{param}.content")
            systems.append(text)
            cache = cache or cached
        elif role == "user":
            messages.append(Message(role="user", parts=_user_parts(item.get("content"), param)))
        elif role == "assistant":
            messages.append(_assistant(item, param))
        elif role == "tool":
            messages.append(_tool_result(item, param, call_names(messages)))
        else:
            raise bad_request(
                f"{param}.role must be system, developer, user, assistant or tool", f"{param}.role"
            )
    if not messages:
        raise bad_request("messages holds only system messages", "messages")
    return ("\n\n".join(systems) if systems else None), messages, cache


def _plain_text(content: Any, param: str) -> tuple[str, bool]:
    """A string or an array of text parts → the text (and whether one had cache_control,
    as OpenRouter's Anthropic caching puts it)."""
    if isinstance(content, str):
        return content, False
    texts: list[str] = []
    cached = False
    for j, part in enumerate(typed(content, list, param)):
        part = obj(part, f"{param}[{j}]")
        if part.get("type") != "text":
            raise bad_request(
                f"{param}[{j}]: only text parts are allowed here", f"{param}[{j}].type"
            )
        texts.append(typed(part.get("text"), str, f"{param}[{j}].text"))
        cached = cached or part.get("cache_control") is not None
    return "\n\n".join(texts), cached


def _user_parts(content: Any, param: str) -> list[Part]:
    param = f"{param}.content"
    if isinstance(content, str):
        return [TextPart(text=content)]
    parts: list[Part] = []
    for j, part in enumerate(typed(content, list, param)):
        parts.append(_user_part(obj(part, f"{param}[{j}]"), f"{param}[{j}]"))
    return parts


def _user_part(part: dict[str, Any], param: str) -> Part:
    kind = part.get("type")
    if kind == "text":
        return TextPart(text=typed(part.get("text"), str, f"{param}.text"))
    if kind == "image_url":
        image = part.get("image_url")
        url = image if isinstance(image, str) else obj(image, f"{param}.image_url").get("url")
        # Named by its place: an encoder that refuses it says which part it was.
        where = f"{param}.image_url.url"
        image_part = url_part(typed(url, str, where), where, name=param)
        if image_part.url is not None and image_part.kind != "image":
            # An image part stays an image part, whatever its URL ends with (corpus
            # openrouter/error-400-provider-error sends a .pdf URL as one).
            image_part = changed(image_part, mime="image/jpeg")
        return image_part
    if kind == "file":
        return _file_part(obj(part.get("file"), f"{param}.file"), f"{param}.file")
    raise bad_request(
        f"{param}.type {kind!r} is not supported (text, image_url, file)", f"{param}.type"
    )


def _file_part(file: dict[str, Any], param: str) -> AttachmentPart:
    """`{file_data: "data:application/pdf;base64,…", filename}` (corpus openai/pdf-file-part);
    uploaded `file_id`s live at OpenAI and cannot reach other providers."""
    data = file.get("file_data")
    if data is None:
        raise bad_request(
            f"{param}: only inline file_data is supported, not file_id", f"{param}.file_data"
        )
    name = file.get("filename")
    return url_part(
        typed(data, str, f"{param}.file_data"),
        f"{param}.file_data",
        "application/pdf",
        name if isinstance(name, str) else None,
    )


def _assistant(item: dict[str, Any], param: str) -> Message:
    # Signed thinking (LiteLLM's `thinking_blocks`, which this gateway also sends) is
    # replayed as given; else DeepSeek-style `reasoning_content` as plain reasoning.
    parts: list[Part] = _thinking_blocks(item.get("thinking_blocks"), f"{param}.thinking_blocks")
    reasoning = item.get("reasoning_content")
    if not parts and isinstance(reasoning, str) and reasoning:
        parts.append(ReasoningPart(text=reasoning))
    content = item.get("content")
    if content is not None:
        text, _ = _assistant_text(content, f"{param}.content")
        if text:
            parts.append(TextPart(text=text))
    for k, call in enumerate(typed(item.get("tool_calls") or [], list, f"{param}.tool_calls")):
        where = f"{param}.tool_calls[{k}]"
        call = obj(call, where)
        fn = obj(call.get("function"), f"{where}.function")
        parts.append(
            ToolCallPart(
                id=typed(call.get("id"), str, f"{where}.id"),
                name=typed(fn.get("name"), str, f"{where}.function.name"),
                arguments=arguments(fn.get("arguments", ""), f"{where}.function.arguments"),
            )
        )
    return Message(role="assistant", parts=parts)


def _thinking_blocks(value: Any, param: str) -> list[Part]:
    parts: list[Part] = []
    for i, block in enumerate(typed(value or [], list, param)):
        block = obj(block, f"{param}[{i}]")
        if block.get("type") == "redacted_thinking":
            parts.append(
                ReasoningPart(redacted=typed(block.get("data"), str, f"{param}[{i}].data"))
            )
        else:
            text = typed(block.get("thinking", ""), str, f"{param}[{i}].thinking")
            signature = block.get("signature")
            parts.append(
                ReasoningPart(
                    text=text, signature=signature if isinstance(signature, str) else None
                )
            )
    return parts


def _assistant_text(content: Any, param: str) -> tuple[str, bool]:
    """Assistant content: a string, or text (and refusal) parts."""
    if isinstance(content, list):
        content = [p for p in content if not (isinstance(p, dict) and p.get("type") == "refusal")]
    return _plain_text(content, param)


def _tool_result(item: dict[str, Any], param: str, names: dict[str, str]) -> Message:
    call_id = typed(item.get("tool_call_id"), str, f"{param}.tool_call_id")
    content = item.get("content")
    text, _ = _plain_text("" if content is None else content, f"{param}.content")
    name = names.get(call_id) or (item.get("name") if isinstance(item.get("name"), str) else None)
    if name is None:
        raise bad_request(
            f"{param}.tool_call_id {call_id} answers no earlier tool call", f"{param}.tool_call_id"
        )
    return Message(
        role="user", parts=[ToolResultPart(tool_call_id=call_id, name=name, content=text)]
    )
