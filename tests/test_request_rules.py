"""The request's plain dataclasses: checked once where values come in (request_rules.check),
and written to and read back from the history's JSON (dump, parse_message)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from llmcli.request import (
    AttachmentPart,
    Message,
    ReasoningPart,
    Request,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
    changed,
    dump,
    parse_message,
    parse_part,
    user_message,
)
from llmcli.request_rules import InvalidField, check

REQ = Request(provider="openai", model="m", messages=[user_message("hi")])


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("temperature", 2.5, "must be a number from 0 to 2"),
        ("temperature", float("nan"), "must be a number from 0 to 2"),
        ("temperature", "0.5", "must be a number from 0 to 2"),  # not coerced
        ("top_p", -0.1, "must be a number from 0 to 1"),
        ("top_k", 0, "must be a whole number of at least 1"),
        ("top_k", True, "must be a whole number of at least 1"),  # a bool is no number
        ("max_tokens", 2.0, "must be a whole number of at least 1"),
        ("thinking_budget", 0, "must be a whole number of at least 1"),
        ("web_search_max_uses", -1, "must be a whole number of at least 1"),
        ("cache_ttl", "2h", "must be one of 5m, 1h"),
        ("reasoning_effort", "max", "must be one of none, low, medium, high"),
        ("system", 5, "must be a string"),
        ("thinking", "yes", "must be true or false"),
        ("stop", ["a", 3], "must be a list of strings"),
        ("options", [], "must be an object"),
        ("tools", [{"name": "x"}], "must be a list of Tools"),
        ("response_format", {"type": "json_object"}, "must be a ResponseFormat"),
        ("messages", [{"role": "user"}], "must be a list of Messages"),
    ],
)
def test_check_refuses_a_value_its_field_does_not_take(field: str, value: Any, rule: str) -> None:
    with pytest.raises(InvalidField) as refused:
        check(changed(REQ, **{field: value}))
    assert (refused.value.name, refused.value.rule) == (field, rule)
    assert refused.value.value is value


def test_check_passes_every_value_a_field_takes() -> None:
    full = changed(
        REQ,
        temperature=1,  # a whole number is a number
        top_p=1.0,
        top_k=1,
        max_tokens=1,
        thinking_budget=1024,
        reasoning_effort="none",
        cache_ttl="1h",
        stop=["x"],
        tools=[Tool(name="t")],
        response_format=ResponseFormat(type="json_object"),
        options={"seed": 1},
        system="s",
    )
    assert check(full) is full
    assert check(REQ) is REQ  # every optional field unset


PARTS = [
    TextPart(text="hello"),
    ReasoningPart(text="hmm", signature="sig"),
    ReasoningPart(redacted="opaque"),
    ToolCallPart(id="c1", name="f", arguments={"a": None, "b": [1]}),
    ToolResultPart(
        tool_call_id="c1",
        name="f",
        content="done",
        images=[AttachmentPart(mime="image/png", data="AAAA")],
        server="git",
    ),
    AttachmentPart(mime="application/pdf", url="https://example.com/a.pdf", name="a.pdf"),
]


def test_dump_leaves_out_unset_fields_but_keeps_none_inside_values() -> None:
    assert dump(TextPart(text="x")) == {"type": "text", "text": "x"}
    call = dump(PARTS[3])
    assert call == {
        "type": "tool_call",
        "id": "c1",
        "name": "f",
        "arguments": {"a": None, "b": [1]},
    }
    assert call["arguments"] is not PARTS[3].arguments  # a copy: the part stays as it was


def test_parts_survive_the_history_round_trip() -> None:
    stored = json.loads(json.dumps(dump(Message(role="assistant", parts=PARTS))))
    assert parse_message(stored["role"], stored["parts"]) == Message(role="assistant", parts=PARTS)
    assert isinstance(parse_part(stored["parts"][4]).images[0], AttachmentPart)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data",
    [
        {"type": "video", "url": "x"},
        {"type": "text", "text": "x", "colour": "red"},
        {"type": "text"},
    ],
)
def test_a_damaged_stored_part_is_a_value_error(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="part"):
        parse_part(data)


def test_parts_are_frozen_and_changed_makes_a_copy() -> None:
    part = TextPart(text="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        part.text = "b"  # type: ignore[misc]
    assert changed(part, text="b") == TextPart(text="b") and part.text == "a"
