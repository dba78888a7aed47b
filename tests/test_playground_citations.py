"""Anthropic document citations through the gateway's OpenAI stream and onto the page.

OpenAI's chat format has no document citation: `annotations` holds `url_citation` only, and
openai-python's message type rejects any other kind (checked below), so the gateway sends each
one where LiteLLM's proxy does, in a delta's `provider_specific_fields.citation`. The frames
come from the gateway's own encoder, fed by the Anthropic decoder's citation event."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pydantic
import pytest
from openai.lib.streaming.chat._completions import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from playwright.sync_api import Page, Route, expect

from llmcli.events import Result, TextDelta
from llmcli.gateway import openai_out
from llmcli.providers.anthropic.answers import citation_event
from tests.test_playground_markdown import site  # noqa: F401  (the page fixture's browser)

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/bin/chromium"),
    reason="no Chromium: the browser tests need Debian's `apt-get install -y chromium`",
)

# Anthropic's `char_location` citation as its Messages API streams it in `citations_delta`
# (docs.anthropic.com, "Citations"; the same example in LiteLLM's PR #8382).
CITED = {
    "type": "char_location",
    "cited_text": "The sky is blue.",
    "document_index": 0,
    "document_title": "My Document",
    "start_char_index": 20,
    "end_char_index": 36,
}


def _frames() -> list[bytes]:
    chunks = openai_out.Chunks(model_name="claude", id="c1", created=1, include_usage=False)
    events = [TextDelta("The grass is green."), citation_event(CITED), TextDelta(" And blue.")]
    result = Result("anthropic", "claude", content="The grass is green. And blue.")
    result.citations.append(citation_event(CITED))
    return [f for e in events for f in chunks.feed(e)] + chunks.finish(result)


def _datas(frames: list[bytes]) -> Iterator[str]:
    for frame in frames:
        data = frame.decode().removeprefix("data: ").strip()
        if data != "[DONE]":
            yield data


def test_document_citations_go_out_where_openai_clients_tolerate_them() -> None:
    state = ChatCompletionStreamState()
    sent = []
    for data in _datas(_frames()):
        chunk = ChatCompletionChunk.model_validate_json(data)  # openai's own type
        state.handle_chunk(chunk)
        sent.append(json.loads(data)["choices"][0]["delta"])
    fields = [
        d["provider_specific_fields"]["citation"] for d in sent if "provider_specific_fields" in d
    ]
    assert fields == [CITED]
    assert not any("annotations" in d for d in sent)  # no url_citation to give
    message = state.get_final_completion().choices[0].message
    assert message.content == "The grass is green. And blue."
    # Why not `annotations`: openai-python rejects a message with another kind there.
    body = {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "x", "annotations": [CITED]},
            }
        ],
    }
    with pytest.raises(pydantic.ValidationError):
        ChatCompletion.model_validate(body)


def test_the_playground_lists_document_citations(site: tuple[Page, str]) -> None:  # noqa: F811
    page, url = site
    body = b"".join(_frames())

    def answer(route: Route) -> None:
        route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=body)

    models = json.dumps({"object": "list", "data": [{"id": "claude"}]})
    page.route("**/v1/models", lambda r: r.fulfill(status=200, body=models))
    page.route("**/v1/chat/completions", answer)
    try:
        page.goto(url + "/")
        page.evaluate("localStorage.clear()")
        page.reload()
        expect(page.locator("#model option")).to_have_count(1)
        page.fill("#prompt", "what colour?")
        page.press("#prompt", "Enter")
        cited = page.locator(".msg.assistant .citations li")
        expect(cited).to_have_count(1)
        expect(cited.locator("cite")).to_have_text("My Document")
        expect(cited.locator("q")).to_have_text("The sky is blue.")
        expect(page.locator(".msg.assistant > .md")).to_contain_text(
            "The grass is green. And blue."
        )
    finally:
        page.unroute("**/v1/models")
        page.unroute("**/v1/chat/completions")
        page.evaluate("localStorage.clear()")
