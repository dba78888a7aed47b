"""-x/--extract and --extract-last: zero, one and several code blocks, streamed and not."""

from __future__ import annotations

import json

import pytest

from llmcli.templates.extract import code_blocks
from tests.samples import openai_reply

MODEL = ("-m", "openai/gpt-4o-mini")
TWO = "Here:\n```bash\necho one\n```\nand\n~~~\necho two\n~~~\ndone"


@pytest.mark.parametrize("stream", [True, False])
def test_first_block_only(llmcli, server, stream):
    server.queue(openai_reply(TWO, stream=stream))
    flag = "--stream" if stream else "--no-stream"
    run = llmcli("complete", *MODEL, "--api-base", server.url, flag, "-x", "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "echo one\n"


@pytest.mark.parametrize("stream", [True, False])
def test_last_block(llmcli, server, stream):
    server.queue(openai_reply(TWO, stream=stream))
    flag = "--stream" if stream else "--no-stream"
    run = llmcli("complete", *MODEL, "--api-base", server.url, flag, "--extract-last", "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "echo two\n"


def test_one_block_in_one_answer(llmcli, server):
    server.queue(openai_reply("Try:\n```python\nprint(1)\nprint(2)\n```\n"))
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-x", "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "print(1)\nprint(2)\n"


def test_no_block_prints_everything_with_a_note(llmcli, server):
    server.queue(openai_reply("just prose"))
    run = llmcli("complete", *MODEL, "--api-base", server.url, "-x", "hi")
    assert run.code == 0
    assert run.stdout == "just prose\n"
    assert "no code block" in run.stderr


def test_json_gains_extracted(llmcli, server):
    server.queue(openai_reply(TWO))
    run = llmcli("complete", *MODEL, "--api-base", server.url, "--json", "-x", "hi")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["extracted"] == "echo one"
    assert data["content"] == TWO


def test_nested_longer_fence_and_unclosed_block():
    text = "````md\n```py\nx\n```\n````\n```\nnever closed"
    assert code_blocks(text) == ["```py\nx\n```"]
