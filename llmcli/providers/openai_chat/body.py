"""OpenAI Chat Completions requests: the bodies of `POST {base}/chat/completions` and of
the legacy `POST {base}/completions`, and the call that carries them."""

from __future__ import annotations

import json
from typing import Any

from llmcli.headers import merged
from llmcli.notes import Unsupported
from llmcli.providers._common import (
    merge,
    put,
)
from llmcli.providers.openai_chat.features import (
    AttachmentEncoder,
    HostedEncoder,
    attachment_part,
    encode_tool,
    refuse_hosted,
    refuse_in_legacy,
    response_format,
    text_part,
    tool_choice,
)
from llmcli.request import (
    AttachmentPart,
    Message,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from llmcli.transport import Connection, HttpCall


def auth_headers(conn: Connection) -> dict[str, str]:
    # The key is in `conn.headers` already, in the header the registry names; a header
    # given with -H replaces ours of the same name, in any case.
    return merged({"content-type": "application/json"}, conn.headers)


def uses_legacy_completions(req: Request) -> bool:
    """FIM (`suffix`) and `text_completion` go to the legacy `POST {base}/completions`."""
    return req.text_completion or req.suffix is not None


def chat_body(
    req: Request,
    *,
    attach: AttachmentEncoder | None = None,
    hosted: HostedEncoder | None = None,
) -> dict[str, Any]:
    """The provider-neutral part of a Chat Completions body.

    `attach` encodes attachments (default: OpenAI's parts, PDFs as data only);
    `hosted` encodes hosted tools (default: refused as Anthropic-only).
    """
    encode_attachment = attach or attachment_part
    messages: list[dict[str, Any]] = []
    if req.system:
        messages.append({"role": "system", "content": req.system})
    for message in req.messages:
        messages.extend(encode_message(message, encode_attachment))
    body: dict[str, Any] = {"model": req.model, "messages": messages, "stream": req.stream}
    if req.stream:
        body["stream_options"] = {"include_usage": True}
    _sampling(body, req)
    put(body, "max_tokens", req.max_tokens)
    put(body, "user", req.user)
    put(body, "tools", [encode_tool(t, hosted or refuse_hosted) for t in req.tools])
    if req.tools:
        put(body, "tool_choice", tool_choice(req.tool_choice))
        if not req.parallel_tool_calls:
            body["parallel_tool_calls"] = False
    if req.response_format is not None:
        body["response_format"] = response_format(req.response_format)
    return body


def completion_body(req: Request) -> dict[str, Any]:
    """Legacy completions (`prompt`, optional `suffix`), used for fill-in-the-middle."""
    refuse_in_legacy(req)
    body: dict[str, Any] = {"model": req.model, "prompt": req.prompt_text(), "stream": req.stream}
    put(body, "suffix", req.suffix)
    if req.stream:
        body["stream_options"] = {"include_usage": True}
    _sampling(body, req)
    put(body, "max_tokens", req.max_tokens)
    put(body, "user", req.user)
    return body


def _sampling(body: dict[str, Any], req: Request) -> None:
    put(body, "temperature", req.temperature)
    put(body, "top_p", req.top_p)
    put(body, "stop", req.stop)


def http_call(
    req: Request, conn: Connection, body: dict[str, Any], warnings: list[Unsupported]
) -> HttpCall:
    """Finish a body: `options` merged last, then the URL for its endpoint."""
    merge(body, req.options)
    # Chosen from the request, not the body: `-o prompt=...` must not change the endpoint.
    path = "/completions" if uses_legacy_completions(req) else "/chat/completions"
    return HttpCall(
        method="POST",
        url=conn.base_url + path,
        headers=auth_headers(conn),
        json=body,
        framing="sse" if req.stream else "json",
        warnings=warnings,
    )


def encode_message(
    message: Message, attach: AttachmentEncoder | None = None
) -> list[dict[str, Any]]:
    """One neutral message → OpenAI messages (tool results become `role: tool` messages).

    A user message with attachments has a list of content parts (in the order given);
    otherwise its content is the plain text.
    """
    if message.role == "user":
        results = [p for p in message.parts if isinstance(p, ToolResultPart)]
        out: list[dict[str, Any]] = [
            {"role": "tool", "tool_call_id": r.tool_call_id, "content": r.content} for r in results
        ]
        if any(isinstance(p, AttachmentPart) for p in message.parts):
            encode_attachment = attach or attachment_part
            parts = [
                encode_attachment(p) if isinstance(p, AttachmentPart) else text_part(p.text)
                for p in message.parts
                if isinstance(p, (AttachmentPart, TextPart))
            ]
            out.append({"role": "user", "content": parts})
        elif any(isinstance(p, TextPart) for p in message.parts):
            out.append({"role": "user", "content": message.text})
        return out
    assistant: dict[str, Any] = {"role": "assistant"}
    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    # Chat Completions: `content` is "required unless tool_calls is specified"; a message
    # with calls and no text leaves it out (as the recorded OpenAI clients do).
    if any(isinstance(p, TextPart) for p in message.parts):
        assistant["content"] = message.text
    elif not calls:
        assistant["content"] = ""
    if calls:
        assistant["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": _arguments_text(c.arguments)},
            }
            for c in calls
        ]
    return [assistant]


def _arguments_text(arguments: Any) -> str:
    """Arguments as the JSON string OpenAI sends; a raw string (it did not parse) as is."""
    if isinstance(arguments, str):
        return arguments
    # Compact, as OpenAI's own models write arguments: the replayed turn stays byte-identical.
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
