"""Anthropic `messages` content blocks → neutral messages: text, image, document,
tool_use, tool_result, thinking and redacted_thinking (signatures and data kept as
given, so a replayed turn reaches Anthropic byte for byte)."""

from __future__ import annotations

import base64
from typing import Any

from llmcli.gateway.errors import bad_request
from llmcli.gateway.read import call_names, checked_base64, obj, opt, typed, url_part
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

# Blocks of tools Anthropic runs itself (web search and fetch, code execution, MCP
# connector, container uploads), as the Messages API content block types name them.
_SERVER_BLOCKS = {
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
}


class _Reader:
    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.cite = False
        self.messages: list[Message] = []
        self.systems: list[str] = []  # system turns inside `messages`
        self._cache_noted = False

    def message(self, item: Any, param: str) -> None:
        item = obj(item, param)
        role = item.get("role")
        if role == "system":
            self.system(item, param)
            return
        if role not in ("user", "assistant"):
            raise bad_request(f"{param}.role must be user or assistant", f"{param}.role")
        content = item.get("content")
        if isinstance(content, str):
            parts: list[Part] = [TextPart(text=content)]
        else:
            blocks = typed(content, list, f"{param}.content")
            parts = [
                p
                for j, b in enumerate(blocks)
                if (p := self.block(obj(b, f"{param}.content[{j}]"), f"{param}.content[{j}]"))
            ]
        self.messages.append(Message(role=role, parts=parts))

    def system(self, item: dict[str, Any], param: str) -> None:
        """A system turn inside `messages` (Anthropic's mid-conversation system prompt,
        corpus anthropic/prompt-cache-write): Request has one system prompt, so its text
        joins it, with a warning."""
        content = item.get("content")
        if isinstance(content, str):
            self.systems.append(content)
        else:
            blocks = typed(content, list, f"{param}.content")
            for j, b in enumerate(blocks):
                b = obj(b, f"{param}.content[{j}]")
                self.systems.append(typed(b.get("text"), str, f"{param}.content[{j}].text"))
        self.warnings.append(f"{param}: a system turn was moved into the system prompt")

    def block(self, block: dict[str, Any], param: str) -> Part | None:
        if block.get("cache_control") is not None and not self._cache_noted:
            # Request keeps breakpoints on the system prompt and tools only (as the CLI's
            # --cache-system/--cache-tools); one inside a message cannot be placed.
            self._cache_noted = True
            self.warnings.append("cache_control on message content was dropped")
        kind = block.get("type")
        if kind == "text":
            return TextPart(text=typed(block.get("text"), str, f"{param}.text"))
        if kind == "image":  # named by its place, for an encoder's refusal
            return changed(_source_part(block, param, "image/jpeg"), name=param)
        if kind == "document":
            return self.document(block, param)
        if kind == "tool_use":
            return ToolCallPart(
                id=typed(block.get("id"), str, f"{param}.id"),
                name=typed(block.get("name"), str, f"{param}.name"),
                arguments=block.get("input") if block.get("input") is not None else {},
            )
        if kind == "tool_result":
            return self.tool_result(block, param)
        if kind == "thinking":
            return ReasoningPart(
                text=typed(block.get("thinking", ""), str, f"{param}.thinking"),
                signature=opt(block, "signature", str, f"{param}.signature"),
            )
        if kind == "redacted_thinking":
            return ReasoningPart(redacted=typed(block.get("data"), str, f"{param}.data"))
        if kind in _SERVER_BLOCKS:
            # A server tool's call and result replayed from an earlier turn: the neutral
            # messages have no place for them; the answer's text that used them stays.
            self.warnings.append(f"{param}: a {kind} block was dropped")
            return None
        raise bad_request(f"{param}.type {kind!r} is not supported", f"{param}.type")

    def document(self, block: dict[str, Any], param: str) -> AttachmentPart:
        citations = block.get("citations")
        if isinstance(citations, dict) and citations.get("enabled"):
            self.cite = True
        title = opt(block, "title", str, f"{param}.title")
        source = obj(block.get("source"), f"{param}.source")
        if source.get("type") == "text":
            data = typed(source.get("data"), str, f"{param}.source.data")
            encoded = base64.b64encode(data.encode()).decode()
            return AttachmentPart(mime="text/plain", data=encoded, name=title)
        part = _source_part(block, param, "application/pdf")
        return changed(part, name=title) if title else part

    def tool_result(self, block: dict[str, Any], param: str) -> ToolResultPart:
        call_id = typed(block.get("tool_use_id"), str, f"{param}.tool_use_id")
        name = call_names(self.messages).get(call_id)
        if name is None:
            raise bad_request(
                f"{param}.tool_use_id {call_id} answers no earlier tool_use", f"{param}.tool_use_id"
            )
        return ToolResultPart(
            tool_call_id=call_id,
            name=name,
            content=self.result_text(block.get("content"), f"{param}.content"),
            is_error=opt(block, "is_error", bool, f"{param}.is_error") is True,
        )

    def result_text(self, content: Any, param: str) -> str:
        """A string, or blocks whose text is joined (a result's images have no place in
        the neutral ToolResultPart: dropped with a warning)."""
        if content is None or isinstance(content, str):
            return content or ""
        texts = []
        for j, item in enumerate(typed(content, list, param)):
            item = obj(item, f"{param}[{j}]")
            if item.get("type") == "text":
                texts.append(typed(item.get("text"), str, f"{param}[{j}].text"))
            else:
                self.warnings.append(
                    f"{param}[{j}]: a {item.get('type')} block in a tool result was dropped"
                )
        return "\n\n".join(texts)


def _source_part(block: dict[str, Any], param: str, default: str) -> AttachmentPart:
    source = obj(block.get("source"), f"{param}.source")
    kind = source.get("type")
    if kind == "base64":
        mime = typed(source.get("media_type"), str, f"{param}.source.media_type")
        data = typed(source.get("data"), str, f"{param}.source.data")
        return AttachmentPart(mime=mime, data=checked_base64(data, f"{param}.source.data"))
    if kind == "url":
        url = typed(source.get("url"), str, f"{param}.source.url")
        return url_part(url, f"{param}.source.url", default)
    raise bad_request(f"{param}.source.type must be base64 or url", f"{param}.source.type")


def read_messages(value: Any, warnings: list[str]) -> tuple[list[Message], bool, list[str]]:
    """(messages, whether a document asked for citations, system turns' texts)."""
    items = typed(value, list, "messages")
    if not items:
        raise bad_request("messages: at least one message is required", "messages")
    reader = _Reader(warnings)
    for i, item in enumerate(items):
        reader.message(item, f"messages[{i}]")
    return reader.messages, reader.cite, reader.systems
