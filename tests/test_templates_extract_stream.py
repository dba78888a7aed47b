"""-x while streaming: the first code block is printed as soon as its closing fence
arrives, before the answer ends; nothing else is printed after it."""

from __future__ import annotations

import io

import pytest

from llmcli.events import Result, TextDelta
from llmcli.render import ExtractRenderer
from llmcli.templates.extract import Blocks, code_blocks

ANSWER = "Run this:\n```bash\nwc -l *.py\n```\nThen this:\n```\necho two\n```\nbye"


def feed(renderer: ExtractRenderer, text: str, size: int) -> None:
    for start in range(0, len(text), size):
        renderer.event(TextDelta(text[start : start + size]))


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_first_block_printed_when_its_fence_closes(size):
    out = io.StringIO()
    renderer = ExtractRenderer(from_end=False, json_out=False, out=out)
    closed = ANSWER.index("```\nThen") + 4
    feed(renderer, ANSWER[:closed], size)
    assert out.getvalue() == "wc -l *.py\n"  # the answer has not ended yet
    feed(renderer, ANSWER[closed:], size)
    renderer.finish(Result(provider="p", model="m", content=ANSWER))
    renderer.close()
    assert out.getvalue() == "wc -l *.py\n"  # nothing more


def test_not_printed_before_the_closing_fence():
    out = io.StringIO()
    renderer = ExtractRenderer(from_end=False, json_out=False, out=out)
    feed(renderer, "```bash\nrm -rf build\n``", 1)  # the closing fence is not whole yet
    assert out.getvalue() == ""


def test_a_closing_fence_ending_the_answer_without_newline():
    out = io.StringIO()
    renderer = ExtractRenderer(from_end=False, json_out=False, out=out)
    text = "x\r\n```\r\nls\r\n```"
    feed(renderer, text, 2)
    assert out.getvalue() == ""
    renderer.finish(Result(provider="p", model="m", content=text))
    renderer.close()
    assert out.getvalue() == "ls\n"


def test_extract_last_waits_for_the_end():
    out = io.StringIO()
    renderer = ExtractRenderer(from_end=True, json_out=False, out=out)
    feed(renderer, ANSWER, 5)
    assert out.getvalue() == ""
    renderer.finish(Result(provider="p", model="m", content=ANSWER))
    renderer.close()
    assert out.getvalue() == "echo two\n"


@pytest.mark.parametrize("size", [1, 2, 5])
def test_blocks_found_piecewise_match_the_whole(size):
    blocks = Blocks()
    found = []
    for start in range(0, len(ANSWER), size):
        found += blocks.feed(ANSWER[start : start + size])
    assert [*found, *blocks.end()] == code_blocks(ANSWER) == ["wc -l *.py", "echo two"]
