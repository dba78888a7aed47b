"""Network faults, run as a user runs llmcli: retries, timeouts, broken streams, Ctrl-C.

Each test asserts the exit code, the one error line on stderr (never a traceback), how
many requests the server saw and how far apart, and what part of the answer was kept.

Provider bodies below are built from the documented shapes in
/work/shared/research/wire-formats.md (Anthropic `{"type":"error","error":{type,message}}`
and its SSE grammar, OpenAI `{"error":{message,type,param,code}}` and chunks, Ollama
NDJSON with `done`); the OpenRouter mid-stream error is the recorded fixture.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from llmcli.errors import MESSAGE_LIMIT
from llmcli.transport import (
    BASE_DELAY,
    JITTER,
    MAX_DELAY,
    backoff_delay,
    retry_after_seconds,
)
from tests.conftest import FAKE_KEYS
from tests.faults import Fault, FaultServer, closed_port, reset
from tests.servers import load_case
from tests.soak_shapes import KEY_PLACEHOLDER

OPENAI = "openai/gpt-4o-mini"
ANTHROPIC = "anthropic/claude-sonnet-4-5"
OLLAMA = "ollama_chat/llama3.2"
QUICK = {"retry-after-ms": "50"}  # keeps retries fast where spacing is not under test


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    srv = FaultServer().start()
    yield srv
    srv.stop()


def one_line(stderr: str) -> str:
    """The single `llmcli: ...` line; fails on tracebacks or extra output."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("llmcli: ")
    return lines[0]


# ---- documented bodies -----------------------------------------------------------------


def sse(*events: tuple[str | None, object]) -> bytes:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out).encode()


def openai_chunks(*words: str, finish: bool = True, done: bool = True) -> bytes:
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o-mini"}
    events: list[tuple[str | None, object]] = [
        (None, {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
    ]
    events += [(None, {**head, "choices": [{"index": 0, "delta": {"content": w}}]}) for w in words]
    if finish:
        stop = {"index": 0, "delta": {}, "finish_reason": "stop"}
        events.append((None, {**head, "choices": [stop]}))
    if done:
        events.append((None, "[DONE]"))
    return sse(*events)


def openai_stream(*words: str) -> Fault:
    return Fault(body=openai_chunks(*words), content_type="text/event-stream")


def openai_error(
    status: int, message: str, type_: str, code: str | None, headers: dict[str, str] | None = None
) -> Fault:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return Fault(status, json.dumps(body).encode(), headers=headers or {})


def anthropic_events(*words: str, stop: bool = True) -> list[tuple[str | None, object]]:
    message: dict[str, object] = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 9, "output_tokens": 1},
    }
    events: list[tuple[str | None, object]] = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}},
        ),
    ]
    for word in words:
        delta = {"type": "text_delta", "text": word}
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        )
    if stop:
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 3},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
    return events


def anthropic_stream(*words: str) -> Fault:
    return Fault(body=sse(*anthropic_events(*words)), content_type="text/event-stream")


def anthropic_error(
    status: int, type_: str, message: str, headers: dict[str, str] | None = None
) -> Fault:
    body = {"type": "error", "error": {"type": type_, "message": message}, "request_id": "req_1"}
    return Fault(status, json.dumps(body).encode(), headers=headers or {})


def ollama_lines(*words: str, done: bool = True) -> bytes:
    lines = [
        {"model": "llama3.2", "message": {"role": "assistant", "content": w}, "done": False}
        for w in words
    ]
    if done:
        lines.append(
            {
                "model": "llama3.2",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 9,
                "eval_count": 3,
            }
        )
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


# ---- retried, then the answer arrives --------------------------------------------------


def test_429_with_retry_after_waits_then_succeeds(llmcli, faults):
    faults.queue(
        openai_error(
            429,
            "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3.",
            "requests",
            "rate_limit_exceeded",
            headers={"retry-after": "1"},
        ),
        openai_stream("Hello ", "there."),
    )
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "Hello there.\n"
    assert run.stderr == ""
    assert len(faults.hits) == 2
    assert 0.9 <= faults.gaps()[0] < 3
    assert faults.hits[0].body == faults.hits[1].body  # the same request, sent again


def test_500_then_success_backs_off_half_a_second(llmcli, faults):
    faults.queue(
        anthropic_error(500, "api_error", "Internal server error"), anthropic_stream("Hi!")
    )
    run = llmcli("complete", "-m", ANTHROPIC, "--api-base", faults.url, "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "Hi!\n"
    assert run.stderr == ""
    assert len(faults.hits) == 2
    # No retry-after: the first backoff is BASE_DELAY with ±25 % jitter.
    assert BASE_DELAY * (1 - JITTER) - 0.02 <= faults.gaps()[0] < BASE_DELAY * (1 + JITTER) + 1


def test_reset_before_headers_is_retried(llmcli, faults):
    faults.queue(reset(), openai_stream("Back."))
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "Back.\n"
    assert len(faults.hits) == 2


def test_reset_after_headers_before_any_body_byte_is_retried(llmcli, faults):
    faults.queue(
        Fault(body=openai_chunks("x"), content_type="text/event-stream", reset_after=0),
        openai_stream("Whole."),
    )
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "Whole.\n"
    assert len(faults.hits) == 2


# ---- retried until the retries run out ----------------------------------------------------


def test_529_overloaded_three_times_gives_up(llmcli, faults):
    faults.queue(anthropic_error(529, "overloaded_error", "Overloaded", headers=QUICK))
    run = llmcli("complete", "-m", ANTHROPIC, "--api-base", faults.url, "--retries", "2", "hi")
    assert run.code == 1
    assert run.stdout == ""
    assert one_line(run.stderr) == "llmcli: anthropic 529 overloaded_error: Overloaded"
    assert len(faults.hits) == 3
    assert all(0.04 <= gap < 1 for gap in faults.gaps())  # retry-after-ms: 50


def test_retries_zero_sends_once(llmcli, faults):
    faults.queue(anthropic_error(529, "overloaded_error", "Overloaded", headers=QUICK))
    run = llmcli("complete", "-m", ANTHROPIC, "--api-base", faults.url, "--retries", "0", "hi")
    assert run.code == 1
    assert one_line(run.stderr) == "llmcli: anthropic 529 overloaded_error: Overloaded"
    assert len(faults.hits) == 1


def test_connection_refused_is_retried_then_named(llmcli):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    started = time.monotonic()
    run = llmcli("complete", "-m", OPENAI, "--api-base", url, "hi")
    elapsed = time.monotonic() - started
    assert run.code == 1
    assert run.stdout == ""
    line = one_line(run.stderr)
    assert line.startswith(f"llmcli: cannot connect to {url}/chat/completions (")
    assert "refused" in line.lower()
    # Two backoffs (0.5 s then 1 s, each -25 % at worst) prove the two retries.
    assert elapsed >= BASE_DELAY * 3 * (1 - JITTER)


def test_reset_before_headers_every_time_gives_up(llmcli, faults):
    faults.queue(reset())
    started = time.monotonic()
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "--retries", "1", "hi")
    assert run.code == 1
    assert run.stdout == ""
    line = one_line(run.stderr)
    assert line.startswith(f"llmcli: connection lost before the answer from {faults.url}/")
    assert len(faults.hits) == 2
    assert faults.gaps()[0] >= BASE_DELAY * (1 - JITTER) - 0.02
    assert time.monotonic() - started < 10


def test_html_502_from_a_proxy_is_retried_then_named(llmcli, faults):
    faults.queue(Fault(502, HTML_502, content_type="text/html"))
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    assert run.code == 1
    assert run.stdout == ""
    assert one_line(run.stderr) == (
        "llmcli: openai 502: the server answered with an HTML page (a proxy or gateway error?)"
    )
    assert len(faults.hits) == 3
    first, second = faults.gaps()
    # Exponential: ~0.5 s then ~1 s; with ±25 % jitter the second is always longer.
    assert BASE_DELAY * (1 - JITTER) - 0.02 <= first < second


# ---- never retried ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fault", "line"),
    [
        (
            OPENAI,
            openai_error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
                headers=QUICK,
            ),
            "llmcli: openai 429 insufficient_quota: You exceeded your current quota, please "
            "check your plan and billing details. (not retried: quota exhausted)",
        ),
        (
            ANTHROPIC,
            Fault(
                429,
                json.dumps(
                    {
                        "type": "error",
                        "error": {
                            "type": "rate_limit_error",
                            "message": "You have reached your specified API usage limits.",
                            "details": {"error_code": "enforced_spend_limit_reached"},
                        },
                    }
                ).encode(),
                headers=QUICK,
            ),
            "llmcli: anthropic 429 rate_limit_error: You have reached your specified API "
            "usage limits. (not retried: quota exhausted)",
        ),
    ],
    ids=["openai-insufficient_quota", "anthropic-enforced_spend_limit_reached"],
)
def test_429_quota_exhausted_is_not_retried(llmcli, faults, model, fault, line):
    faults.queue(fault)
    run = llmcli("complete", "-m", model, "--api-base", faults.url, "hi")
    assert run.code == 1
    assert run.stdout == ""
    assert one_line(run.stderr) == line
    assert len(faults.hits) == 1


def test_reset_after_half_the_stream_keeps_the_partial_answer(llmcli, faults):
    body = openai_chunks("One ", "two ", "three ", "four ", "five ", "six.")
    faults.queue(
        Fault(body=body, content_type="text/event-stream", reset_after=len(body) // 2),
        openai_stream("Should never be asked for."),
    )
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    assert run.code == 1
    assert run.stdout.startswith("One two ")
    assert "six" not in run.stdout
    assert run.stdout.endswith("\n")
    line = one_line(run.stderr)
    assert line.startswith(f"llmcli: connection lost reading {faults.url}/chat/completions")
    assert len(faults.hits) == 1


def test_reset_after_half_the_stream_json_has_content_and_error(llmcli, faults):
    body = openai_chunks("One ", "two ", "three ", "four ", "five ", "six.")
    faults.queue(Fault(body=body, content_type="text/event-stream", reset_after=len(body) // 2))
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "--json", "hi")
    assert run.code == 1
    assert run.json["content"].startswith("One two ")
    assert run.json["finish_reason"] == "error"
    assert one_line(run.stderr).startswith("llmcli: connection lost reading ")
    assert len(faults.hits) == 1


@pytest.mark.parametrize(
    ("model", "fault"),
    [
        (
            OPENAI,  # no finish_reason chunk and no `data: [DONE]`
            Fault(
                body=openai_chunks("Half ", "an ", "answer", finish=False, done=False),
                content_type="text/event-stream",
            ),
        ),
        (
            ANTHROPIC,  # no message_delta / message_stop
            Fault(
                body=sse(*anthropic_events("Half ", "an ", "answer", stop=False)),
                content_type="text/event-stream",
            ),
        ),
        (
            OLLAMA,  # no `"done": true` line
            Fault(
                body=ollama_lines("Half ", "an ", "answer", done=False),
                content_type="application/x-ndjson",
            ),
        ),
    ],
    ids=["openai", "anthropic", "ollama"],
)
def test_stream_without_its_terminator_is_an_error(llmcli, faults, model, fault):
    faults.queue(fault)
    provider = model.split("/")[0]
    run = llmcli("complete", "-m", model, "--api-base", faults.url, "hi")
    assert run.code == 1
    assert run.stdout == "Half an answer\n"
    assert one_line(run.stderr) == (
        f"llmcli: {provider}: the stream ended before the answer was complete"
    )
    assert len(faults.hits) == 1
    as_json = llmcli("complete", "-m", model, "--api-base", faults.url, "--json", "hi")
    assert as_json.code == 1
    assert as_json.json["content"] == "Half an answer"
    assert as_json.json["finish_reason"] == "error"


def test_malformed_json_chunk_keeps_what_came_before(llmcli, faults):
    good = openai_chunks("Before ", "the break.", finish=False, done=False)
    faults.queue(
        Fault(
            body=good + b'data: {"choices": [{"delta": {"content": "x"\n\n' + openai_chunks("y"),
            content_type="text/event-stream",
        )
    )
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    assert run.code == 1
    assert run.stdout == "Before the break.\n"
    line = one_line(run.stderr)
    assert line.startswith("llmcli: openai: the stream chunk is not valid JSON: ")
    assert len(faults.hits) == 1


@pytest.mark.parametrize(
    ("model", "body", "content_type"),
    [
        (OPENAI, openai_chunks("Kept ", "text.", finish=False, done=False), "text/event-stream"),
        (OLLAMA, ollama_lines("Kept ", "text.", done=False), "application/x-ndjson"),
    ],
    ids=["sse", "ndjson"],
)
def test_bytes_not_utf8_after_whole_frames_keep_the_text_before(
    llmcli, faults, tmp_path, model, body, content_type
):
    # One write (chunk=4096): the whole frames and the bad bytes arrive in one read.
    faults.queue(Fault(body=body + b"\xff\xfe garbage\n\n", content_type=content_type, chunk=4096))
    db = str(tmp_path / "logs.db")
    run = llmcli("complete", "-m", model, "--api-base", faults.url, "--db", db, "hi")
    assert run.code == 1
    assert run.stdout == "Kept text.\n"
    line = one_line(run.stderr)
    assert line.endswith(": the answer is not valid UTF-8 (invalid start byte)")
    cid = llmcli("logs", "list", "--db", db, "--json").json[0]["id"]
    shown = llmcli("logs", "show", cid, "--db", db, "--json")
    assert shown.code == 0, shown.stderr
    assert "Kept text." in shown.stdout
    assert '"finish_reason": "error"' in shown.stdout


def test_first_byte_slower_than_timeout_fails_fast(llmcli, faults):
    faults.queue(Fault(stall=2.0, body=openai_chunks("late")))
    started = time.monotonic()
    flags = ("--timeout", "0.5", "--retries", "0")
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, *flags, "hi")
    elapsed = time.monotonic() - started
    assert run.code == 1
    assert run.stdout == ""
    assert one_line(run.stderr) == (
        f"llmcli: timed out waiting for an answer from {faults.url}/chat/completions"
    )
    assert len(faults.hits) == 1
    assert elapsed < 1.8  # the 2 s stall was not waited out (process start included)


def test_stall_mid_stream_is_a_timeout_that_keeps_the_text(llmcli, faults):
    body = openai_chunks("Slow ", "answer.")
    faults.queue(
        Fault(body=body, content_type="text/event-stream", chunk=len(body) // 2, delay=3.0)
    )
    started = time.monotonic()
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, "--timeout", "0.5", "hi")
    assert run.code == 1
    assert run.stdout.startswith("Slow ")
    assert one_line(run.stderr) == (
        f"llmcli: timed out reading the answer from {faults.url}/chat/completions"
    )
    assert len(faults.hits) == 1  # text was shown: never retried
    assert time.monotonic() - started < 2.5


def test_anthropic_midstream_overloaded_error(llmcli, faults):
    events = anthropic_events("Partial ", "answer", stop=False)
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    faults.queue(Fault(body=sse(*events, ("error", error)), content_type="text/event-stream"))
    run = llmcli("complete", "-m", ANTHROPIC, "--api-base", faults.url, "hi")
    assert run.code == 1
    assert run.stdout == "Partial answer\n"
    assert one_line(run.stderr) == "llmcli: anthropic overloaded_error: Overloaded"
    assert len(faults.hits) == 1
    as_json = llmcli("complete", "-m", ANTHROPIC, "--api-base", faults.url, "--json", "hi")
    assert as_json.code == 1
    assert as_json.json["content"] == "Partial answer"
    assert as_json.json["finish_reason"] == "error"
    assert one_line(as_json.stderr) == "llmcli: anthropic overloaded_error: Overloaded"


def test_midstream_error_echoing_the_key_across_the_cut_leaves_no_piece_of_it(
    llmcli, faults, tmp_path
):
    # The key starts 15 characters before the 500-character cut of the error line.
    message = "x" * (MESSAGE_LIMIT - 15) + KEY_PLACEHOLDER + " was refused"
    events = anthropic_events("Partial ", "answer", stop=False)
    error = {"type": "error", "error": {"type": "overloaded_error", "message": message}}
    faults.queue(Fault(body=sse(*events, ("error", error)), content_type="text/event-stream"))
    db = tmp_path / "logs.db"
    run = llmcli("complete", "-m", ANTHROPIC, "--api-base", faults.url, "--db", str(db), "hi")
    assert run.code == 1
    assert run.stdout == "Partial answer\n"
    key = FAKE_KEYS["ANTHROPIC_API_KEY"]
    line = one_line(run.stderr)
    assert "<redacted>" in line
    assert key[:10] not in line
    assert key[:10].encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("logs.db*"))


def test_openrouter_midstream_error_chunk(llmcli, faults):
    case = load_case("openrouter", "stream-midstream-error")
    faults.queue(Fault(body=case.response, content_type=case.content_type))
    model = "openrouter/minimax/minimax-m2:free"
    run = llmcli("complete", "-m", model, "--api-base", faults.url, "--json", "hi")
    assert run.code == 1
    assert run.json["content"] == ""
    assert run.json["reasoning"] == "We need to respond to a greeting. The user"
    assert run.json["finish_reason"] == "error"
    assert run.json["usage"]["output_tokens"] == 10
    assert one_line(run.stderr) == "llmcli: openrouter 400: Token limit reached"
    assert len(faults.hits) == 1
    # As text, the reasoning went to stderr as it streamed; the error line comes last.
    plain = llmcli("complete", "-m", model, "--api-base", faults.url, "hi")
    assert plain.code == 1
    assert plain.stdout == ""
    assert plain.stderr.startswith("We need to respond to a greeting. The user")
    assert plain.stderr.endswith("\nllmcli: openrouter 400: Token limit reached\n")
    assert "Traceback" not in plain.stderr


@pytest.mark.parametrize(
    ("stream_flag", "line"),
    [
        ("--no-stream", "llmcli: openai: the answer was empty"),
        ("--stream", "llmcli: openai: the stream ended before the answer was complete"),
    ],
)
def test_empty_200_body(llmcli, faults, stream_flag, line):
    faults.queue(Fault(200, b""))
    run = llmcli("complete", "-m", OPENAI, "--api-base", faults.url, stream_flag, "hi")
    assert run.code == 1
    assert run.stdout == ""
    assert one_line(run.stderr) == line
    assert len(faults.hits) == 1  # a complete (if empty) answer: not retried
    as_json = llmcli(
        "complete", "-m", OPENAI, "--api-base", faults.url, stream_flag, "--json", "hi"
    )
    assert as_json.code == 1
    assert as_json.json["content"] == ""
    assert as_json.json["finish_reason"] == "error"


def test_gzip_encoded_stream_is_decoded(llmcli, faults):
    # httpx asks for gzip; Anthropic has been recorded answering SSE gzipped.
    body = gzip.compress(sse(*anthropic_events("Squeezed ", "text.")))
    faults.queue(
        Fault(body=body, content_type="text/event-stream", headers={"content-encoding": "gzip"})
    )
    run = llmcli("complete", "-m", ANTHROPIC, "--api-base", faults.url, "hi")
    assert run.code == 0, run.stderr
    assert run.stdout == "Squeezed text.\n"


# ---- Ctrl-C ---------------------------------------------------------------------------


def start(cli_env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "llmcli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
    )


def test_ctrl_c_mid_stream_keeps_the_text_and_exits_130(cli_env, faults):
    body = openai_chunks("First ", "second ", "third ", "fourth ", "fifth.")
    faults.queue(Fault(body=body, content_type="text/event-stream", chunk=150, delay=0.3))
    proc = start(cli_env, "complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    try:
        assert proc.stdout is not None
        first = os.read(proc.stdout.fileno(), 100)  # blocks until the first text is printed
        assert first.startswith(b"First")
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    stdout = (first + rest).decode()
    assert proc.returncode == 130
    assert stdout.startswith("First ")
    assert "fifth" not in stdout
    assert err.decode() == "llmcli: interrupted\n"
    assert len(faults.hits) == 1


def test_ctrl_c_while_waiting_to_retry_exits_130(cli_env, faults):
    wait = {"retry-after": "30"}
    faults.queue(openai_error(429, "Rate limit reached", "requests", "rate_limit_exceeded", wait))
    proc = start(cli_env, "complete", "-m", OPENAI, "--api-base", faults.url, "hi")
    try:
        deadline = time.monotonic() + 10
        while not faults.hits and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # now in the 30 s retry-after wait
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert out == b""
    assert err.decode() == "llmcli: interrupted\n"
    assert len(faults.hits) == 1


# ---- retry_after_seconds and backoff_delay ----------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "1"}, 1.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": " 7 "}, 7.0),
        ({"retry-after-ms": "50"}, 0.05),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # ms wins: more precise
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"Retry-After": "4"}, 4.0),
        ({}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after-ms": "nan"}, None),
        ({"retry-after": "Mon, 99 Foo 2024 25:61:00 GMT"}, None),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # in the past: now
    ],
)
def test_retry_after_seconds(headers, seconds):
    assert retry_after_seconds(httpx.Headers(headers)) == seconds


@pytest.mark.parametrize("zone", ["GMT", "-0000"])
def test_retry_after_http_date(zone):
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    value = format_datetime(when, usegmt=True)
    if zone != "GMT":
        value = value.replace("GMT", zone)
    got = retry_after_seconds(httpx.Headers({"retry-after": value}))
    assert got is not None
    assert 28 <= got <= 30


def test_backoff_grows_exponentially_within_jitter_bounds():
    for attempt in range(8):
        base = min(BASE_DELAY * 2**attempt, MAX_DELAY)
        delays = [backoff_delay(attempt) for _ in range(300)]
        assert all(base * (1 - JITTER) <= d <= base * (1 + JITTER) for d in delays)
        assert len(set(delays)) > 1  # jittered, not in lockstep
    # Each step's range sits above the previous one until the cap.
    assert BASE_DELAY * (1 - JITTER) * 2 > BASE_DELAY * (1 + JITTER)
    assert max(backoff_delay(50) for _ in range(100)) <= MAX_DELAY * (1 + JITTER)


def test_backoff_prefers_the_servers_hint_unless_it_is_too_long():
    assert backoff_delay(0, httpx.Headers({"retry-after": "3"})) == 3.0
    assert backoff_delay(5, httpx.Headers({"retry-after-ms": "50"})) == 0.05
    # An hour's hint is not waited for: plain backoff instead.
    long_wait = backoff_delay(0, httpx.Headers({"retry-after": "3600"}))
    assert BASE_DELAY * (1 - JITTER) <= long_wait <= BASE_DELAY * (1 + JITTER)
