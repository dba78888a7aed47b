"""Shared checks for the OpenAI-shaped providers (openai, deepseek, openrouter).

A test replays one recorded response (tests/fixtures) from the loopback server,
runs `llmcli complete --json` against it, and checks both the JSON object printed
and the request the server received. Expected values are written in the tests as
literals read from the recordings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Run
from tests.servers import Received, ReplayServer, Reply, load_case

PROMPT = "Tell me something."
# In a `sent` table: this key must not be in the request body.
ABSENT = object()

Cli = Callable[..., Run]


@dataclass(frozen=True)
class Api:
    """One provider as these tests see it."""

    name: str  # the -m prefix and the fixtures folder
    base_path: str  # the path of the provider's real base URL (the recordings' paths start so)
    key: str  # the fake key conftest puts in the environment
    always: dict[str, Any] = field(default_factory=dict)  # body fields every request carries


@dataclass(frozen=True)
class Long:
    """A long text, checked by its exact start, exact end and length."""

    start: str
    end: str
    length: int


@dataclass(frozen=True)
class Answer:
    content: str | Long
    finish_reason: str
    usage: dict[str, Any]
    model: str  # as the provider reported it
    reasoning: str | Long | None = None
    tool_calls: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Row:
    """A recorded case: the flags that match its request, what must be sent, what must come out."""

    case: str
    model: str  # the provider's model id (without the -m prefix)
    answer: Answer
    flags: tuple[str, ...] = ()
    sent: dict[str, Any] = field(default_factory=dict)


def usage(
    input: int | None,
    output: int | None,
    reasoning: int | None = None,
    cache_read: int | None = None,
    cache_write: int | None = None,
    cost: float | None = None,
) -> dict[str, Any]:
    return {
        "input_tokens": input,
        "output_tokens": output,
        "reasoning_tokens": reasoning,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "cost": cost,
    }


NO_USAGE = usage(None, None)


def call(id: str, name: str, arguments: Any) -> dict[str, Any]:
    return {"id": id, "name": name, "arguments": arguments}


def send(
    server: ReplayServer,
    llmcli: Cli,
    api: Api,
    reply: Reply,
    model: str,
    *flags: str,
    env: dict[str, str] | None = None,
) -> tuple[Run, Received]:
    """Run one `llmcli complete --json` against `reply`; the key must never be printed."""
    server.queue(reply)
    run = llmcli(
        "complete",
        "--api-base",
        server.url + api.base_path,
        "-m",
        f"{api.name}/{model}",
        *flags,
        "--json",
        PROMPT,
        env=env,
    )
    assert api.key not in run.stdout + run.stderr
    assert len(server.requests) == 1, "one request, no retry"
    return run, server.requests[0]


def replay(server: ReplayServer, llmcli: Cli, api: Api, row: Row) -> Run:
    """Replay a recorded case (`--no-stream` for JSON bodies) and check the request sent."""
    case = load_case(api.name, row.case)
    stream = case.meta["response_file"] == "response.sse"
    flags = row.flags if stream else (*row.flags, "--no-stream")
    run, received = send(server, llmcli, api, case.reply(), row.model, *flags)
    check_request(received, api, row.model, stream=stream, sent=row.sent)
    return run


def check_request(
    received: Received,
    api: Api,
    model: str,
    *,
    stream: bool,
    sent: dict[str, Any],
    endpoint: str = "/chat/completions",
) -> dict[str, Any]:
    assert received.method == "POST"
    assert received.path == api.base_path + endpoint
    assert received.headers["authorization"] == f"Bearer {api.key}"
    assert received.headers["content-type"] == "application/json"
    body: dict[str, Any] = received.json
    assert body["model"] == model
    assert body["stream"] is stream
    assert body.get("stream_options") == ({"include_usage": True} if stream else None)
    if endpoint == "/chat/completions":
        assert body["messages"][-1] == {"role": "user", "content": PROMPT}
    check_body(body, {**api.always, **sent})
    return body


def check_body(body: dict[str, Any], sent: dict[str, Any]) -> None:
    for key, value in sent.items():
        if value is ABSENT:
            assert key not in body, key
        else:
            assert body.get(key) == value, key


def check_answer(run: Run, expected: Answer, *, code: int = 0) -> None:
    assert run.code == code, run.stderr
    out = run.json
    check_text(out["content"], expected.content)
    check_text(out["reasoning"], expected.reasoning)
    assert out["tool_calls"] == list(expected.tool_calls)
    assert out["finish_reason"] == expected.finish_reason
    assert out["usage"] == expected.usage
    assert out["model"] == expected.model


def check_text(actual: str | None, expected: str | Long | None) -> None:
    if isinstance(expected, Long):
        assert actual is not None
        assert actual.startswith(expected.start), actual[: len(expected.start)]
        assert actual.endswith(expected.end), actual[-len(expected.end) :]
        assert len(actual) == expected.length
    else:
        assert actual == expected


def check_error(run: Run, line: str) -> None:
    """An HTTP error: exit 1, nothing on stdout, exactly one line on stderr."""
    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr == f"llmcli: {line}\n"


def sse(*events: str) -> bytes:
    """An SSE body from `data:` payloads (for the few bodies built from documentation)."""
    return b"".join(f"data: {event}\n\n".encode() for event in events)
