"""The official SDKs talking to the gateway's translation in process: an httpx
MockTransport plays the server (request → Request → the upstream provider's encoder;
a recorded upstream answer → the provider's decoder → the client's format), so an
OpenAI client reaches Anthropic and an Anthropic client reaches OpenAI and DeepSeek."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

from llmcli.gateway import anthropic_out, openai_out
from llmcli.gateway.anthropic_in import messages_call
from llmcli.gateway.errors import GatewayError, anthropic_error, from_provider_error, openai_error
from llmcli.gateway.fields import anthropic_field, openai_field
from llmcli.gateway.openai_in import chat_call
from tests.gateway_sdk import anthropic_client, encode, openai_client, recorded

WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
    },
}


def openai_gateway(upstream: str, sent: list[dict[str, Any]]) -> openai.OpenAI:
    provider, case = upstream.split("/")

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        try:
            call = chat_call(body, provider=provider, model="m", model_name=body.get("model"))
            sent.append(encode(provider, call.request))
        except Exception as exc:
            err = from_provider_error(exc, spell=openai_field)
            return httpx.Response(err.status, json=openai_error(err))
        events, result = recorded(provider, case)
        if not call.stream:
            answer = openai_out.completion(
                result, model_name=call.model_name, id="chatcmpl-9", created=1
            )
            return httpx.Response(200, json=answer)
        chunks = openai_out.Chunks(
            model_name=call.model_name, id="chatcmpl-9", created=1, include_usage=call.include_usage
        )
        frames = [f for e in events for f in chunks.feed(e)] + chunks.finish(result)
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=b"".join(frames)
        )

    return openai_client(handler)


def anthropic_gateway(upstream: str, sent: list[dict[str, Any]]) -> anthropic.Anthropic:
    provider, case = upstream.split("/")

    def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        try:
            call = messages_call(body, provider=provider, model="m", model_name=body.get("model"))
            sent.append(encode(provider, call.request))
        except Exception as exc:
            err = from_provider_error(exc, spell=anthropic_field)
            return httpx2.Response(err.status, json=anthropic_error(err))
        events, result = recorded(provider, case)
        if not call.stream:
            return httpx2.Response(
                200, json=anthropic_out.message(result, model_name=call.model_name, id="msg_9")
            )
        writer = anthropic_out.Events(model_name=call.model_name, id="msg_9", input_tokens=3)
        frames = [f for e in events for f in writer.feed(e)] + writer.finish(result)
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=b"".join(frames)
        )

    return anthropic_client(handler)


def test_openai_client_streams_tool_calls_from_anthropic() -> None:
    sent: list[dict[str, Any]] = []
    client = openai_gateway("anthropic/stream-tool-use-parallel", sent)
    _, want = recorded("anthropic", "stream-tool-use-parallel")
    with client.chat.completions.stream(
        model="claude",
        messages=[{"role": "user", "content": "Two pelican names"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert "tool_calls.function.arguments.done" in kinds
    calls = final.choices[0].message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        (c.id, c.name, c.arguments) for c in want.tool_calls
    ]
    assert final.choices[0].finish_reason == "tool_calls" and final.model == "claude"
    assert sent[0]["tools"][0]["name"] == "get_weather"  # Anthropic's shape upstream
    assert sent[0]["stream"] is True


def test_openai_client_gets_reasoning_content_from_anthropic_thinking() -> None:
    client = openai_gateway("anthropic/thinking-nonstream", [])
    _, want = recorded("anthropic", "thinking-nonstream")
    answer = client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "hi"}], reasoning_effort="low"
    )
    message = answer.choices[0].message
    assert message.content == want.content
    assert (message.model_extra or {})["reasoning_content"] == want.reasoning
    assert answer.usage is not None and answer.usage.completion_tokens == want.usage.output_tokens


def test_openai_client_streams_usage_last_when_asked() -> None:
    client = openai_gateway("deepseek/reasoner-stream", [])
    _, want = recorded("deepseek", "reasoner-stream")
    chunks = list(
        client.chat.completions.create(
            model="ds",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == (
        want.usage.input_tokens or 0
    ) + (want.usage.output_tokens or 0)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content", "")
        for c in chunks
        if c.choices
    )
    assert (text, reasoning) == (want.content, want.reasoning)


def test_anthropic_client_streams_a_tool_call_from_openai() -> None:
    sent: list[dict[str, Any]] = []
    client = anthropic_gateway("openai/stream-tool-calls", sent)
    _, want = recorded("openai", "stream-tool-calls")
    tools: Any = [
        {
            "name": "get_weather",
            "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}},
        }
    ]
    with client.messages.stream(
        model="gpt", max_tokens=100, messages=[{"role": "user", "content": "Weather?"}], tools=tools
    ) as stream:
        final = stream.get_final_message()
    uses = [(b.id, b.name, b.input) for b in final.content if b.type == "tool_use"]
    assert uses == [(c.id, c.name, c.arguments) for c in want.tool_calls]
    assert final.stop_reason == "tool_use" and final.model == "gpt"
    assert sent[0]["tools"][0]["function"]["name"] == "get_weather"  # OpenAI's shape upstream


def test_anthropic_client_streams_thinking_from_deepseek() -> None:
    client = anthropic_gateway("deepseek/reasoner-stream", [])
    _, want = recorded("deepseek", "reasoner-stream")
    with client.messages.stream(
        model="ds", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == want.content
    assert [b.thinking for b in final.content if b.type == "thinking"] == [want.reasoning]


def test_anthropic_client_gets_a_whole_message_from_ollama() -> None:
    client = anthropic_gateway("ollama/chat-tool-calls", [])
    _, want = recorded("ollama", "chat-tool-calls")
    answer = client.messages.create(
        model="llama", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    )
    assert [(b.name, b.input) for b in answer.content if b.type == "tool_use"] == [
        (c.name, c.arguments) for c in want.tool_calls
    ]


def test_errors_reach_the_sdks_as_their_exceptions() -> None:
    client = openai_gateway("openai/nonstream-text", [])
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], n=3)
    assert caught.value.param == "n"
    # An encoder's refusal names the client's own field.
    claude = anthropic_gateway("anthropic/nonstream-text", [])
    with pytest.raises(anthropic.BadRequestError) as refused:
        claude.messages.create(
            model="x",
            max_tokens=500,
            messages=[{"role": "user", "content": "hi"}],
            thinking={"type": "enabled", "budget_tokens": 1024},
            extra_body={"max_tokens": 500},
        )
    assert "max_tokens" in str(refused.value)


def test_a_failure_mid_stream_raises_in_both_sdks() -> None:
    client = openai_gateway("openrouter/stream-midstream-error", [])
    with pytest.raises(openai.APIError):
        list(
            client.chat.completions.create(
                model="x", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    claude = anthropic_gateway("openrouter/stream-midstream-error", [])
    with (
        pytest.raises(anthropic.APIStatusError),
        claude.messages.stream(
            model="x", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        list(stream)


def test_gateway_error_shapes_parse_as_sdk_errors() -> None:
    err = GatewayError(429, "slow down", "rate_limit")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json=openai_error(err))

    with pytest.raises(openai.RateLimitError) as caught:
        openai_client(handler).chat.completions.create(
            model="x", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.code == "rate_limit_exceeded"


def test_openai_client_replays_signed_thinking_to_anthropic() -> None:
    """LiteLLM's `thinking_blocks` go out with the answer and come back with the next
    turn, so Anthropic gets its signed thinking replayed unchanged."""
    sent: list[dict[str, Any]] = []
    client = openai_gateway("anthropic/stream-thinking", sent)
    _, want = recorded("anthropic", "stream-thinking")
    assert want.reasoning_blocks[0].signature
    with client.chat.completions.stream(
        model="claude", messages=[{"role": "user", "content": "cross?"}]
    ) as stream:
        for _ in stream:
            pass
        snapshot = stream.current_completion_snapshot
    message = snapshot.choices[0].message.model_dump(exclude_none=True)
    blocks = message["thinking_blocks"]
    assert [(b["thinking"], b["signature"]) for b in blocks] == [
        (b.text, b.signature) for b in want.reasoning_blocks
    ]
    replay = {
        k: v
        for k, v in message.items()
        if k in ("role", "content", "thinking_blocks", "reasoning_content")
    }
    client.chat.completions.create(
        model="claude",
        messages=[
            {"role": "user", "content": "cross?"},
            replay,
            {"role": "user", "content": "and rivers?"},
        ],
    )
    first = sent[-1]["messages"][1]["content"][0]
    assert first == {
        "type": "thinking",
        "thinking": want.reasoning_blocks[0].text,
        "signature": want.reasoning_blocks[0].signature,
    }
