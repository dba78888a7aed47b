"""DeepSeek: the OpenAI shape plus `thinking: {type}` and `reasoning_content`.

Thinking mode: https://api-docs.deepseek.com/guides/thinking_mode
FIM (beta): https://api-docs.deepseek.com/guides/fim_completion
JSON output: https://api-docs.deepseek.com/guides/json_mode (`json_object` only, and the
prompt must say "json")
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from llmcli import catalog as _catalog
from llmcli.errors import ProviderError, UsageError
from llmcli.notes import Unsupported
from llmcli.providers import profiles
from llmcli.providers.openai_chat import answers, endpoints, features
from llmcli.providers.openai_chat import body as compat
from llmcli.request import AttachmentPart, Request, ToolCallPart
from llmcli.transport import Connection, HttpCall

NAME = "deepseek"

# DeepSeek's own host serves FIM only under /beta; a custom --api-base is left as given.
_OFFICIAL_BASES = ("https://api.deepseek.com", "https://api.deepseek.com/v1")
_BETA_BASE = "https://api.deepseek.com/beta"


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings = features.cache_warnings(req, "DeepSeek")
    features.refuse_anthropic_only(req)
    if compat.uses_legacy_completions(req):
        if conn.base_url in _OFFICIAL_BASES:
            conn = replace(conn, base_url=_BETA_BASE)
        return compat.http_call(req, conn, compat.completion_body(req), warnings)
    body = compat.chat_body(req, attach=_attachment)
    _flatten_user_content(body)
    _replay_reasoning(body, req)
    facts = profiles.deepseek(req.model)
    if facts.structured_output == "json_object":
        _json_output(body, req, warnings)
    if "parallel_tool_calls" in body:
        # Not a documented DeepSeek parameter (https://api-docs.deepseek.com/api/create-chat-completion).
        del body["parallel_tool_calls"]
        warnings.append(
            Unsupported(
                "parallel_tool_calls",
                NAME,
                "DeepSeek has no parallel_tool_calls: {parallel_tool_calls} was not sent",
            )
        )
    if req.wants_reasoning and not facts.always_reasons:
        body["thinking"] = {"type": "enabled"}
    elif req.reasoning_effort == "none" and not facts.always_reasons:
        body["thinking"] = {"type": "disabled"}
    if req.reasoning_effort not in (None, "none"):
        # The level itself (low/medium/high; DeepSeek maps medium to high), not just "on".
        body["reasoning_effort"] = req.reasoning_effort
    if req.thinking_budget:
        warnings.append(
            Unsupported(
                "thinking_budget",
                NAME,
                "DeepSeek takes no thinking budget: {thinking_budget} was not sent",
            )
        )
    if req.top_k is not None:
        warnings.append(Unsupported("top_k", NAME, "DeepSeek has no top_k: {top_k} was not sent"))
    return compat.http_call(req, conn, body, warnings)


def _attachment(part: AttachmentPart) -> dict[str, Any]:
    """DeepSeek's chat models read text only: text files are inlined, the rest refused."""
    if part.kind != "text":
        raise UsageError(
            f"DeepSeek takes no images or files: {part.name or part.url} is {part.mime} "
            "(only text files can be attached)"
        )
    return features.text_part(features.attachment_text(part))


def _flatten_user_content(body: dict[str, Any]) -> None:
    """DeepSeek documents user `content` as a string: join inlined text files and prompt."""
    for wire in body["messages"]:
        if wire["role"] == "user" and isinstance(wire["content"], list):
            wire["content"] = "\n\n".join(part["text"] for part in wire["content"])


def _replay_reasoning(body: dict[str, Any], req: Request) -> None:
    """DeepSeek wants the assistant's `reasoning_content` back within a tool loop.

    In thinking mode every assistant message that called tools must carry its
    `reasoning_content`, empty or not, or the API answers 400
    (https://api-docs.deepseek.com/guides/thinking_mode, "Tool Calls"). Such a message
    with no text has `content: null`, as DeepSeek's own examples send it.
    """
    for wire, message in features.assistant_pairs(body, req):
        calls = any(isinstance(p, ToolCallPart) for p in message.parts)
        reasoning = features.reasoning_text(message)
        if reasoning or calls or features.has_reasoning(message):
            wire["reasoning_content"] = reasoning
        if calls and "content" not in wire:
            wire["content"] = None


# Appended to the system prompt: DeepSeek has `json_object` but no `json_schema`.
SCHEMA_INSTRUCTION = (
    "Answer with one JSON object, and nothing else, that is valid for this JSON Schema:"
)
JSON_INSTRUCTION = "Answer with one JSON object, and nothing else."


def _json_output(body: dict[str, Any], req: Request, warnings: list[Unsupported]) -> None:
    """`json_schema` → `json_object` plus the schema in the system prompt (with a warning).

    `json_object` needs the word "json" in the system or user prompt; when neither has
    it, a one-line instruction is added to the system prompt.
    """
    fmt = req.response_format
    if fmt is None:
        return
    body["response_format"] = {"type": "json_object"}
    if fmt.type == "json_schema" and fmt.json_schema is not None:
        schema = json.dumps(fmt.json_schema, ensure_ascii=False)
        _append_system(body, f"{SCHEMA_INSTRUCTION}\n{schema}")
        warnings.append(
            Unsupported(
                "response_format",
                NAME,
                "DeepSeek has no JSON schema output: sent response_format json_object "
                "with the schema in the system prompt",
            )
        )
    elif not any("json" in (m.get("content") or "").lower() for m in _prompt_messages(body)):
        _append_system(body, JSON_INSTRUCTION)


def _prompt_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] in ("system", "user")]


def _append_system(body: dict[str, Any], text: str) -> None:
    messages = body["messages"]
    if messages and messages[0]["role"] == "system":
        messages[0]["content"] = f"{messages[0]['content']}\n\n{text}"
    else:
        messages.insert(0, {"role": "system", "content": text})


# Answers are plain OpenAI chat completions (bodies and SSE streams).
decode = answers.decode
decode_stream = answers.decode_stream
stream_decoder = answers.stream_decoder


def decode_error(status: int, body: bytes) -> ProviderError:
    return answers.decode_error(NAME, status, body)


# ---- model list ----------------------------------------------------------------------


def encode_models(conn: Connection) -> HttpCall:
    """`GET {base}/models` (api-docs.deepseek.com, "Lists Models": the OpenAI shape)."""
    return endpoints.models_call(conn)


def decode_models(body: bytes) -> list[_catalog.Model]:
    return endpoints.decode_model_list(body, NAME)
