"""Anthropic Messages through the CLI against recorded traffic, and its pure encode/decode.

Each case in tests/fixtures/anthropic is replayed from a loopback server with the
flags that reproduce its recorded request; expected values are literals read from
the recordings. Bodies with no recording (mid-stream error, 429/529) follow the
documented format in ../shared/research/wire-formats.md (Anthropic section).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from llmcli.connection import resolve_connection
from llmcli.errors import UsageError
from llmcli.events import Accumulator, Citation, Result, ToolCallDone, Usage
from llmcli.framing import SSEParser
from llmcli.providers import PROVIDERS, anthropic
from llmcli.providers.anthropic import answers as anthropic_answers
from llmcli.providers.anthropic import body as anthropic_body
from llmcli.request import (
    Message,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    user_message,
)
from llmcli.transport import Connection, HttpCall
from tests.conftest import FAKE_KEYS
from tests.provider_helpers import (
    ABSENT,
    PROMPT,
    Answer,
    Api,
    Cli,
    Long,
    Row,
    call,
    check_answer,
    check_body,
    check_error,
    send,
    usage,
)
from tests.servers import FIXTURES, Received, ReplayServer, Reply, load_case
from tests.spelled import refusal, said

ANTHROPIC = Api("anthropic", "", FAKE_KEYS["ANTHROPIC_API_KEY"])
KEY = ANTHROPIC.key
# Body fields every CLI request below carries unless its row says otherwise.
DEFAULT_SENT: dict[str, Any] = {
    "max_tokens": 4096,
    "temperature": ABSENT,
    "top_k": ABSENT,
    "top_p": ABSENT,
    "thinking": ABSENT,
    "system": ABSENT,
    "stop_sequences": ABSENT,
    "metadata": ABSENT,
    "output_config": ABSENT,
}
# Request fields compared with the recorded request whenever the recording has them.
ESSENTIAL = (
    "model",
    "max_tokens",
    "temperature",
    "system",
    "stop_sequences",
    "metadata",
    "thinking",
    "tools",
    "tool_choice",
    "output_config",
    "output_format",
    "cache_control",
)
SEARCH_SYSTEM = "You are a helpful assistant.\n\n"


# ---- helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded(Row):
    """A `Row` plus what is replayed verbatim from the recording.

    `replayed`: request fields the CLI has no flag for (tools, output_config...), sent
    with `-o KEY=<recorded JSON>` and expected back unchanged. `headers`: recorded
    request headers sent with `-H`. `citations`: the cited URLs, in order.
    """

    replayed: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()


def replay(server: ReplayServer, llmcli: Cli, row: Recorded) -> Any:
    """Run the recorded case (`--no-stream` for JSON bodies); check the request; give the JSON."""
    case = load_case("anthropic", row.case)
    stream = case.meta["response_file"] == "response.sse"
    flags = [*row.flags, *(() if stream else ("--no-stream",))]
    sent = {**DEFAULT_SENT, **row.sent}
    for key in row.replayed:
        flags += ["-o", f"{key}={json.dumps(case.request[key])}"]
        sent[key] = case.request[key]
    headers = {k.lower(): v for k, v in case.meta["request_headers"].items()}
    for name in row.headers:
        flags += ["-H", f"{name}: {headers[name]}"]
    run, received = send(server, llmcli, ANTHROPIC, case.reply(), row.model, *flags)
    body = check_request(received, row.model, stream=stream, sent=sent)
    for key in ESSENTIAL:
        if case.request and key in case.request:
            assert body[key] == case.request[key], f"{key} differs from the recorded request"
    for name in row.headers:
        assert received.headers[name] == headers[name]
    check_answer(run, row.answer)
    assert run.stderr == ""
    return run.json


def check_request(
    received: Received, model: str, *, stream: bool, sent: dict[str, Any]
) -> dict[str, Any]:
    assert (received.method, received.path) == ("POST", "/v1/messages")
    assert received.headers["x-api-key"] == KEY
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert received.headers["content-type"] == "application/json"
    assert "authorization" not in received.headers
    body: dict[str, Any] = received.json
    assert body["model"] == model
    assert body["stream"] is stream
    assert body["messages"] == [{"role": "user", "content": PROMPT}]
    check_body(body, sent)
    return body


def complete(llmcli: Cli, server: ReplayServer, model: str, *flags: str) -> Any:
    """`llmcli complete` without `send`'s one-request check (retries, usage errors)."""
    return llmcli(
        "complete", "--api-base", server.url, "-m", f"anthropic/{model}", *flags, "--json", PROMPT
    )


def sse(*events: dict[str, Any]) -> bytes:
    """The documented stream framing: `event: <type>` then `data: <json>`, blank line."""
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def message_start(**usage: int) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return {"type": "message_start", "message": message}


def text_block(index: int, text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "text", "text": ""},
        },
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "text_delta", "text": text},
        },
    ]


def message_end(stop_reason: str, **usage: int) -> list[dict[str, Any]]:
    return [
        {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": usage},
        {"type": "message_stop"},
    ]


def fold(body: bytes, *, stream: bool) -> Result:
    """Decode a body as the engine does (pure: no HTTP)."""
    if stream:
        parser = SSEParser()
        events = anthropic.decode_stream([*parser.feed(body), *parser.close()])
    else:
        events = anthropic.decode(body)
    acc = Accumulator("anthropic", "model")
    for event in events:
        acc.add(event)
    return acc.finish()


def fold_case(name: str) -> Result:
    case = load_case("anthropic", name)
    return fold(case.response, stream=case.meta["response_file"] == "response.sse")


def as_parts(result: Result) -> list[Any]:
    """An answer as the assistant turn a conversation sends back."""
    parts: list[Any] = [
        ReasoningPart(text=b.text, signature=b.signature, redacted=b.redacted)
        for b in result.reasoning_blocks
    ]
    if result.content:
        parts.append(TextPart(text=result.content))
    parts += [ToolCallPart(id=c.id, name=c.name, arguments=c.arguments) for c in result.tool_calls]
    return parts


def encode(*, conn: Connection | None = None, **fields: Any) -> HttpCall:
    fields.setdefault("model", "claude-sonnet-4-5")
    fields.setdefault("messages", [user_message("hi")])
    request = Request(provider="anthropic", **fields)
    return anthropic.encode(request, conn or Connection("https://api.anthropic.com", KEY))


def encoded_body(**fields: Any) -> dict[str, Any]:
    body = encode(**fields).json
    assert body is not None
    return body


def tokens(
    input: int,
    output: int,
    *,
    read: int = 0,
    write: int = 0,
    reasoning: int | None = None,
    cost: float | None = None,
) -> dict[str, Any]:
    """Usage as the JSON shows it; every recording reports cache reads/writes (often 0).
    `cost`: usage x the model catalog's prices (Anthropic reports none itself)."""
    return usage(input, output, reasoning, cache_read=read, cache_write=write, cost=cost)


def error_body(kind: str, message: str, **details: str) -> bytes:
    error: dict[str, Any] = {"type": kind, "message": message}
    if details:
        error["details"] = details
    return json.dumps({"type": "error", "error": error, "request_id": "req_01"}).encode()


# ---- every recorded answer ---------------------------------------------------------------

TOOL_SYSTEM = ("system", "tools", "tool_choice")

RECORDED = [
    # -- text
    Recorded(
        "nonstream-text",
        "claude-3-opus-20240229",
        Answer(
            "Hello! As an AI language model, I don't have feelings, but I'm functioning properly "
            "and ready to assist you. How can I help you today?",
            "stop",
            tokens(13, 35, cost=0.00282),
            "claude-3-opus-20240229",
        ),
        flags=("--max-tokens", "100", "--temperature", "0"),
        sent={"max_tokens": 100, "temperature": 0},
    ),
    Recorded(
        "stream-text-basic",
        "claude-haiku-4-5-20251001",
        # message_start says output_tokens 2; message_delta's cumulative 4 wins.
        Answer("Hello", "stop", tokens(10, 4, cost=3e-05), "claude-haiku-4-5-20251001"),
        flags=("--max-tokens", "8192", "--temperature", "1"),
        sent={"max_tokens": 8192, "temperature": 1.0},
    ),
    Recorded(
        "stream-text-rawhttp",
        "claude-3-opus-20240229",
        Answer(
            "1\n2\n3\n4\n5",
            "stop",
            tokens(15, 13, cost=0.0012),
            "claude-3-opus-20240229",
        ),
        flags=("--max-tokens", "100", "--temperature", "0"),
        sent={"max_tokens": 100, "temperature": 0},
    ),
    Recorded(
        "image-base64",
        "claude-sonnet-4-5",
        Answer(
            "Red square, green square.",
            "stop",
            tokens(83, 9, cost=0.000384),
            "claude-sonnet-4-5-20250929",
        ),
        flags=("--max-tokens", "8192", "--temperature", "1"),
        sent={"max_tokens": 8192, "temperature": 1.0},
    ),
    Recorded(
        "pdf-base64",
        "claude-sonnet-4-5",
        Answer(
            'The document simply contains the text "Dummy PDF file" at the top of what appears '
            "to be an otherwise blank page.",
            "stop",
            tokens(1615, 28, cost=0.005265),
            "claude-sonnet-4-5-20250929",
        ),
    ),
    Recorded(
        "text-document-base64",
        "claude-sonnet-4-5",
        Answer(
            'The text file says "Dummy TXT file".',
            "stop",
            tokens(57, 14, cost=0.000381),
            "claude-sonnet-4-5-20250929",
        ),
    ),
    Recorded(
        "system-prompt-string",
        "claude-3-opus-latest",
        Answer(
            "The capital of France is Paris.",
            "stop",
            tokens(20, 10, cost=0.00105),
            "claude-3-opus-20240229",
        ),
        flags=("-s", "You are a helpful assistant.\n\n"),
        sent={"system": "You are a helpful assistant.\n\n"},
    ),
    Recorded(
        "metadata-user-id-extra-headers",
        "claude-haiku-4-5",
        Answer(
            "Hi there! How are you doing today? Is there anything I can help you with?",
            "stop",
            tokens(8, 21, cost=0.000113),
            "claude-haiku-4-5-20251001",
        ),
        flags=("--user", "123"),
        sent={"metadata": {"user_id": "123"}},
        headers=("extra-header-key",),
    ),
    Recorded(
        "stop-sequences-prefill",
        "claude-haiku-4-5-20251001",
        Answer(
            '\ndef pelican():\n    return "A large waterbird with a long bill and a throat pouch '
            'for catching fish."\n',
            "stop",  # stop_reason stop_sequence
            tokens(16, 28, cost=0.000156),
            "claude-haiku-4-5-20251001",
        ),
        flags=("--max-tokens", "8192", "--temperature", "1", "--stop", "```"),
        sent={"max_tokens": 8192, "temperature": 1.0, "stop_sequences": ["```"]},
    ),
    Recorded(
        "beta-header-tools-max-tokens",
        "claude-3-opus-20240229",
        Answer(
            Long(
                "<thinking>\nThe get_weather tool is relevant for answering th",
                "tion you're interested in. Could you please provide the city",
                479,
            ),
            "length",  # stop_reason max_tokens
            tokens(611, 100, cost=0.016665),
            "claude-3-opus-20240229",
        ),
        flags=("--max-tokens", "100", "--temperature", "0"),
        sent={"max_tokens": 100, "temperature": 0},
        replayed=("tools",),
        headers=("anthropic-beta",),
    ),
    Recorded(
        "structured-output-config-format",
        "claude-sonnet-4-5",
        Answer(
            '{"city":"London","country":"United Kingdom","population":9002488}',
            "stop",
            tokens(196, 19, cost=0.000873),
            "claude-sonnet-4-5-20250929",
        ),
        replayed=("output_config",),
    ),
    Recorded(
        "structured-output-format-beta",
        "claude-sonnet-4-5",
        Answer(
            '{"city":"London","country":"United Kingdom","population":9002488}',
            "stop",
            tokens(196, 19, cost=0.000873),
            "claude-sonnet-4-5-20250929",
        ),
        replayed=("output_format",),
    ),
    # -- usage with prompt caching: input = input + cache reads + cache writes
    Recorded(
        "prompt-cache-toplevel-auto",
        "claude-sonnet-4-5",
        Answer(
            Long(
                "Python is a beginner-friendly, versatile programming languag",
                "nce, machine learning, automation, and scientific computing.",
                164,
            ),
            "stop",
            tokens(3 + 1111 + 418, 33, read=1111, write=418, cost=0.0024048),
            "claude-sonnet-4-5-20250929",
        ),
        flags=("-s", "You are a helpful assistant."),
        sent={"system": "You are a helpful assistant."},
        replayed=("cache_control",),
    ),
    Recorded(
        "prompt-cache-write",
        "claude-opus-4-8",
        # usage.output_tokens_details.thinking_tokens 0 → reasoning_tokens 0.
        Answer(
            "OK",
            "stop",
            tokens(2 + 1590, 4, write=1590, reasoning=0, cost=0.0100475),
            "claude-opus-4-8",
        ),
        flags=("-s", "Reply with OK."),
        sent={"system": "Reply with OK."},
    ),
    # -- reasoning
    Recorded(
        "thinking-nonstream",
        "claude-sonnet-4-5",
        Answer(
            Long(
                "Here's how to cross the street safely:\n\n## Basic Steps\n\n1. *",
                "rivers may not see you, so stay alert and make safe choices.",
                1062,
            ),
            "stop",
            tokens(43, 321, cost=0.004944),
            "claude-sonnet-4-5-20250929",
            reasoning="This is a straightforward question about pedestrian safety. I should "
            "provide clear, practical advice about crossing the street safely.",
        ),
        flags=("--thinking", "--thinking-budget", "1024"),
        sent={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
    Recorded(
        "stream-thinking",
        "claude-sonnet-4-0",
        Answer(
            Long(
                "Here are the basic steps for safely crossing the street:\n\n**",
                ". Always prioritize safety over speed when crossing streets.",
                1021,
            ),
            "stop",
            tokens(43, 282, cost=0.004359),
            "claude-sonnet-4-20250514",
            reasoning="This is a straightforward question about pedestrian safety. I should "
            "provide clear, helpful advice about how to safely cross a street. This is basic "
            "safety information that could help prevent accidents.",
        ),
        flags=("--thinking", "--thinking-budget", "1024"),
        sent={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
    Recorded(
        "thinking-nonstream-replay-turn2",
        "claude-sonnet-4-5",
        Answer(
            Long(
                "# How to Cross a River (Using the Street-Crossing Analogy)\n\n",
                "erous rivers**. When in doubt, find a bridge or don't cross.",
                1295,
            ),
            "stop",
            tokens(354, 525, cost=0.008937),
            "claude-sonnet-4-5-20250929",
            reasoning=Long(
                "This is an interesting analogy question. The person is askin",
                " practical advice for different methods of crossing a river.",
                847,
            ),
        ),
        flags=("--thinking-budget", "1024"),
        sent={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
    # Redacted thinking carries no readable text: `reasoning` stays null.
    Recorded(
        "stream-redacted-thinking",
        "claude-sonnet-4-5-20250929",
        Answer(
            Long(
                "I notice that you've sent what appears to be some kind of te",
                "w can I assist you today with a legitimate task or question?",
                359,
            ),
            "stop",
            # message_start says output_tokens 88; message_delta's cumulative 189 wins.
            tokens(92, 189, cost=0.003111),
            "claude-sonnet-4-5-20250929",
        ),
        flags=("--thinking-budget", "1024"),
        sent={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
    Recorded(
        "redacted-thinking-replay-turn2",
        "claude-sonnet-4-5-20250929",
        Answer(
            Long(
                "That message appeared to be an attempt to use a special comm",
                "ead.\n\nIs there something I can actually help you with today?",
                500,
            ),
            "stop",
            tokens(168, 232, cost=0.003984),
            "claude-sonnet-4-5-20250929",
        ),
        flags=("--thinking-budget", "1024"),
        sent={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
    # -- tool calls
    Recorded(
        "stream-tool-use-parallel",
        "claude-haiku-4-5-20251001",
        Answer(
            "",
            "tool_calls",
            tokens(542, 62, cost=0.000852),
            "claude-haiku-4-5-20251001",
            tool_calls=(
                # input_json_delta "" for both: no arguments means {}.
                call("toolu_01LtHJmixrs9NcWQkK8hu8hj", "pelican_name_generator", {}),
                call("toolu_01N8a4jWyf116qKTMqKKmjyt", "pelican_name_generator", {}),
            ),
        ),
        flags=("--max-tokens", "8192", "--temperature", "1"),
        sent={"max_tokens": 8192, "temperature": 1.0},
        replayed=("tools",),
    ),
    Recorded(
        "stream-json-tool-fixture",  # response only: no recorded request to compare with
        "claude-haiku-4-5-20251001",
        Answer(
            "",
            "tool_calls",
            tokens(849, 47, cost=0.001084),
            "claude-haiku-4-5-20251001",
            tool_calls=(
                call(
                    "toolu_01KFbKqPYSuAKujiL6mTfzYA",
                    "json",
                    {
                        "elements": [
                            {"location": "San Francisco", "temperature": 58, "condition": "sunny"}
                        ]
                    },
                ),
            ),
        ),
    ),
    Recorded(
        "stream-tool-result-turn2",
        "claude-haiku-4-5-20251001",
        Answer(
            "Here are two great names for your pet pelican:\n\n1. **Charles** - A sophisticated "
            "and dignified name, perfect for a pelican with personality!\n2. **Sammy** - A "
            "friendly and playful name that gives off warm, approachable vibes.\n\nEither of "
            "these would make an excellent name for your feathered friend! 🦅",
            "stop",
            tokens(678, 82, cost=0.001088),
            "claude-haiku-4-5-20251001",
        ),
        flags=("--max-tokens", "8192", "--temperature", "1"),
        sent={"max_tokens": 8192, "temperature": 1.0},
        replayed=("tools",),
    ),
    Recorded(
        "tool-use-parallel-nonstream",
        "claude-haiku-4-5",
        Answer(
            "I'll help you find out who is the youngest by retrieving information about each "
            "family member. I'll retrieve their entity information to compare their ages.",
            "tool_calls",
            tokens(423, 202, cost=0.001433),
            "claude-haiku-4-5-20251001",
            tool_calls=(
                call("toolu_0167cfEnoQaPviGdVXA95zcu", "retrieve_entity_info", {"name": "Alice"}),
                call("toolu_01EEe2V5HD1Ac4rKiUR4HD2T", "retrieve_entity_info", {"name": "Bob"}),
                call("toolu_01XFyAjstT3966qvRynZyVPo", "retrieve_entity_info", {"name": "Charlie"}),
                call("toolu_013mnQZbgtK2oe3Mo3XKJsx3", "retrieve_entity_info", {"name": "Daisy"}),
            ),
        ),
        replayed=TOOL_SYSTEM,
    ),
    Recorded(
        "tool-result-parallel-turn2",
        "claude-haiku-4-5",
        Answer(
            Long(
                "Based on the retrieved information, we can see the family re",
                "indicates she is the youngest among the four family members.",
                340,
            ),
            "stop",
            tokens(771, 77, cost=0.001156),
            "claude-haiku-4-5-20251001",
        ),
        replayed=TOOL_SYSTEM,
    ),
    Recorded(
        "tool-choice-any",
        "claude-sonnet-4-5",
        Answer(
            "",
            "tool_calls",
            tokens(655, 38, cost=0.002535),
            "claude-sonnet-4-5-20250929",
            tool_calls=(call("toolu_01Dxp8hdnkA8bsrVJJ8LB9q1", "get_weather", {"city": "Paris"}),),
        ),
        replayed=("tools", "tool_choice"),
    ),
    Recorded(
        "structured-output-forced-tool",
        "claude-sonnet-4-5",
        Answer(
            "",
            "tool_calls",
            tokens(678, 74, cost=0.003144),
            "claude-sonnet-4-5-20250929",
            tool_calls=(
                call(
                    "toolu_01AMt7JsdQeLg6q5XoGyfjgZ",
                    "final_result",
                    {"city": "Tokyo", "country": "Japan", "population": 14000000},
                ),
            ),
        ),
        replayed=("tools", "tool_choice"),
    ),
    Recorded(
        "tool-choice-none",
        "claude-sonnet-4-5",
        Answer(
            "Hello! 👋 How can I help you today?",
            "stop",
            tokens(567, 16, cost=0.001941),
            "claude-sonnet-4-5-20250929",
        ),
        replayed=("tools", "tool_choice"),
    ),
    # Web search runs at Anthropic (server_tool_use): not a call for the client to run.
    Recorded(
        "stream-web-search-citations",
        "claude-sonnet-4-0",
        Answer(
            Long(
                "Let me search for more specific breaking news stories to get",
                "nd major transportation disruptions affecting North America.",
                1792,
            ),
            "stop",
            # message_start says input_tokens 2050; message_delta's cumulative 31772 wins.
            tokens(31772, 644, cost=0.104976),
            "claude-sonnet-4-20250514",
        ),
        flags=("-s", SEARCH_SYSTEM),
        sent={"system": SEARCH_SYSTEM},
        replayed=("tools", "tool_choice"),
        citations=(
            "https://www.npr.org/sections/news/",
            "https://abcnews.go.com/",
            "https://abcnews.go.com/",
            "https://www.cnn.com/2025/07/14/us/5-things-to-know-for-july-14-immigration-gaza-"
            "epstein-files-kentucky-shooting-texas-flooding",
            "https://www.cnn.com/",
            "https://www.cbsnews.com/world/",
            "https://edition.cnn.com/",
            "https://www.npr.org/sections/news/",
            "https://abcnews.go.com/International",
        ),
    ),
]


@pytest.mark.parametrize("row", RECORDED, ids=lambda row: row.case)
def test_recorded_answer(server: ReplayServer, llmcli: Cli, row: Recorded) -> None:
    out = replay(server, llmcli, row)
    assert out["provider"] == "anthropic"
    assert [c["url"] for c in out["citations"]] == list(row.citations)
    assert {c["kind"] for c in out["citations"]} <= {"web_search_result_location"}


def test_every_recorded_case_is_covered() -> None:
    cases = {p.name for p in (FIXTURES / "anthropic").iterdir()}
    assert cases == {row.case for row in RECORDED} | {"error-400-invalid-request"}


def test_error_400_is_one_line(server: ReplayServer, llmcli: Cli) -> None:
    case = load_case("anthropic", "error-400-invalid-request")
    model = "claude-opus-4-6"
    run, received = send(
        server,
        llmcli,
        ANTHROPIC,
        case.reply(),
        model,
        "--no-stream",
        "-o",
        "output_config.effort=xhigh",
    )
    check_request(received, model, stream=False, sent={"output_config": {"effort": "xhigh"}})
    assert received.json["output_config"] == case.request["output_config"]
    check_error(
        run,
        "anthropic 400 invalid_request_error: This model does not support effort level 'xhigh'. "
        "Supported levels: high, low, max, medium.",
    )


# ---- decoded details the JSON output does not show --------------------------------------


def test_web_search_calls_and_citations_in_full() -> None:
    result = fold_case("stream-web-search-citations")
    assert result.tool_calls == []
    assert result.server_tool_calls == [
        ToolCallDone(
            "srvtoolu_01NcU4XNwyxWK6a9tcJZ8wGY",
            "web_search",
            {"query": "top world news today"},
            server=True,
        ),
        ToolCallDone(
            "srvtoolu_01WiP3ZfXZXSykVQEL78XJ4T",
            "web_search",
            {"query": "breaking news headlines August 14 2025"},
            server=True,
        ),
    ]
    assert result.citations[:2] == [
        Citation(
            kind="web_search_result_location",
            cited_text="Filip Singer/Getty Images Europe hide caption toggle caption Filip Singer/"
            "Getty Images Europe · August 13, 2025 \x95 President Trump will join European l...",
            title="News: U.S. and World News Headlines : NPR",
            url="https://www.npr.org/sections/news/",
            encrypted_index="EpABCioIBhgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmIS"
            "DHT523GMqifZA1kvTBoMGiuUa5Im64nfiR5bIjAazbj+ysjfsXK7eE/7gySYR/WHMxRnmH52uNkgr23PY"
            "ipXDGk3GUX82ZpFgaitpo0qFNsuikhO2VQPZFLohcRzJOUoNjOOGAQ=",
        ),
        # cited_text "" in the recording: no quote rather than an empty one.
        Citation(
            kind="web_search_result_location",
            title="ABC News \u2013 Breaking News, Latest News and Videos",
            url="https://abcnews.go.com/",
            encrypted_index="EpEBCioIBhgCIiQ0NGFlNjc2Yy05NThmLTRkNjgtOTEwOC1lYWU5ZGU3YjM2NmIS"
            "DOvnrstPG+N7iSfsFxoM8I5byYWjdhzFfqkDIjDkkgi+v0jxexom++pqk+QwqFYGaaSYVA2SOhKItfZN6f"
            "vT+wbb6/NhrQ1ZRKSe/1gqFQ/WosTNb6VwNc68SmeDGRVF8ZSU6BgE",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "blocks"),
    [
        ("stream-thinking", [("EvMCCkYICxgCKkCHP2cS", "gb7wwzDvP/UhjfQYAQ==", None)]),
        ("thinking-nonstream", [("Eq8CCkYICxgCKkDdadQO", "mYq4qVE3kWnSoiEJGAE=", None)]),
        (
            "stream-redacted-thinking",
            [
                ("EqkECkYIBxgCKkA8AZ4n", "XXjpot45vnBd4ewJ/hgB", 744),
                ("EtgBCkYIBxgCKkDQfGkw", "uab/DBV3yRYdZ1J0GAE=", 296),
            ],
        ),
        ("redacted-thinking-replay-turn2", [("EtUFCkYIBxgCKkAE46ql", "wtw3kct4D3I1a/UYAQ==", 976)]),
    ],
)
def test_thinking_signatures_and_redacted_data_are_kept(
    name: str, blocks: list[tuple[str, str, int | None]]
) -> None:
    """Each block as (start, end, length) of its redacted data, or (start, end, None) of
    its signature: what must go back unchanged in the next turn."""
    got: list[tuple[str, str, int | None]] = []
    for block in fold_case(name).reasoning_blocks:
        if block.redacted is not None:
            got.append((block.redacted[:20], block.redacted[-20:], len(block.redacted)))
        else:
            assert block.signature is not None and block.text
            got.append((block.signature[:20], block.signature[-20:], None))
    assert got == blocks


@pytest.mark.parametrize(
    ("turn1", "turn2"),
    [
        ("thinking-nonstream", "thinking-nonstream-replay-turn2"),
        ("tool-use-parallel-nonstream", "tool-result-parallel-turn2"),
    ],
)
def test_answer_goes_back_as_the_recorded_next_turn(turn1: str, turn2: str) -> None:
    """The recorded second request carries the first answer: signature and tool calls unchanged."""
    recorded = load_case("anthropic", turn2).request["messages"][1]
    assistant = Message(role="assistant", parts=as_parts(fold_case(turn1)))
    assert anthropic_body.encode_messages([user_message("q"), assistant])[1] == recorded


# ---- broken streams ----------------------------------------------------------------------

# stream-text-rawhttp deltas: "1", "\n2\n3", ping, "\n4\n5", then message_delta/stop.
RAWHTTP = load_case("anthropic", "stream-text-rawhttp")
OVERLOADED = sse(
    message_start(input_tokens=12, output_tokens=1),
    *text_block(0, "Partial ans"),
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
)


@pytest.mark.parametrize(
    ("reply", "content", "stderr"),
    [
        pytest.param(
            RAWHTTP.reply(cut_after=RAWHTTP.response.index(b"event: ping")),
            "1\n2\n3",
            r"llmcli: connection lost reading http://127\.0\.0\.1:\d+/v1/messages \(.+\)\n",
            id="connection-cut",
        ),
        pytest.param(
            Reply(body=OVERLOADED, content_type="text/event-stream"),
            "Partial ans",
            r"llmcli: anthropic overloaded_error: Overloaded\n",
            id="event-error",
        ),
        pytest.param(
            Reply(
                body=RAWHTTP.response[: RAWHTTP.response.index(b"event: message_delta")],
                content_type="text/event-stream",
            ),
            "1\n2\n3\n4\n5",
            r"llmcli: anthropic: the stream ended before the answer was complete\n",
            id="no-message-stop",
        ),
    ],
)
def test_broken_stream_keeps_partial_answer(
    server: ReplayServer, llmcli: Cli, reply: Reply, content: str, stderr: str
) -> None:
    run, _ = send(server, llmcli, ANTHROPIC, reply, "claude-3-opus-20240229")
    assert run.code == 1
    out = run.json
    assert (out["content"], out["finish_reason"]) == (content, "error")
    assert re.fullmatch(stderr, run.stderr), run.stderr
    assert "Traceback" not in run.stderr


# ---- retries follow decode_error ---------------------------------------------------------


def test_overloaded_529_is_retried(server: ReplayServer, llmcli: Cli) -> None:
    overloaded = Reply(
        status=529, body=error_body("overloaded_error", "Overloaded"), headers={"retry-after": "0"}
    )
    server.queue(overloaded, load_case("anthropic", "stream-text-basic").reply())
    run = complete(llmcli, server, "claude-haiku-4-5-20251001")
    assert run.code == 0, run.stderr
    assert run.json["content"] == "Hello"
    assert len(server.requests) == 2


def test_spend_limit_429_is_not_retried(server: ReplayServer, llmcli: Cli) -> None:
    body = error_body(
        "rate_limit_error",
        "Spend limit reached.",
        error_code="enforced_spend_limit_reached",
    )
    reply = Reply(status=429, body=body, headers={"retry-after": "0"})
    run, _ = send(server, llmcli, ANTHROPIC, reply, "claude-haiku-4-5")
    check_error(
        run,
        "anthropic 429 rate_limit_error: Spend limit reached. (not retried: quota exhausted)",
    )


# ---- flags without a recording of their own: the request sent ---------------------------


# Checked in-process by tests/test_contract.py (encode and the warnings), as a user types it.
ENCODE = [
    pytest.param(
        "claude-sonnet-4-5",
        ("--thinking-budget", "10000"),
        {"max_tokens": 14096, "thinking": {"type": "enabled", "budget_tokens": 10000}},
        "",
        id="max_tokens-raised-above-budget",
    ),
    pytest.param(
        "claude-sonnet-4-5",
        ("--thinking", "--temperature", "0.5", "--top-k", "40", "--top-p", "0.95"),
        {"thinking": {"type": "enabled", "budget_tokens": 2048}, "top_p": 0.95},
        "llmcli: warning: anthropic takes no temperature with thinking: --temperature was "
        "not sent\nllmcli: warning: anthropic takes no top_k with thinking: --top-k was not "
        "sent\n",
        id="sampling-dropped-with-thinking",
    ),
    pytest.param(
        "claude-sonnet-4-5",
        ("--reasoning-effort", "high"),
        {"max_tokens": 8192, "thinking": {"type": "enabled", "budget_tokens": 4096}},
        "",
        id="effort-as-budget",
    ),
    pytest.param(
        "claude-opus-4-5-20251101",
        ("--reasoning-effort", "low"),
        {"output_config": {"effort": "low"}},
        "",
        id="opus-4-5-effort",
    ),
]


def test_max_tokens_not_above_budget_is_a_usage_error(server: ReplayServer, llmcli: Cli) -> None:
    run = complete(
        llmcli, server, "claude-sonnet-4-5", "--thinking-budget", "8000", "--max-tokens", "4000"
    )
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == "llmcli: --max-tokens (4000) must exceed the thinking budget (8000)\n"
    assert server.requests == []


# ---- pure functions ----------------------------------------------------------------------


def test_encode_builds_the_whole_call() -> None:
    # The key's header comes from the registry entry, filled in at the edge.
    conn = resolve_connection(
        PROVIDERS["anthropic"], api_key=KEY, headers={"anthropic-beta": "b1,b2"}, env={}
    )
    got = encode(
        conn=conn,
        system="Be brief.",
        stop=["###"],
        user="u-1",
        temperature=0.2,
        top_p=0.9,
        top_k=40,
        max_tokens=300,
        options={"service_tier": "auto"},
    )
    assert got == HttpCall(
        method="POST",
        url="https://api.anthropic.com/v1/messages",
        headers={
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
            "x-api-key": KEY,
            "anthropic-beta": "b1,b2",
        },
        json={
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 300,
            "stream": True,
            "system": "Be brief.",
            "stop_sequences": ["###"],
            "metadata": {"user_id": "u-1"},
            "temperature": 0.2,
            "top_k": 40,
            "top_p": 0.9,
            "service_tier": "auto",
        },
        framing="sse",
        warnings=[],
    )


def test_encode_without_stream_or_key() -> None:
    got = encode(stream=False, conn=Connection("http://127.0.0.1:8080"))
    assert (got.framing, got.json) == ("json", encoded_body(stream=False))
    assert encoded_body(stream=False)["stream"] is False
    assert "x-api-key" not in got.headers


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.anthropic.com", "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/", "https://api.anthropic.com/v1/messages"),
        ("http://proxy:4000/anthropic", "http://proxy:4000/anthropic/v1/messages"),
        ("http://proxy:4000/v1/messages", "http://proxy:4000/v1/messages"),
        ("http://proxy:4000/v1/messages/", "http://proxy:4000/v1/messages"),
    ],
)
def test_messages_url_appends_path_only_when_missing(base: str, url: str) -> None:
    assert anthropic_body.messages_url(base) == url


@pytest.mark.parametrize(
    ("fields", "max_tokens", "thinking"),
    [
        ({}, 4096, None),
        ({"thinking": True}, 4096, 2048),
        ({"thinking": True, "thinking_budget": 1024}, 4096, 1024),
        ({"thinking": True, "thinking_budget": 4096}, 8192, 4096),
        ({"thinking": True, "thinking_budget": 32000}, 36096, 32000),
        ({"thinking": True, "thinking_budget": 1024, "max_tokens": 2000}, 2000, 1024),
        ({"reasoning_effort": "low"}, 4096, 1024),
        ({"reasoning_effort": "medium"}, 4096, 2048),
        ({"reasoning_effort": "high"}, 8192, 4096),
        ({"reasoning_effort": "none"}, 4096, None),
    ],
)
def test_max_tokens_default_and_thinking_budget(
    fields: dict[str, Any], max_tokens: int, thinking: int | None
) -> None:
    body = encoded_body(**fields)
    assert body["max_tokens"] == max_tokens
    expected = {"type": "enabled", "budget_tokens": thinking} if thinking else None
    assert body.get("thinking") == expected


@pytest.mark.parametrize("max_tokens", [1024, 1000])
def test_max_tokens_must_exceed_budget(max_tokens: int) -> None:
    with pytest.raises(UsageError) as err:
        encode(thinking=True, thinking_budget=1024, max_tokens=max_tokens)
    assert re.match(rf"--max-tokens \({max_tokens}\) must exceed .* \(1024\)", refusal(err.value))


def test_sampling_dropped_with_thinking_with_a_warning() -> None:
    got = encode(thinking=True, temperature=0.7, top_k=5, top_p=0.95)
    assert got.json is not None
    sampling = {key: got.json.get(key) for key in ("temperature", "top_k", "top_p")}
    assert sampling == {"temperature": None, "top_k": None, "top_p": 0.95}
    assert said(got.warnings) == [
        "anthropic takes no temperature with thinking: --temperature was not sent",
        "anthropic takes no top_k with thinking: --top-k was not sent",
    ]


def test_opus_4_5_effort_goes_to_output_config() -> None:
    fmt = {"format": {"type": "json_schema", "schema": {"type": "object"}}}
    body = encoded_body(
        model="claude-opus-4-5-20251101", reasoning_effort="high", options={"output_config": fmt}
    )
    # -o output_config.* merges with the effort instead of replacing it.
    assert body["output_config"] == {"effort": "high", **fmt}
    assert ("thinking" in body, body["max_tokens"]) == (False, 4096)
    with_budget = encoded_body(model="claude-opus-4-5", reasoning_effort="low", thinking=True)
    assert with_budget["output_config"] == {"effort": "low"}
    assert with_budget["thinking"] == {"type": "enabled", "budget_tokens": 2048}


@pytest.mark.parametrize("fields", [{"suffix": "x"}, {"text_completion": True}])
def test_fill_in_the_middle_is_a_usage_error(fields: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="no fill-in-the-middle"):
        encode(**fields)


def test_encode_messages_multi_turn() -> None:
    messages = [
        user_message("weather?"),
        Message(
            role="assistant",
            parts=[
                ReasoningPart(text="look it up", signature="sig"),
                ReasoningPart(redacted="opaque"),
                TextPart(text="Checking."),
                ToolCallPart(id="toolu_1", name="weather", arguments={"city": "Oslo"}),
            ],
        ),
        # Two user messages in a row merge; the tool result must still come first.
        user_message("also, hurry"),
        Message(
            role="user",
            parts=[
                ToolResultPart(tool_call_id="toolu_1", name="weather", content="-3C", is_error=True)
            ],
        ),
    ]
    assert anthropic_body.encode_messages(messages) == [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "look it up", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": "-3C",
                    "is_error": True,
                },
                {"type": "text", "text": "also, hurry"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("status", "body", "retryable", "line"),
    [
        (
            400,
            error_body("invalid_request_error", "max_tokens: Field required"),
            False,
            "anthropic 400 invalid_request_error: max_tokens: Field required",
        ),
        (
            401,
            error_body("authentication_error", "invalid x-api-key"),
            False,
            "anthropic 401 authentication_error: invalid x-api-key",
        ),
        (
            429,
            error_body("rate_limit_error", "Rate limit exceeded."),
            True,
            "anthropic 429 rate_limit_error: Rate limit exceeded.",
        ),
        (
            429,
            error_body(
                "rate_limit_error", "Spend limit.", error_code="enforced_spend_limit_reached"
            ),
            False,
            "anthropic 429 rate_limit_error: Spend limit.",
        ),
        (
            500,
            error_body("api_error", "Internal server error"),
            True,
            "anthropic 500 api_error: Internal server error",
        ),
        (
            529,
            error_body("overloaded_error", "Overloaded"),
            True,
            "anthropic 529 overloaded_error: Overloaded",
        ),
        (
            502,
            b"<html><body>Bad Gateway</body></html>",
            True,
            "anthropic 502: the server answered with an HTML page (a proxy or gateway error?)",
        ),
    ],
)
def test_decode_error(status: int, body: bytes, retryable: bool, line: str) -> None:
    err = anthropic.decode_error(status, body)
    assert (err.retryable, str(err), err.status) == (retryable, line, status)


def test_stream_usage_without_input_in_message_delta_keeps_message_start() -> None:
    """Older streams put only output_tokens in message_delta: the input counts stay."""
    body = sse(
        message_start(
            input_tokens=25,
            cache_read_input_tokens=100,
            cache_creation_input_tokens=7,
            output_tokens=1,
        ),
        *text_block(0, "Hi"),
        *message_end("end_turn", output_tokens=15),
    )
    assert fold(body, stream=True).usage == Usage(
        input_tokens=132, output_tokens=15, cache_read_tokens=100, cache_write_tokens=7
    )


@pytest.mark.parametrize(
    ("start_input", "fragments", "arguments"),
    [
        ({}, ['{"city": ', '"Oslo"}'], {"city": "Oslo"}),
        ({"city": "Oslo"}, [], {"city": "Oslo"}),
        # A start input followed by fragments: the fragments are the whole input.
        ({"city": "Os"}, ['{"city": "Oslo"}'], {"city": "Oslo"}),
        ({}, ['{"city": '], '{"city": '),  # unparseable: the raw text, not a crash
    ],
)
def test_streamed_tool_input(
    start_input: dict[str, Any], fragments: list[str], arguments: Any
) -> None:
    block = {"type": "tool_use", "id": "toolu_9", "name": "weather", "input": start_input}
    body = sse(
        message_start(input_tokens=5, output_tokens=1),
        {"type": "content_block_start", "index": 0, "content_block": block},
        *(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": f},
            }
            for f in fragments
        ),
        {"type": "content_block_stop", "index": 0},
        *message_end("tool_use", output_tokens=9),
    )
    result = fold(body, stream=True)
    assert result.tool_calls == [ToolCallDone("toolu_9", "weather", arguments)]
    assert result.finish_reason == "tool_calls"


def test_error_body_with_status_200_is_a_stream_error() -> None:
    result = fold(error_body("overloaded_error", "Overloaded"), stream=False)
    assert (result.finish_reason, result.error, result.usage) == ("error", "Overloaded", Usage())


def test_usage_without_input_tokens_is_unknown_not_the_cache_count() -> None:
    got = anthropic_answers.usage({"cache_read_input_tokens": 5, "output_tokens": 3})
    assert got == Usage(input_tokens=None, output_tokens=3, cache_read_tokens=5)
