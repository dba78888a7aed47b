"""Ollama's native API: `ollama/` → `POST /api/generate`, `ollama_chat/` → `POST /api/chat`.

API reference: https://docs.ollama.com/openapi.yaml (NDJSON streams; `stream`
defaults to true, so it is always sent).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from llmcli.errors import DecodeError, ProviderError
from llmcli.events import (
    Event,
    Finish,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.framing import Frame
from llmcli.providers._common import fallback_error, int_or_none, load_json, merge, put
from llmcli.request import Message, Request, TextPart, ToolCallPart, ToolResultPart
from llmcli.transport import RETRY_STATUSES, Connection, HttpCall

NAME = "ollama"
DEFAULT_PORT = 11434
CONNECT_HINT = "is the Ollama server running? (start it with `ollama serve`)"


def host_url(base: str) -> str:
    """Resolve `OLLAMA_HOST` as Ollama's own client does (envconfig.Host).

    No scheme means `http` and port 11434 (`0.0.0.0:11434`, `myhost`); an explicit
    scheme keeps its own default port (`https://ollama.com` is 443, not 11434).
    """
    base = base.strip().rstrip("/")
    scheme, sep, rest = base.partition("://")
    if not sep:
        scheme, rest = "http", base
    host, slash, path = rest.partition("/")
    if host.count(":") > 1 and not host.startswith("["):
        host = f"[{host}]"  # a bare IPv6 address: its colons are not a port
    name, port = _split_port(host)
    # A listen address (what `ollama serve` binds to) is not a destination.
    name = _LISTEN_ALL.get(name, name) or "127.0.0.1"
    if port is None and not sep:
        port = str(DEFAULT_PORT)
    return f"{scheme}://{name}{':' + port if port is not None else ''}{slash}{path}"


_LISTEN_ALL = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}


def _split_port(host: str) -> tuple[str, str | None]:
    name, colon, port = host.rpartition(":")
    if colon and "]" not in port:
        return name, port
    return host, None


# ---- encoding ------------------------------------------------------------------------


def encode(req: Request, conn: Connection) -> HttpCall:
    warnings: list[str] = []
    chat = req.provider == "ollama_chat" and req.suffix is None
    if chat:
        body: dict[str, Any] = {
            "model": req.model,
            "messages": _chat_messages(req),
            "stream": req.stream,
        }
    else:
        body = {"model": req.model, "prompt": req.prompt_text(), "stream": req.stream}
        put(body, "system", req.system)
        put(body, "suffix", req.suffix)
    think = _think(req)
    if think is not None:
        body["think"] = think
    if req.thinking_budget:
        warnings.append("Ollama takes no thinking budget: --thinking-budget was not sent")
    if req.user:
        warnings.append("Ollama has no user field: --user was not sent")
    options: dict[str, Any] = {}
    put(options, "num_predict", req.max_tokens)
    put(options, "temperature", req.temperature)
    put(options, "top_p", req.top_p)
    put(options, "top_k", req.top_k)
    put(options, "stop", req.stop)
    if options:
        body["options"] = options
    merge(body, req.options)
    headers = {"content-type": "application/json"}
    if conn.api_key:  # ollama.com's hosted API takes a bearer token
        headers["authorization"] = f"Bearer {conn.api_key}"
    headers.update(conn.headers)
    return HttpCall(
        method="POST",
        url=host_url(conn.base_url) + ("/api/chat" if chat else "/api/generate"),
        headers=headers,
        json=body,
        framing="ndjson" if req.stream else "json",
        warnings=warnings,
    )


def _think(req: Request) -> bool | str | None:
    """Top-level `think` (not inside `options`, where Ollama ignores it)."""
    if req.reasoning_effort == "none":
        return False
    if req.reasoning_effort:
        return req.reasoning_effort
    return True if req.thinking else None


def _chat_messages(req: Request) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if req.system:
        out.append({"role": "system", "content": req.system})
    for message in req.messages:
        out.extend(_message(message))
    return out


def _message(message: Message) -> list[dict[str, Any]]:
    if message.role == "user":
        out: list[dict[str, Any]] = [
            {"role": "tool", "content": p.content, "tool_name": p.name}
            for p in message.parts
            if isinstance(p, ToolResultPart)
        ]
        if any(isinstance(p, TextPart) for p in message.parts):
            out.append({"role": "user", "content": message.text})
        return out
    wire: dict[str, Any] = {"role": "assistant", "content": message.text}
    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    if calls:
        # Ollama wants arguments as an object, not the OpenAI JSON string.
        wire["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.arguments}} for c in calls
        ]
    return [wire]


# ---- decoding ------------------------------------------------------------------------


def decode(body: bytes) -> Iterator[Event]:
    data = load_json(body)
    if not isinstance(data, dict):
        raise DecodeError(f"the answer is not a JSON object: {body[:80]!r}")
    yield from _line(data, tool_calls_seen=[])
    if not data.get("done") and not data.get("error"):
        yield StreamError("the answer ended before it was complete")


def decode_stream(frames: Iterable[Frame]) -> Iterator[Event]:
    seen: list[str] = []
    for frame in frames:
        data = load_json(frame.data, "stream line")
        if not isinstance(data, dict):
            continue
        yield from _line(data, seen)
        if data.get("done") or data.get("error"):
            return
    yield StreamError("the stream ended before the answer was complete")


def _line(data: dict[str, Any], tool_calls_seen: list[str]) -> Iterator[Event]:
    """One NDJSON object (or a whole non-streaming body) → events."""
    if data.get("error"):
        yield StreamError(str(data["error"]))
        return
    message = data.get("message") or {}
    thinking = message.get("thinking") or data.get("thinking")
    if thinking:
        yield ReasoningDelta(thinking)
    text = message.get("content") if message else data.get("response")
    if text:
        yield TextDelta(text)
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        # Local Ollama sends no id: number the calls of the whole answer.
        call_id = call.get("id") or f"call_{len(tool_calls_seen)}"
        tool_calls_seen.append(call_id)
        yield ToolCallStart(call_id, function.get("name", ""))
        yield ToolCallDone(call_id, function.get("name", ""), _arguments(function.get("arguments")))
    if data.get("done"):
        yield Usage(
            input_tokens=int_or_none(data.get("prompt_eval_count")),
            output_tokens=int_or_none(data.get("eval_count")),
        )
        reason = data.get("done_reason") or "stop"
        # Ollama says "stop" after tool calls; scripts expect the common value.
        if reason == "stop" and tool_calls_seen:
            reason = "tool_calls"
        yield Finish(reason, model=data.get("model"))


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw if raw is not None else {}


def decode_error(status: int, body: bytes) -> ProviderError:
    """Ollama errors are `{"error": "<text>"}`."""
    try:
        data = json.loads(body)
    except ValueError:
        return fallback_error(NAME, status, body)
    if not isinstance(data, dict) or not data.get("error"):
        return fallback_error(NAME, status, body)
    return ProviderError(
        NAME, str(data["error"]), status=status, retryable=status in RETRY_STATUSES
    )
