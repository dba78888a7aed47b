"""Any well-formed event stream (text, signed and unsigned reasoning, redacted blocks,
tool calls streamed in fragments or arriving whole, in any order) is rebuilt by the
openai and anthropic SDKs' own accumulators exactly as llmcli's Accumulator reads it."""

from __future__ import annotations

import json
from typing import Any

from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import RawMessageStreamEvent
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from pydantic import TypeAdapter

from llmcli.events import (
    Accumulator,
    Event,
    Finish,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStart,
    Usage,
)
from llmcli.gateway import anthropic_out, openai_out

EVENTS: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=6
)


@st.composite
def block(draw: Any, n: int) -> list[Event]:
    kind = draw(st.sampled_from(["text", "thinking", "redacted", "call", "whole_call"]))
    if kind == "text":
        return [TextDelta(t) for t in draw(st.lists(TEXT, min_size=1, max_size=3))]
    if kind == "thinking":
        events: list[Event] = [
            ReasoningDelta(t) for t in draw(st.lists(TEXT, min_size=1, max_size=3))
        ]
        if draw(st.booleans()):
            events.append(ReasoningDelta(signature=draw(TEXT)))
        return events
    if kind == "redacted":
        return [ReasoningDelta(redacted=draw(TEXT))]
    args = {"k": draw(TEXT), "n": draw(st.integers(0, 9))}
    call_id, name = f"call_{n}", f"tool_{n}"
    if kind == "whole_call":
        return [ToolCallDone(call_id, name, args)]
    text = json.dumps(args)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=3)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return [
        ToolCallStart(call_id, name),
        *(ToolCallDelta(call_id, p) for p in pieces),
        ToolCallDone(call_id, name, args),
    ]


@st.composite
def streams(draw: Any) -> list[Event]:
    count = draw(st.integers(1, 5))
    events = [e for i in range(count) for e in draw(block(i))]
    events.append(
        Usage(input_tokens=draw(st.integers(0, 99)), output_tokens=draw(st.integers(0, 99)))
    )
    events.append(
        Finish("tool_calls" if any(isinstance(e, ToolCallDone) for e in events) else "stop")
    )
    return events


def _signed_blocks(result: Any) -> list[tuple[str, str]]:
    return [(b.text, b.signature or "") for b in result.reasoning_blocks if b.redacted is None]


@settings(max_examples=150, deadline=None)
@given(streams())
# Unsigned reasoning on both sides of text; a whole call between text and a streamed call.
@example([ReasoningDelta("a"), TextDelta("x"), ReasoningDelta("b"), Finish("stop")])
@example(
    [
        ReasoningDelta("a"),
        ReasoningDelta(signature="S"),
        ReasoningDelta(redacted="R"),
        TextDelta("x"),
        ToolCallDone("c1", "f", {"a": 1}),
        TextDelta("y"),
        ToolCallStart("c2", "g"),
        ToolCallDelta("c2", '{"b"'),
        ToolCallDelta("c2", ":2}"),
        ToolCallDone("c2", "g", {"b": 2}),
        Finish("tool_calls"),
    ]
)
def test_every_stream_rebuilds_in_both_sdks(events: list[Event]) -> None:
    acc = Accumulator("p", "m")
    for event in events:
        acc.add(event)
    result = acc.finish()

    chunks = openai_out.Chunks(model_name="m", id="c", created=1, include_usage=True)
    state = ChatCompletionStreamState()
    for frame in [f for e in events for f in chunks.feed(e)] + chunks.finish(result):
        data = frame.decode().removeprefix("data: ").strip()
        if data != "[DONE]":
            state.handle_chunk(ChatCompletionChunk.model_validate_json(data))
    message = state.current_completion_snapshot.choices[0].message
    assert (message.content or "") == result.content
    assert getattr(message, "reasoning_content", None) == result.reasoning
    calls = message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        (c.id, c.name, c.arguments) for c in result.tool_calls
    ]

    writer = anthropic_out.Events(model_name="m", id="msg")
    snapshot = None
    bufs: dict[int, bytes] = {}
    for frame in [f for e in events for f in writer.feed(e)] + writer.finish(result):
        data = frame.decode().split("\ndata: ", 1)[1]
        event = EVENTS.validate_json(data)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    assert snapshot is not None
    content = snapshot.content
    assert "".join(b.text for b in content if b.type == "text") == result.content
    # Unsigned reasoning split by text is one block for llmcli and one per run of deltas
    # on the wire: the text and the signatures must agree, not the cut.
    thinking = [b for b in content if b.type == "thinking"]
    assert "".join(b.thinking for b in thinking) == "".join(t for t, _ in _signed_blocks(result))
    assert [b.signature for b in thinking if b.signature] == [
        s for _, s in _signed_blocks(result) if s
    ]
    assert [b.data for b in content if b.type == "redacted_thinking"] == [
        b.redacted for b in result.reasoning_blocks if b.redacted is not None
    ]
    assert [(b.id, b.name, b.input) for b in content if b.type == "tool_use"] == [
        (c.id, c.name, c.arguments) for c in result.tool_calls
    ]
