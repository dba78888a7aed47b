"""Recorded answers from every provider, decoded by llmcli's own decoders, written back
in OpenAI and Anthropic shape and read by the official SDKs' types and accumulators."""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter

from llmcli.events import Accumulator, Event, Result, StreamError
from llmcli.framing import frames_of
from llmcli.gateway import anthropic_out, openai_out
from llmcli.gateway.errors import GatewayError
from llmcli.providers import PROVIDERS, base
from tests.servers import FIXTURES, load_case

STREAMS = [
    f"{p.parent.parent.name}/{p.parent.name}"
    for p in sorted(FIXTURES.glob("*/*/response.*"))
    if p.suffix in (".sse", ".ndjson") and p.parent.name != "generate-stream"
]
# Non-streamed chat answers (status 200) of the five providers.
WHOLE = [
    f"{p.parent.parent.name}/{p.parent.name}"
    for p in sorted(FIXTURES.glob("*/*/response.json"))
    if json.loads((p.parent / "meta.json").read_text()).get("status", 200) == 200
    and not any(w in p.parent.name for w in ("embed", "images", "models", "generate"))
]
EVENTS: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)


def decoded(case_id: str) -> tuple[list[Event], Result]:
    provider, name = case_id.split("/")
    case = load_case(provider, name)
    module = base.load(PROVIDERS[provider])
    suffix = case.meta["response_file"].rsplit(".", 1)[-1]
    if suffix == "json":
        events = list(module.decode(case.response))
    else:
        events = list(
            module.decode_stream(frames_of(case.response, "sse" if suffix == "sse" else "ndjson"))
        )
    acc = Accumulator(provider, "m")
    for event in events:
        acc.add(event)
    return events, acc.finish()


def openai_chunks(events: list[Event], result: Result, include_usage: bool = True) -> list[bytes]:
    chunks = openai_out.Chunks(
        model_name="alias", id="chatcmpl-1", created=7, include_usage=include_usage
    )
    frames = [f for e in events for f in chunks.feed(e)]
    return frames + chunks.finish(result)


def data_of(frames: list[bytes]) -> list[str]:
    out = []
    for frame in frames:
        assert frame.endswith(b"\n\n") and frame.count(b"\n\n") == 1, frame
        lines = frame.decode().strip().split("\n")
        assert lines[-1].startswith("data: ")
        out.append(lines[-1][6:])
    return out


def arguments(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.parametrize("case_id", STREAMS + WHOLE)
def test_openai_chunks_rebuild_the_answer(case_id: str) -> None:
    events, result = decoded(case_id)
    if result.error:  # covered by test_stream_error_ends_both_streams
        return
    datas = data_of(openai_chunks(events, result))
    assert datas[-1] == "[DONE]"
    chunks = [ChatCompletionChunk.model_validate(json.loads(d)) for d in datas[:-1]]
    assert all(c.id == "chatcmpl-1" and c.model == "alias" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert sum(1 for c in chunks for ch in c.choices if ch.delta.role) == 1
    # The usage chunk comes last, with no choices.
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == (result.usage.input_tokens or 0)
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(chunk)
    # The snapshot, not get_final_completion: that one raises on finish_reason "length".
    final = state.current_completion_snapshot
    message = final.choices[0].message
    assert (message.content or "") == result.content
    assert getattr(message, "reasoning_content", None) == result.reasoning
    calls = message.tool_calls or []
    assert [(c.id, c.function.name) for c in calls] == [(c.id, c.name) for c in result.tool_calls]
    for got, want in zip(calls, result.tool_calls, strict=True):
        assert arguments(got.function.arguments) == want.arguments
    assert final.choices[0].finish_reason == openai_out.finish_reason(result)


@pytest.mark.parametrize("case_id", STREAMS + WHOLE)
def test_anthropic_events_rebuild_the_answer(case_id: str) -> None:
    events, result = decoded(case_id)
    if result.error:
        return
    writer = anthropic_out.Events(model_name="alias", id="msg_1", input_tokens=5)
    frames = [f for e in events for f in writer.feed(e)] + writer.finish(result)
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for frame in frames:
        head, data = frame.decode().rstrip("\n").split("\n")
        parsed = json.loads(data.removeprefix("data: "))
        assert head == f"event: {parsed['type']}"
        event = EVENTS.validate_python(parsed)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    assert snapshot is not None
    message = Message.model_validate(snapshot.model_dump())
    assert message.id == "msg_1" and message.model == "alias"
    text = "".join(b.text for b in message.content if b.type == "text")
    assert text == result.content
    thinking = [(b.thinking, b.signature) for b in message.content if b.type == "thinking"]
    want = [(b.text, b.signature or "") for b in result.reasoning_blocks if b.redacted is None]
    assert thinking == want
    redacted = [b.data for b in message.content if b.type == "redacted_thinking"]
    assert redacted == [b.redacted for b in result.reasoning_blocks if b.redacted is not None]
    uses = [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert uses == [
        (c.id, c.name, anthropic_out.tool_input(c.arguments)) for c in result.tool_calls
    ]
    assert message.stop_reason == anthropic_out.stop_reason(result)
    assert message.usage.output_tokens == (result.usage.output_tokens or 0)


@pytest.mark.parametrize("case_id", WHOLE + STREAMS)
def test_whole_answers_validate(case_id: str) -> None:
    _, result = decoded(case_id)
    body = openai_out.completion(result, model_name="alias", id="chatcmpl-1", created=7)
    completion = ChatCompletion.model_validate(body)
    assert (completion.choices[0].message.content or "") == result.content
    assert len(completion.choices[0].message.tool_calls or []) == len(result.tool_calls)
    message = Message.model_validate(anthropic_out.message(result, model_name="alias", id="msg_1"))
    assert "".join(b.text for b in message.content if b.type == "text") == result.content
    assert message.stop_reason is not None


def test_no_usage_chunk_unless_asked() -> None:
    events, result = decoded("openai/stream-text-usage")
    datas = data_of(openai_chunks(events, result, include_usage=False))
    parsed = [json.loads(d) for d in datas[:-1]]
    assert all("usage" not in p and p["choices"] for p in parsed)
    assert parsed[-1]["choices"][0]["finish_reason"] == "stop"


def test_tool_call_deltas_name_each_call_once_in_order() -> None:
    events, result = decoded("anthropic/stream-tool-use-parallel")
    assert len(result.tool_calls) >= 2
    parsed = [json.loads(d) for d in data_of(openai_chunks(events, result))[:-1]]
    deltas = [tc for p in parsed for ch in p["choices"] for tc in ch["delta"].get("tool_calls", [])]
    firsts = [d for d in deltas if "id" in d]
    assert [d["index"] for d in firsts] == list(range(len(result.tool_calls)))
    assert all(d["type"] == "function" and d["function"]["arguments"] == "" for d in firsts)
    assert all(
        set(d) == {"index", "function"} and set(d["function"]) == {"arguments"}
        for d in deltas
        if "id" not in d
    )


def test_usage_maps_cache_and_reasoning() -> None:
    from llmcli.events import Usage

    u = Usage(
        input_tokens=100,
        output_tokens=20,
        reasoning_tokens=5,
        cache_read_tokens=60,
        cache_write_tokens=10,
    )
    assert openai_out.usage(u) == {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 60},
        "completion_tokens_details": {"reasoning_tokens": 5},
    }
    assert anthropic_out.usage(u) == {
        "input_tokens": 30,
        "output_tokens": 20,
        "cache_creation_input_tokens": 10,
        "cache_read_input_tokens": 60,
    }


def test_stream_error_ends_both_streams() -> None:
    events, _ = decoded("openrouter/stream-midstream-error")
    assert any(isinstance(e, StreamError) for e in events)
    chunks = openai_out.Chunks(model_name="m", id="c", created=1, include_usage=True)
    frames = [f for e in events for f in chunks.feed(e)]
    assert frames[-1] == b"data: [DONE]\n\n"
    error = json.loads(data_of(frames)[-2])["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert chunks.finish(Result("p", "m")) == []  # nothing after the end
    writer = anthropic_out.Events(model_name="m", id="msg")
    frames = [f for e in events for f in writer.feed(e)]
    assert frames[-1].startswith(b"event: error\ndata: ")
    assert json.loads(frames[-1].split(b"data: ", 1)[1])["type"] == "error"


def test_fail_frames() -> None:
    err = GatewayError(429, "slow down", "rate_limit")
    chunks = openai_out.Chunks(model_name="m", id="c", created=1, include_usage=False)
    frames = chunks.fail(err)
    assert json.loads(data_of(frames)[0]) == {
        "error": {
            "message": "slow down",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    writer = anthropic_out.Events(model_name="m", id="msg")
    body = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
    assert writer.fail(err) == [b"event: error\ndata: " + body + b"\n\n"]


def test_citations_become_url_annotations() -> None:
    _, result = decoded("anthropic/stream-web-search-citations")
    assert result.citations
    body = openai_out.completion(result, model_name="m", id="c", created=1)
    notes = ChatCompletion.model_validate(body).choices[0].message.annotations or []
    assert notes and all(n.url_citation.url.startswith("http") for n in notes)


def test_finish_reasons() -> None:
    from llmcli.events import ToolCallDone

    call = ToolCallDone("c", "f", {})
    cases = [
        ("stop", [], "stop", "end_turn"),
        ("stop", [call], "tool_calls", "tool_use"),  # Ollama's tool turn ends with "stop"
        ("length", [call], "length", "max_tokens"),  # a cut-off call stays cut off
        ("content_filter", [], "content_filter", "refusal"),
        ("pause_turn", [], "stop", "pause_turn"),  # Anthropic's own reason, kept there
        ("load", [], "stop", "end_turn"),
        (None, [], "stop", "end_turn"),
    ]
    for reason, calls, openai_reason, anthropic_reason in cases:
        result = Result("p", "m", tool_calls=list(calls), finish_reason=reason)
        assert openai_out.finish_reason(result) == openai_reason, reason
        assert anthropic_out.stop_reason(result) == anthropic_reason, reason


def test_document_citations_reach_anthropic_clients() -> None:
    from llmcli.events import Citation, Finish, TextDelta

    cited = Citation(
        "char_location",
        cited_text="The sky is blue.",
        title="Doc",
        document_index=0,
        start=0,
        end=16,
    )
    # A web citation from a provider that gives no encrypted_index cannot be sent back to
    # Anthropic in a later turn: it stays out of this format.
    web = Citation("web_search_result_location", cited_text="x", url="https://example.com")
    events: list[Event] = [TextDelta("Blue."), cited, web, Finish("stop")]
    acc = Accumulator("anthropic", "m")
    for event in events:
        acc.add(event)
    result = acc.finish()
    message = Message.model_validate(anthropic_out.message(result, model_name="m", id="msg"))
    block = message.content[0]
    assert block.type == "text" and block.citations is not None
    assert [(c.type, c.cited_text) for c in block.citations] == [
        ("char_location", "The sky is blue.")
    ]
    writer = anthropic_out.Events(model_name="m", id="msg")
    snapshot = None
    bufs: dict[int, bytes] = {}
    for frame in [f for e in events for f in writer.feed(e)] + writer.finish(result):
        event = EVENTS.validate_json(frame.decode().split("\ndata: ", 1)[1])
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    assert snapshot is not None
    streamed = snapshot.content[0]
    assert streamed.type == "text" and [c.type for c in streamed.citations or []] == [
        "char_location"
    ]


def test_recorded_web_citations_reach_anthropic_clients_whole_and_streamed() -> None:
    events, result = decoded("anthropic/stream-web-search-citations")
    recorded = [c for c in result.citations if c.encrypted_index]
    assert recorded and len(recorded) == len(result.citations)
    expected = [(c.url, c.encrypted_index, c.cited_text or "") for c in recorded]
    message = Message.model_validate(anthropic_out.message(result, model_name="m", id="msg"))
    whole = [c for b in message.content if b.type == "text" for c in b.citations or []]
    assert [(c.url, c.encrypted_index, c.cited_text) for c in whole] == expected  # type: ignore[union-attr]
    writer = anthropic_out.Events(model_name="m", id="msg")
    snapshot = None
    bufs: dict[int, bytes] = {}
    for frame in [f for e in events for f in writer.feed(e)] + writer.finish(result):
        event = EVENTS.validate_json(frame.decode().split("\ndata: ", 1)[1])
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    assert snapshot is not None
    streamed = [c for b in snapshot.content if b.type == "text" for c in b.citations or []]
    assert {c.type for c in streamed} == {"web_search_result_location"}
    assert [(c.url, c.encrypted_index) for c in streamed] == [(u, i) for u, i, _ in expected]  # type: ignore[union-attr]
