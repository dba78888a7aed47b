"""Which stop sequence ended an answer: the Anthropic decoder reads it (corpus
anthropic/stop-sequences-prefill), it rides on `Finish`, and the gateway reports it in
Anthropic's shape (`stop_reason: "stop_sequence"` + `stop_sequence`) and as OpenAI's
`finish_reason: "stop"`; other providers do not say which one matched."""

from __future__ import annotations

import json
from typing import Any

from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message

from llmcli.events import Accumulator, Finish, Result
from llmcli.gateway import anthropic_out, openai_out
from tests.serve_inproc import home  # noqa: F401 (a fixture: LLMCLI_HOME, settings cleared)
from tests.test_gateway_out import EVENTS, decoded, openai_chunks

CASE = "anthropic/stop-sequences-prefill"
FENCE = "```"  # what the recorded request stopped on


def test_the_anthropic_stream_says_which_sequence_matched() -> None:
    events, result = decoded(CASE)
    finish = [e for e in events if isinstance(e, Finish)]
    assert [(f.reason, f.stop_sequence) for f in finish] == [("stop", FENCE)]
    assert (result.finish_reason, result.stop_sequence) == ("stop", FENCE)


def test_a_whole_anthropic_message_says_it_too() -> None:
    from llmcli.providers.anthropic import answers

    body = {
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": "x = 1\n"}],
        "stop_reason": "stop_sequence",
        "stop_sequence": FENCE,
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    finish = [e for e in answers.decode(json.dumps(body).encode()) if isinstance(e, Finish)]
    assert [(f.reason, f.stop_sequence) for f in finish] == [("stop", FENCE)]
    ended = {**body, "stop_reason": "end_turn", "stop_sequence": None}
    finish = [e for e in answers.decode(json.dumps(ended).encode()) if isinstance(e, Finish)]
    assert [(f.reason, f.stop_sequence) for f in finish] == [("stop", None)]


def test_anthropic_clients_get_stop_sequence() -> None:
    events, result = decoded(CASE)
    whole = anthropic_out.message(result, model_name="alias", id="msg_1")
    assert (whole["stop_reason"], whole["stop_sequence"]) == ("stop_sequence", FENCE)
    Message.model_validate(whole)
    writer = anthropic_out.Events(model_name="alias", id="msg_1", input_tokens=5)
    frames = [f for e in events for f in writer.feed(e)] + writer.finish(result)
    snapshot: Any = None
    bufs: dict[int, bytes] = {}
    for frame in frames:
        parsed = json.loads(frame.decode().rstrip("\n").split("\n")[1].removeprefix("data: "))
        event = EVENTS.validate_python(parsed)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    assert (snapshot.stop_reason, snapshot.stop_sequence) == ("stop_sequence", FENCE)


def test_openai_clients_get_stop() -> None:
    events, result = decoded(CASE)
    assert (
        openai_out.completion(result, model_name="a", id="c", created=1)["choices"][0][
            "finish_reason"
        ]
        == "stop"
    )
    chunks = [f for f in openai_chunks(events, result) if f.startswith(b"data: {")]
    reasons = [c["finish_reason"] for f in chunks for c in json.loads(f[6:])["choices"]]
    assert [r for r in reasons if r] == ["stop"]


def test_other_providers_end_their_turn() -> None:
    acc = Accumulator("openai", "m")
    acc.add(Finish("stop"))
    result: Result = acc.finish()
    whole = anthropic_out.message(result, model_name="alias", id="msg_1")
    assert (whole["stop_reason"], whole["stop_sequence"]) == ("end_turn", None)


def test_through_the_server(home: Any) -> None:  # noqa: F811 (the fixture)
    """An Anthropic upstream's stop sequence reaches a streaming /v1/messages client and
    an OpenAI client (the gateway in this process, a replay upstream)."""
    import httpx

    from tests.serve_inproc import gateway
    from tests.servers import ReplayServer, load_case

    upstream = ReplayServer().start()
    upstream.queue(load_case("anthropic", "stop-sequences-prefill").reply())
    body = {
        "model": "claude",
        "max_tokens": 100,
        "stream": True,
        "stop_sequences": [FENCE],
        "messages": [{"role": "user", "content": "code"}],
    }
    try:
        models = {"claude": "anthropic/claude-haiku-4-5"}
        with gateway(home, models, upstream.url, record=False) as (url, _):
            sse = httpx.post(url + "/v1/messages", json=body).text
            chat = {"model": "claude", "stream": True, "messages": body["messages"]}
            chunks = httpx.post(url + "/v1/chat/completions", json=chat).text
    finally:
        upstream.stop()
    deltas = [json.loads(x[6:]) for x in sse.splitlines() if '"message_delta"' in x]
    assert [d["delta"] for d in deltas] == [
        {"stop_reason": "stop_sequence", "stop_sequence": FENCE}
    ]
    assert '"finish_reason":"stop"' in chunks.replace(" ", "")
