"""An MCP `CallToolResult` → the `ToolResultPart` sent back to the model.

Content blocks (MCP schema 2025-11-25, "Tool Result"): text is kept; an image goes
along as an attachment (sent where the provider takes images in a tool result) and is
named in the text for the others; audio, binary resources and resource links are named;
`structuredContent` is sent as JSON when the tool gave no text (the spec asks servers to
repeat it as text, so it is not sent twice). `isError` makes an error result.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from llmcli.request import AttachmentPart, ToolResultPart


def to_part(result: Any, call_id: str, offered: str, server: str) -> ToolResultPart:
    texts: list[str] = []
    images: list[AttachmentPart] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(block.text)
        elif kind == "image":
            images.append(AttachmentPart(mime=block.mime_type, data=block.data))
            texts.append(f"[image {block.mime_type}, {_size(block.data)} bytes]")
        elif kind == "audio":
            texts.append(f"[audio {block.mime_type}, {_size(block.data)} bytes: not passed on]")
        elif kind == "resource":
            texts.append(_resource(block.resource))
        elif kind == "resource_link":
            texts.append(f"[resource {block.uri}]")
    structured = getattr(result, "structured_content", None)
    if structured is not None and not any(t.strip() for t in texts):
        texts = [json.dumps(structured, ensure_ascii=False)]
    return ToolResultPart(
        tool_call_id=call_id,
        name=offered,
        content="\n".join(texts),
        is_error=bool(getattr(result, "is_error", False)),
        images=images or None,
        server=server,
    )


def failed(call_id: str, offered: str, server: str, message: str) -> ToolResultPart:
    """A call that got no result (timeout, server gone): an error result saying why."""
    return ToolResultPart(
        tool_call_id=call_id, name=offered, content=message, is_error=True, server=server
    )


def _resource(resource: Any) -> str:
    text = getattr(resource, "text", None)
    if text is not None:
        return str(text)
    mime = getattr(resource, "mime_type", None) or "binary"
    return f"[resource {resource.uri} ({mime}): not passed on]"


def _size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data)
