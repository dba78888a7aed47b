"""`llmcli batch run` against a loopback chat server (tests/batch_mock.py), in-process."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.batch_mock import ChatMock

MODEL = "openai/gpt-4o-mini"  # priced in the catalog


@pytest.fixture
def mock() -> Iterator[ChatMock]:
    server = ChatMock()
    yield server
    server.stop()


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def read_out(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def batch(
    llmcli: Any, mock: ChatMock, src: Path, out: Path, *more: str, timeout: float = 60
) -> Any:
    return llmcli(
        "batch",
        "run",
        str(src),
        "--output",
        str(out),
        "-m",
        MODEL,
        "--api-base",
        mock.url + "/v1",
        *more,
        timeout=timeout,
    )


# The 2,000 lines run with the slow tests (LLMCLI_SLOW=1): 400 by default.
@pytest.mark.parametrize("count", [400, pytest.param(2000, marks=pytest.mark.slow)])
def test_every_line_answered_once_through_429s_and_500s(llmcli, tmp_path, count):
    mock = ChatMock(rate_limited=0.25, failing=0.03)
    try:
        src = write_lines(
            tmp_path / "in.jsonl", [{"custom_id": f"t{n}", "prompt": f"p{n}"} for n in range(count)]
        )
        out = tmp_path / "out.jsonl"
        run = batch(llmcli, mock, src, out, "--concurrency", "8", "--retries", "8", timeout=count)
    finally:
        mock.stop()
    assert run.code == 0, run.stderr
    lines = read_out(out)
    assert Counter(line["custom_id"] for line in lines) == {f"t{n}": 1 for n in range(count)}
    for line in lines:
        assert line["error"] is None
        assert line["result"]["content"] == "echo: p" + line["custom_id"][1:]
    assert f"{count} done, 0 failed, 0 skipped, {count * 15:,} tokens" in run.stderr
    # The 429s lowered the concurrency, and successes raised it again.
    lowest, final = map(
        int, re.search(r"concurrency (\d+) at lowest, (\d+) at the end", run.stderr).groups()
    )
    assert lowest < 8
    assert final > lowest


def test_invalid_lines_are_all_reported_before_anything_is_sent(llmcli, mock, tmp_path):
    src = write_lines(
        tmp_path / "in.jsonl",
        [
            {"custom_id": "a", "prompt": "x"},
            "not json",
            {"custom_id": "a", "prompt": "y"},
            {"custom_id": "c"},
            {"prompt": "numbered"},
        ],
    )
    run = batch(llmcli, mock, src, tmp_path / "out.jsonl")
    assert run.code == 2
    assert "line 2: not JSON" in run.stderr
    assert "line 3: custom_id 'a' repeats line 1" in run.stderr
    assert "line 4: no prompt" in run.stderr
    assert "Traceback" not in run.stderr
    assert mock.bodies == []


def test_skip_invalid_sends_the_rest_and_numbers_lines_without_an_id(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", ["{", {"prompt": "hello"}, {"custom_id": "x"}])
    out = tmp_path / "out.jsonl"
    run = batch(llmcli, mock, src, out, "--skip-invalid")
    assert run.code == 0, run.stderr
    got = [(x["custom_id"], x["result"]["content"]) for x in read_out(out)]
    assert got == [("2", "echo: hello")]


def test_provider_batch_shapes_and_overrides_reach_the_request(llmcli, mock, tmp_path):
    src = write_lines(
        tmp_path / "in.jsonl",
        [
            {
                "custom_id": "o",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "gpt-4o",
                    "max_completion_tokens": 50,
                    "seed": 3,
                    "messages": [
                        {"role": "system", "content": "be brief"},
                        {"role": "user", "content": "hi"},
                    ],
                },
            },
            {"custom_id": "p", "prompt": "plain", "temperature": 0.5, "max_tokens": 9},
        ],
    )
    out = tmp_path / "out.jsonl"
    run = batch(llmcli, mock, src, out, "--concurrency", "1", "--temperature", "0.1")
    assert run.code == 0, run.stderr
    first, second = mock.bodies
    assert first["model"] == "gpt-4o" and first["seed"] == 3
    assert first["messages"][0] == {"role": "system", "content": "be brief"}
    assert 50 in (first.get("max_tokens"), first.get("max_completion_tokens"))
    assert first["temperature"] == 0.1  # the command's flag where the line sets none
    assert second["temperature"] == 0.5 and second["model"] == "gpt-4o-mini"


def test_anthropic_params_line(llmcli, mock, tmp_path):
    src = write_lines(
        tmp_path / "in.jsonl",
        [
            {
                "custom_id": "a1",
                "params": {
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 20,
                    "system": "sys",
                    "messages": [{"role": "user", "content": [{"type": "text", "text": "yo"}]}],
                },
            }
        ],
    )
    out = tmp_path / "out.jsonl"
    run = llmcli("batch", "run", str(src), "--output", str(out), "--api-base", mock.url)
    assert run.code == 0, run.stderr
    (body,) = mock.bodies
    assert body["model"] == "claude-sonnet-4-5" and body["max_tokens"] == 20
    assert body["system"] in ("sys", [{"type": "text", "text": "sys"}])
    (line,) = read_out(out)
    assert line["result"]["content"] == "echo: yo" and line["result"]["provider"] == "anthropic"


def test_failed_line_has_its_error_and_the_run_goes_on(llmcli, mock, tmp_path):
    src = write_lines(
        tmp_path / "in.jsonl",
        [{"custom_id": "b", "prompt": "bad one"}, {"custom_id": "g", "prompt": "good"}],
    )
    out = tmp_path / "out.jsonl"
    run = batch(llmcli, mock, src, out)
    assert run.code == 1
    lines = {x["custom_id"]: x for x in read_out(out)}
    assert lines["b"]["result"] is None
    assert lines["b"]["error"]["status"] == 400
    assert lines["b"]["error"]["type"] == "invalid_request_error"
    assert lines["g"]["error"] is None
    assert "1 done, 1 failed" in run.stderr


def test_resume_skips_answered_ids_retries_failed_and_drops_a_torn_line(llmcli, mock, tmp_path):
    src = write_lines(
        tmp_path / "in.jsonl", [{"custom_id": c, "prompt": c} for c in ("one", "two", "three")]
    )
    out = tmp_path / "out.jsonl"
    ok = {"custom_id": "one", "result": {"content": "old"}, "error": None}
    failed = {
        "custom_id": "two",
        "result": None,
        "error": {"type": "x", "status": 500, "message": "m"},
    }
    out.write_text(json.dumps(ok) + "\n" + json.dumps(failed) + '\n{"custom_id": "thr')
    run = batch(llmcli, mock, src, out)
    assert run.code == 0, run.stderr
    assert sorted(b["messages"][-1]["content"] for b in mock.bodies) == ["three", "two"]
    lines = read_out(out)  # parses: the torn line is gone
    wins = Counter(x["custom_id"] for x in lines if x["result"] is not None)
    assert wins == {"one": 1, "two": 1, "three": 1}
    assert "2 done, 0 failed, 1 skipped" in run.stderr
    again = batch(llmcli, mock, src, out, "--fresh")
    assert again.code == 0 and len(read_out(out)) == 3 and len(mock.bodies) == 5


def test_ordered_keeps_input_order(llmcli, tmp_path):
    mock = ChatMock(delay=0.02)
    try:
        src = write_lines(
            tmp_path / "in.jsonl", [{"custom_id": str(n), "prompt": str(n)} for n in range(60)]
        )
        out = tmp_path / "out.jsonl"
        run = batch(llmcli, mock, src, out, "--ordered", "--concurrency", "8")
    finally:
        mock.stop()
    assert run.code == 0, run.stderr
    assert [x["custom_id"] for x in read_out(out)] == [str(n) for n in range(60)]
    assert mock.peak > 1  # they did run concurrently


def test_max_cost_stops_starting_requests(llmcli, mock, tmp_path):
    # gpt-4o-mini: each line is estimated at 1 input + 100 output tokens and really costs
    # 10 input + 5 output; a budget for about three estimates.
    from llmcli.catalog import usage_cost
    from llmcli.events import Usage

    estimate = usage_cost("openai", "gpt-4o-mini", Usage(input_tokens=1, output_tokens=100))
    assert estimate
    src = write_lines(
        tmp_path / "in.jsonl", [{"custom_id": str(n), "prompt": "x"} for n in range(50)]
    )
    out = tmp_path / "out.jsonl"
    run = batch(
        llmcli,
        mock,
        src,
        out,
        "--concurrency",
        "1",
        "--max-tokens",
        "100",
        "--max-cost",
        str(estimate * 3.5),
    )
    assert run.code == 3, run.stderr
    assert "stopped by --max-cost" in run.stderr
    spent = usage_cost("openai", "gpt-4o-mini", Usage(input_tokens=10, output_tokens=5))
    assert spent
    assert 3 <= len(read_out(out)) < 50
    assert len(read_out(out)) * spent <= estimate * 3.5 + estimate


def test_max_cost_refuses_an_unpriced_model(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [{"prompt": "x"}])
    run = llmcli(
        "batch",
        "run",
        str(src),
        "--output",
        str(tmp_path / "o.jsonl"),
        "-m",
        "openai/no-such-model-xyz",
        "--api-base",
        mock.url + "/v1",
        "--max-cost",
        "1",
    )
    assert run.code == 2
    assert "no price" in run.stderr and mock.bodies == []


def test_output_is_required(llmcli, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [{"prompt": "x"}])
    run = llmcli("batch", "run", str(src))
    assert run.code == 2 and "-o OUT.jsonl" in run.stderr


def test_stdin_input_and_rpm_spacing(llmcli, mock, tmp_path):
    lines = "".join(json.dumps({"prompt": f"s{n}"}) + "\n" for n in range(6))
    out = tmp_path / "out.jsonl"
    run = llmcli(
        "batch",
        "run",
        "-",
        "--output",
        str(out),
        "-m",
        MODEL,
        "--api-base",
        mock.url + "/v1",
        "--rpm",
        "300",
        input=lines,
    )
    assert run.code == 0, run.stderr
    got = {x["custom_id"]: x["result"]["content"] for x in read_out(out)}
    assert got == {str(n + 1): f"echo: s{n}" for n in range(6)}
    seconds = float(re.search(r"\$[\d.]+, ([\d.]+)s", run.stderr).group(1))
    assert seconds >= 5 * 60 / 300 - 0.05  # six starts 0.2 s apart


def test_a_bad_override_fails_its_line_only(llmcli, mock, tmp_path):
    src = write_lines(
        tmp_path / "in.jsonl",
        [
            {"custom_id": "t", "prompt": "x", "temperature": 9},
            {"custom_id": "s", "prompt": "x", "system": 5},  # JSON of the wrong type
            {"custom_id": "u", "prompt": "y"},
        ],
    )
    out = tmp_path / "out.jsonl"
    run = batch(llmcli, mock, src, out)
    assert run.code == 1
    lines = {x["custom_id"]: x for x in read_out(out)}
    assert "--temperature" in lines["t"]["error"]["message"]
    assert "'5': must be a string" in lines["s"]["error"]["message"]
    assert lines["u"]["result"]["content"] == "echo: y"
    assert len(mock.bodies) == 1
