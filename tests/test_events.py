"""The event vocabulary's own logic: accumulating a Result and summing usage."""

from __future__ import annotations

from llmcli.events import Accumulator, Finish, ReasoningDelta, StreamError, TextDelta, Usage


def test_text_is_joined_in_order_even_past_the_compaction_threshold():
    acc = Accumulator("openai", "m")
    for i in range(1500):
        acc.add(TextDelta(f"{i},"))
    assert acc.finish().content == "".join(f"{i}," for i in range(1500))


def test_a_signature_closes_a_reasoning_block_and_redacted_blocks_stand_alone():
    acc = Accumulator("anthropic", "m")
    for event in (
        ReasoningDelta("first "),
        ReasoningDelta("block"),
        ReasoningDelta("", signature="sig-1"),
        ReasoningDelta(redacted="opaque"),
        ReasoningDelta("second"),
        ReasoningDelta("", signature="sig-2"),
        TextDelta("answer"),
        Finish("stop", model="claude-x"),
    ):
        acc.add(event)
    result = acc.finish()
    blocks = [(b.text, b.signature, b.redacted) for b in result.reasoning_blocks]
    assert blocks == [
        ("first block", "sig-1", None),
        ("", None, "opaque"),
        ("second", "sig-2", None),
    ]
    assert (result.reasoning, result.content, result.model) == (
        "first blocksecond",
        "answer",
        "claude-x",
    )


def test_a_stream_error_wins_over_a_later_finish():
    acc = Accumulator("openrouter", "m")
    acc.add(StreamError("openrouter 400: Token limit reached"))
    acc.add(Finish("length"))
    result = acc.finish()
    assert (result.finish_reason, result.error) == ("error", "openrouter 400: Token limit reached")


def test_usage_add_sums_what_was_reported():
    total = Usage()
    total.add(Usage(input_tokens=10, output_tokens=5, cost=0.5))
    total.add(Usage(input_tokens=3, output_tokens=2, reasoning_tokens=1))
    assert total.as_dict() == {
        "input_tokens": 13,
        "output_tokens": 7,
        "reasoning_tokens": 1,
        "cache_read_tokens": None,
        "cache_write_tokens": None,
        "cost": 0.5,
    }
