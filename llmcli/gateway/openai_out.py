"""llmcli answers → OpenAI response bodies: `chat.completion`, `chat.completion.chunk`
SSE, embeddings and images (openai-openapi `CreateChatCompletionResponse`,
`CreateChatCompletionStreamResponse`; the delta rules openai-python's stream helper
relies on are in /work/shared/research/gateway.md §1.2)."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

from llmcli.events import (
    Citation,
    Event,
    ReasoningDelta,
    Result,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.gateway.anthropic_out import citation
from llmcli.gateway.errors import GatewayError, openai_error, stream_error
from llmcli.gateway.read import compact
from llmcli.tasks import Embeddings, Images

_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}
DONE = b"data: [DONE]\n\n"


def finish_reason(result: Result) -> str:
    """OpenAI's finish_reason; a decoder's other values (an Ollama `load`, an error that
    was already reported) read as `stop`."""
    reason = _FINISH.get(result.finish_reason or "stop", "stop")
    # Ollama ends a turn of tool calls with "stop"; a cut-off answer stays "length".
    return "tool_calls" if result.tool_calls and reason == "stop" else reason


def usage(u: Usage) -> dict[str, Any]:
    prompt = u.input_tokens or 0
    completion = u.output_tokens or 0
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if u.cache_read_tokens is not None:
        out["prompt_tokens_details"] = {"cached_tokens": u.cache_read_tokens}
    if u.reasoning_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": u.reasoning_tokens}
    if u.cost is not None:
        # OpenRouter's convention, USD in usage.cost
        # (https://openrouter.ai/docs/use-cases/usage-accounting); the playground shows it.
        out["cost"] = u.cost
    return out


def url_annotations(citations: list[Citation]) -> list[dict[str, Any]]:
    """Web citations as OpenAI's `url_citation` annotations (the only kind OpenAI has);
    document citations have no place in this format and are left out."""
    return [
        {
            "type": "url_citation",
            "url_citation": {
                "url": c.url,
                "title": c.title or c.url,
                "start_index": c.start or 0,
                "end_index": c.end or 0,
            },
        }
        for c in citations
        if c.url
    ]


def tool_call(call: ToolCallDone) -> dict[str, Any]:
    args = call.arguments if isinstance(call.arguments, str) else compact(call.arguments)
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": args}}


def thinking_blocks(result: Result, *, indexed: bool = False) -> list[dict[str, Any]]:
    """Signed and redacted thinking as LiteLLM's `thinking_blocks` (docs.litellm.ai/docs/
    reasoning_content): a client that sends them back with its tool results keeps an
    Anthropic tool loop with thinking valid (the API wants the signed blocks replayed).
    In a stream each entry carries `index`, which openai-python merges list entries by."""
    if not any(b.signature or b.redacted is not None for b in result.reasoning_blocks):
        return []
    blocks: list[dict[str, Any]] = []
    for i, b in enumerate(result.reasoning_blocks):
        block: dict[str, Any] = {"index": i} if indexed else {}
        if b.redacted is not None:
            block.update(type="redacted_thinking", data=b.redacted)
        else:
            block.update(type="thinking", thinking=b.text, signature=b.signature or "")
        blocks.append(block)
    return blocks


def completion(result: Result, *, model_name: str, id: str, created: int) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": result.content if result.content or not result.tool_calls else None,
        "refusal": None,
    }
    if result.reasoning:
        message["reasoning_content"] = result.reasoning
    blocks = thinking_blocks(result)
    if blocks:
        message["thinking_blocks"] = blocks
    if result.tool_calls:
        message["tool_calls"] = [tool_call(c) for c in result.tool_calls]
    notes = url_annotations(result.citations)
    if notes:
        message["annotations"] = notes
    return {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model_name,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason(result),
                "logprobs": None,
            }
        ],
        "usage": usage(result.usage),
    }


def _frame(data: dict[str, Any]) -> bytes:
    return (
        b"data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
    )


class Chunks:
    """chat.completion.chunk SSE frames for one streamed answer.

    The first chunk carries `role`; each tool call gets the next `index` and its id,
    type and name once, then only argument fragments (openai-python concatenates every
    string it is sent again, so nothing is repeated).
    """

    def __init__(self, *, model_name: str, id: str, created: int, include_usage: bool) -> None:
        self.include_usage = include_usage
        # Every chunk shares this head; the per-chunk part is appended to it.
        head = {
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_name,
        }
        self._head = json.dumps(head, separators=(",", ":"), ensure_ascii=False)[:-1].encode()
        self._tail = b',"usage":null}\n\n' if include_usage else b"}\n\n"
        # Text and reasoning deltas (nearly every chunk) are written around the string
        # alone: one json.dumps of a str instead of a nested dict per chunk.
        start = b"data: " + self._head + b',"choices":[{"index":0,"delta":{"'
        self._content = start + b'content":'
        self._reasoning = start + b'reasoning_content":'
        self._call = start + b'tool_calls":[{"index":'
        self._end = b'},"finish_reason":null}]' + self._tail
        self._started = False
        self._done = False
        self._index: dict[str, int] = {}  # tool call id → its index
        self._sent_args: set[str] = set()  # calls whose arguments went out as fragments
        self._server: set[str] = set()  # calls the provider ran itself: not the client's

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        if not self._started:
            self._started = True
            delta = {"role": "assistant", **delta}
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        body = json.dumps(choice, separators=(",", ":"), ensure_ascii=False).encode()
        return b"data: " + self._head + b',"choices":[' + body + b"]" + self._tail

    def feed(self, event: Event) -> list[bytes]:
        if self._done:
            return []
        if isinstance(event, TextDelta):
            return self._text(self._content, "content", event.text)
        if isinstance(event, ReasoningDelta):
            return self._text(self._reasoning, "reasoning_content", event.text)
        if isinstance(event, ToolCallStart):
            return self._start(event)
        if isinstance(event, ToolCallDelta):
            return self._arguments(event)
        if isinstance(event, ToolCallDone):
            return self._done_call(event)
        if isinstance(event, StreamError):
            return self.fail(stream_error(event))
        if isinstance(event, Citation):
            return self._document(event)
        return []  # usage and finish go out in `finish`

    def _document(self, event: Citation) -> list[bytes]:
        """A document citation has no OpenAI field (`annotations` are `url_citation` only,
        and openai-python's message type rejects any other): it goes where LiteLLM's proxy
        puts Anthropic's `citations_delta`, `delta.provider_specific_fields.citation`
        (litellm/llms/anthropic/chat/handler.py), which OpenAI clients ignore. Web
        citations go out at the end as annotations."""
        cited = citation(event)
        return [self._chunk({"provider_specific_fields": {"citation": cited}})] if cited else []

    def _text(self, prefix: bytes, key: str, text: str) -> list[bytes]:
        if not text:
            return []
        if not self._started:
            return [self._chunk({key: text})]
        return [prefix + json.dumps(text, ensure_ascii=False).encode() + self._end]

    def _start(self, event: ToolCallStart) -> list[bytes]:
        if event.server:
            self._server.add(event.id)
            return []
        index = self._index.setdefault(event.id, len(self._index))
        call = {
            "index": index,
            "id": event.id,
            "type": "function",
            "function": {"name": event.name, "arguments": ""},
        }
        return [self._chunk({"tool_calls": [call]})]

    def _arguments(self, event: ToolCallDelta) -> list[bytes]:
        if event.id in self._server or event.id not in self._index or not event.arguments_fragment:
            return []
        self._sent_args.add(event.id)
        fragment = json.dumps(event.arguments_fragment, ensure_ascii=False).encode()
        head = b'%s%d,"function":{"arguments":' % (self._call, self._index[event.id])
        return [head + fragment + b"}}]" + self._end]

    def _done_call(self, event: ToolCallDone) -> list[bytes]:
        """A call that came whole (Ollama) goes out in one delta; one whose fragments went
        out is complete already; one that began without fragments gets its arguments."""
        if event.server or event.id in self._server or event.id in self._sent_args:
            return []
        args = tool_call(event)["function"]["arguments"]
        if event.id in self._index:
            call: dict[str, Any] = {"index": self._index[event.id], "function": {"arguments": args}}
        else:
            call = {"index": len(self._index), **tool_call(event)}
            self._index[event.id] = call["index"]
        self._sent_args.add(event.id)
        return [self._chunk({"tool_calls": [call]})]

    def finish(self, result: Result) -> list[bytes]:
        if self._done:
            return []
        self._done = True
        frames = []
        cited = url_annotations(result.citations)
        if cited:
            # As OpenAI's search models stream them: an annotations-only delta at the end
            # (https://github.com/openai/openai-java/issues/297); the playground lists them.
            frames.append(self._chunk({"annotations": cited}))
        blocks = thinking_blocks(result, indexed=True)
        frames.append(
            self._chunk({"thinking_blocks": blocks} if blocks else {}, finish_reason(result))
        )
        if self.include_usage:
            tail = b',"usage":' + compact(usage(result.usage)).encode() + b"}\n\n"
            frames.append(b"data: " + self._head + b',"choices":[]' + tail)
        frames.append(DONE)
        return frames

    def fail(self, err: GatewayError) -> list[bytes]:
        """openai-python raises APIError on a data object with an `error` key."""
        if self._done:
            return []
        self._done = True
        return [_frame(openai_error(err)), DONE]


# ---- embeddings and images ----------------------------------------------------------


def embeddings(
    emb: Embeddings, *, model_name: str, encoding_format: str = "float"
) -> dict[str, Any]:
    """`base64`: each vector as little-endian float32 bytes (what OpenAI sends and
    openai-python decodes with numpy.frombuffer(dtype="float32"))."""
    data = [
        {"object": "embedding", "index": i, "embedding": _vector(v, encoding_format)}
        for i, v in enumerate(emb.vectors)
    ]
    tokens = emb.usage.input_tokens or 0
    used: dict[str, Any] = {"prompt_tokens": tokens, "total_tokens": tokens}
    if emb.usage.cost is not None:
        # OpenAI's usage has only the two counts; `cost` in USD is OpenRouter's addition
        # to the same object (corpus openrouter/embeddings), as in chat answers.
        used["cost"] = emb.usage.cost
    return {"object": "list", "data": data, "model": model_name, "usage": used}


def _vector(vector: list[float], encoding_format: str) -> list[float] | str:
    if encoding_format != "base64":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def images(
    images: Images, *, created: int = 0, response_format: str | None = None
) -> dict[str, Any]:
    """Bytes go back as `b64_json` (a data URL when `url` was asked for), remote URLs as
    `url`; the gateway downloads nothing."""
    data: list[dict[str, Any]] = []
    for image in images.images:
        item: dict[str, Any] = {}
        if image.data is not None:
            b64 = base64.b64encode(image.data).decode()
            if response_format == "url":
                item["url"] = f"data:{image.mime or 'image/png'};base64,{b64}"
            else:
                item["b64_json"] = b64
        elif image.url is not None:
            item["url"] = image.url
        if image.revised_prompt:
            item["revised_prompt"] = image.revised_prompt
        data.append(item)
    out: dict[str, Any] = {"created": created, "data": data}
    if images.usage.input_tokens is not None or images.usage.output_tokens is not None:
        i, o = images.usage.input_tokens or 0, images.usage.output_tokens or 0
        out["usage"] = {"input_tokens": i, "output_tokens": o, "total_tokens": i + o}
        if images.usage.cost is not None:  # only where OpenAI has a usage object (gpt-image)
            out["usage"]["cost"] = images.usage.cost
    return out
