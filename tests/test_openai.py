"""OpenAI Chat Completions (and legacy completions) through the CLI, against recorded traffic.

Each recorded case in tests/fixtures/openai is replayed from a loopback server;
expected values are literals read from the recordings.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import FAKE_KEYS
from tests.provider_helpers import (
    ABSENT,
    NO_USAGE,
    PROMPT,
    Answer,
    Api,
    Cli,
    Long,
    Row,
    call,
    check_answer,
    check_error,
    check_request,
    replay,
    send,
    sse,
    usage,
)
from tests.servers import ReplayServer, Reply, load_case

OPENAI = Api("openai", "/v1", FAKE_KEYS["OPENAI_API_KEY"])


def recorded(case: str, key: str) -> Any:
    """A field of a recorded request, to send it again through the matching flag."""
    return load_case("openai", case).request[key]


def tools_flags(case: str, choice: bool = True) -> tuple[str, ...]:
    """`--tools` (inline JSON) [and `--tool-choice`] giving the recorded request's tools."""
    flags = ("--tools", json.dumps(recorded(case, "tools")))
    return (*flags, "--tool-choice", recorded(case, "tool_choice")) if choice else flags


def tools_sent(case: str, choice: bool = True) -> dict[str, Any]:
    sent = {"tools": recorded(case, "tools"), "parallel_tool_calls": ABSENT}
    return {**sent, "tool_choice": recorded(case, "tool_choice") if choice else ABSENT}


RECORDED = [
    Row(
        "nonstream-text",
        "gpt-3.5-turbo",
        Answer(
            "Hello! I'm just a computer program, so I don't have feelings, but I'm here to "
            "help you. How can I assist you today?",
            "stop",
            usage(13, 31, 0, 0, cost=5.3e-05),
            "gpt-3.5-turbo-0125",
        ),
        flags=("--max-tokens", "50", "--temperature", "0"),
        sent={"max_tokens": 50, "max_completion_tokens": ABSENT, "temperature": 0},
    ),
    Row(
        "json-object-mode",
        "gpt-3.5-turbo",
        Answer(
            '{\n  "greeting": "hello"\n}',
            "stop",
            usage(21, 10, 0, 0, cost=2.55e-05),
            "gpt-3.5-turbo-0125",
        ),
        flags=("--json-mode",),
        sent={"response_format": {"type": "json_object"}},
    ),
    Row(
        "structured-json-schema-strict",
        "gpt-4o-2024-08-06",
        Answer(
            '{"final_answer":"4"}', "stop", usage(53, 6, 0, 0, cost=0.0001925), "gpt-4o-2024-08-06"
        ),
        flags=(
            "-s",
            "You are a student taking a math exam.",
            "--json-schema",
            json.dumps(recorded("structured-json-schema-strict", "response_format")["json_schema"]),
        ),
        sent={
            "messages": [
                {"role": "system", "content": "You are a student taking a math exam."},
                {"role": "user", "content": PROMPT},
            ],
            "response_format": recorded("structured-json-schema-strict", "response_format"),
        },
    ),
    Row(
        "max-completion-tokens-o3-mini",
        "o3-mini",
        Answer(
            "Hello there! How can I help you today?",
            "stop",
            usage(7, 87, 64, 0, cost=0.0003905),
            "o3-mini-2025-01-31",
        ),
        flags=("--max-tokens", "100"),
        sent={"max_completion_tokens": 100, "max_tokens": ABSENT},
    ),
    # Image / PDF input cases: only their (text) answers are checked here.
    Row(
        "image-base64",
        "gpt-4o",
        Answer(
            "The fruit in the image is a kiwi.",
            "stop",
            usage(1119, 10, 0, 0, cost=0.0028975),
            "gpt-4o-2024-08-06",
        ),
    ),
    Row(
        "pdf-file-part",
        "gpt-4o",
        Answer(
            'The main content of the document is "Dummy PDF file."',
            "stop",
            usage(235, 13, 0, 0, cost=0.0007175),
            "gpt-4o-2024-08-06",
        ),
    ),
    Row(
        "tool-calls-nonstream",
        "gpt-4.1-mini",
        Answer(
            "",
            "tool_calls",
            usage(50, 15, 0, 0, cost=4.4e-05),
            "gpt-4.1-mini-2025-04-14",
            tool_calls=(
                call("call_bhZkmIKKItNGJ41whHUHB7p9", "get_temperature", {"city": "Tokyo"}),
            ),
        ),
        flags=("-s", "You are a helpful assistant.", *tools_flags("tool-calls-nonstream")),
        sent=tools_sent("tool-calls-nonstream"),
    ),
    Row(
        "tool-result-nonstream-turn2",
        "gpt-4.1-mini",
        Answer(
            "The temperature in Tokyo is currently 20.0 degrees Celsius.",
            "stop",
            usage(75, 15, 0, 0, cost=5.4e-05),
            "gpt-4.1-mini-2025-04-14",
        ),
    ),
    Row(
        "tool-choice-none",
        "gpt-5-mini",
        Answer(
            Long(
                "I can't fetch live weather data right now. Do you mean Paris, France",
                "or a detailed typical forecast for specific days.",
                805,
            ),
            "stop",
            usage(132, 589, 384, 0, cost=0.001211),
            "gpt-5-mini-2025-08-07",
        ),
        flags=("--max-tokens", "1000", *tools_flags("tool-choice-none")),
        sent={
            "max_completion_tokens": 1000,
            "max_tokens": ABSENT,
            **tools_sent("tool-choice-none"),
        },
    ),
    Row(
        "tool-choice-required",
        "gpt-5-mini",
        Answer(
            "",
            "tool_calls",
            usage(130, 87, 64, 0, cost=0.0002065),
            "gpt-5-mini-2025-08-07",
            tool_calls=(call("call_injwxidE5XUzmiKVfOH3rxf2", "get_weather", {"city": "Paris"}),),
        ),
        flags=("--reasoning-effort", "low", *tools_flags("tool-choice-required")),
        sent={"reasoning_effort": "low", **tools_sent("tool-choice-required")},
    ),
    Row(
        "stream-text-usage",
        "gpt-3.5-turbo",
        Answer("1, 2, 3, 4, 5", "stop", usage(14, 13, 0, 0, cost=2.65e-05), "gpt-3.5-turbo-0125"),
        flags=("--max-tokens", "50", "--temperature", "0"),
        sent={"max_tokens": 50, "temperature": 0},
    ),
    Row(
        "stream-tool-calls",
        "gpt-4o-mini",
        Answer(
            "",
            "tool_calls",
            usage(54, 20, 0, 0, cost=2.01e-05),
            "gpt-4o-mini-2024-07-18",
            tool_calls=(call("call_1EYWDzueHEp8OsB8jJSEp7WB", "multiply", {"a": 1231, "b": 2331}),),
        ),
        flags=tools_flags("stream-tool-calls", choice=False),
        sent=tools_sent("stream-tool-calls", choice=False),
    ),
    Row(
        "stream-tool-result-turn2",
        "gpt-4o-mini",
        Answer(
            r"The result of \( 1231 \times 2331 \) is \( 2,869,461 \).",
            "stop",
            usage(87, 26, 0, 0, cost=2.865e-05),
            "gpt-4o-mini-2024-07-18",
        ),
    ),
]


@pytest.mark.parametrize("row", RECORDED, ids=lambda row: row.case)
def test_recorded_answer(server: ReplayServer, llmcli: Cli, row: Row) -> None:
    check_answer(replay(server, llmcli, OPENAI, row), row.answer)


def test_error_400_is_one_line(server: ReplayServer, llmcli: Cli) -> None:
    reply = load_case("openai", "error-400-unsupported-value").reply()
    run, _ = send(server, llmcli, OPENAI, reply, "o1-mini", "--no-stream")
    check_error(
        run,
        "openai 400 invalid_request_error: Unsupported value: 'messages[0].role' does not "
        "support 'developer' with this model.",
    )


# Flags without a recording of their own: only the request body is checked (in-process,
# by tests/test_contract.py).
ENCODE = [
    pytest.param(
        "gpt-4o-mini",
        ("--max-tokens", "64"),
        {"max_tokens": 64, "max_completion_tokens": ABSENT},
        "",
        id="gpt-4o-max_tokens",
    ),
    pytest.param(
        "o1",
        ("--max-tokens", "64"),
        {"max_completion_tokens": 64, "max_tokens": ABSENT},
        "",
        id="o1-max_completion_tokens",
    ),
    pytest.param(
        "o4-mini",
        ("--max-tokens", "64", "--reasoning-effort", "medium"),
        {"max_completion_tokens": 64, "max_tokens": ABSENT, "reasoning_effort": "medium"},
        "",
        id="o4-mini-effort",
    ),
    pytest.param(
        "gpt-5",
        ("--max-tokens", "64", "--reasoning-effort", "high"),
        {"max_completion_tokens": 64, "max_tokens": ABSENT, "reasoning_effort": "high"},
        "",
        id="gpt-5-effort",
    ),
    pytest.param(
        "gpt-4o-mini",
        ("--stop", "END", "--user", "u-1", "--top-p", "0.5"),
        {"stop": ["END"], "user": "u-1", "top_p": 0.5, "reasoning_effort": ABSENT},
        "",
        id="stop-user-top_p",
    ),
    pytest.param(
        "gpt-4o-mini",
        ("--top-k", "5"),
        {"top_k": ABSENT},
        "llmcli: warning: OpenAI has no top_k: --top-k was not sent\n",
        id="top_k-dropped",
    ),
    pytest.param(
        "gpt-4o-mini",
        ("--thinking-budget", "1024"),
        {"reasoning_effort": ABSENT, "thinking": ABSENT},
        "llmcli: warning: openai/gpt-4o-mini has no thinking/reasoning (model catalog): "
        "--thinking was sent anyway and may be refused or ignored\n"
        "llmcli: warning: OpenAI takes no thinking budget: use --reasoning-effort instead\n",
        id="thinking_budget-dropped",
    ),
    pytest.param(
        "gpt-4o-mini",
        ("-o", "seed=42", "-o", "logit_bias.50256=-100", "-o", "prompt=still chat"),
        {"seed": 42, "logit_bias": {"50256": -100}, "prompt": "still chat"},
        "",
        id="options-merged",
    ),
]


def _first_events(body: bytes, count: int) -> bytes:
    return b"".join(event + b"\n\n" for event in body.split(b"\n\n")[:count])


# stream-text-usage has 17 events: role, 13 content pieces, finish, usage, [DONE].
@pytest.mark.parametrize(
    ("events", "code", "answer", "stderr"),
    [
        pytest.param(
            8,
            1,
            Answer("1, 2, 3", "error", NO_USAGE, "gpt-3.5-turbo"),
            "llmcli: openai: the stream ended before the answer was complete\n",
            id="no-finish-no-done",
        ),
        pytest.param(
            15,
            0,
            Answer("1, 2, 3, 4, 5", "stop", NO_USAGE, "gpt-3.5-turbo-0125"),
            "",
            id="finish-without-done",
        ),
    ],
)
def test_cut_stream(
    server: ReplayServer, llmcli: Cli, events: int, code: int, answer: Answer, stderr: str
) -> None:
    body = load_case("openai", "stream-text-usage").response
    assert body.count(b"\n\n") == 17
    reply = Reply(body=_first_events(body, events), content_type="text/event-stream")
    run, _ = send(server, llmcli, OPENAI, reply, "gpt-3.5-turbo")
    check_answer(run, answer, code=code)
    assert run.stderr == stderr


# No recording of the legacy endpoint exists: these bodies follow the documented shape
# (OpenAI API reference, "Create completion": response object and streamed chunks;
# `stream_options.include_usage` adds a last chunk with empty `choices` and `usage`).
_COMPLETION = {
    "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
    "object": "text_completion",
    "created": 1589478378,
    "model": "gpt-3.5-turbo-instruct",
    "system_fingerprint": "fp_44709d6fcb",
}
COMPLETION_JSON = json.dumps(
    {
        **_COMPLETION,
        "choices": [
            {
                "text": "\n\nThis is indeed a test",
                "index": 0,
                "logprobs": None,
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }
).encode()
COMPLETION_SSE = sse(
    *(
        json.dumps(
            {
                **_COMPLETION,
                "choices": [{"text": t, "index": 0, "logprobs": None, "finish_reason": f}],
            }
        )
        for t, f in (("This", None), (" is indeed", None), (" a test", None), ("", "length"))
    ),
    json.dumps(
        {**_COMPLETION, "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7}}
    ),
    "[DONE]",
)


@pytest.mark.parametrize(
    ("flags", "reply", "sent", "content"),
    [
        pytest.param(
            ("--suffix", "    return x", "--no-stream", "--max-tokens", "7"),
            Reply(body=COMPLETION_JSON),
            {"suffix": "    return x", "max_tokens": 7},
            "\n\nThis is indeed a test",
            id="fim-suffix-json",
        ),
        pytest.param(
            ("--text",),
            Reply(body=COMPLETION_SSE, content_type="text/event-stream"),
            {"suffix": ABSENT},
            "This is indeed a test",
            id="text-stream",
        ),
    ],
)
def test_legacy_completions(
    server: ReplayServer,
    llmcli: Cli,
    flags: tuple[str, ...],
    reply: Reply,
    sent: dict[str, Any],
    content: str,
) -> None:
    run, received = send(server, llmcli, OPENAI, reply, "gpt-3.5-turbo-instruct", *flags)
    check_request(
        received,
        OPENAI,
        "gpt-3.5-turbo-instruct",
        stream="--no-stream" not in flags,
        sent={"prompt": PROMPT, "messages": ABSENT, **sent},
        endpoint="/completions",
    )
    check_answer(run, Answer(content, "length", usage(5, 7), "gpt-3.5-turbo-instruct"))
