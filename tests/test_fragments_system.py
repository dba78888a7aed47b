"""--sf on its own, and `--sf -` (stdin as the system fragment, not the prompt)."""

from __future__ import annotations

from tests.samples import openai_reply

MODEL = ("-m", "openai/gpt-4o-mini")


def test_a_system_fragment_alone_reaches_the_system_prompt(llmcli, server, tmp_path):
    doc = tmp_path / "rules.md"
    doc.write_text("be terse\n")
    server.queue(openai_reply())
    run = llmcli("complete", *MODEL, "--api-base", server.url, "--sf", str(doc), "hi")
    assert run.code == 0, run.stderr
    first, last = server.requests[-1].json["messages"]
    assert first == {"role": "system", "content": f"{doc}\n```\nbe terse\n```"}
    assert last == {"role": "user", "content": "hi"}


def test_stdin_as_a_system_fragment_is_not_the_prompt(llmcli, server):
    server.queue(openai_reply())
    run = llmcli(
        "complete", *MODEL, "--api-base", server.url, "--sf", "-", "hi", input="be terse\n"
    )
    assert run.code == 0, run.stderr
    first, last = server.requests[-1].json["messages"]
    assert first == {"role": "system", "content": "stdin\n```\nbe terse\n```"}
    assert last == {"role": "user", "content": "hi"}
