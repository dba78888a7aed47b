"""`llmcli batch submit|status|fetch|cancel|list` against tests/batch_api_mock.py, a
loopback mock of OpenAI's files + batches endpoints and Anthropic's message batches.

No recording of these APIs exists: the mock is built from their documented request and
response shapes (see its docstring), and these tests assert on what it received.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmcli.providers import batch_anthropic, batch_openai
from llmcli.providers.batch_api import Limits
from tests.batch_api_mock import BatchApiMock
from tests.batch_mock import ChatMock

OPENAI = "openai/gpt-4o-mini"
ANTHROPIC = "anthropic/claude-sonnet-4-5"
FAST = ("--poll", "0.01")


@pytest.fixture
def mock() -> Iterator[BatchApiMock]:
    server = BatchApiMock()
    yield server
    server.stop()


def base(mock: BatchApiMock, model: str) -> str:
    return mock.url + "/v1" if model.startswith("openai") else mock.url


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def read_out(path: Path) -> dict[str, dict[str, Any]]:
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    by_id = {line["custom_id"]: line for line in lines}
    assert len(by_id) == len(lines), "a custom_id appears twice"
    return by_id


def submit(llmcli: Any, mock: BatchApiMock, src: Path, model: str, *more: str) -> Any:
    return llmcli("batch", "submit", str(src), "-m", model, "--api-base", base(mock, model), *more)


MIXED = [
    {"custom_id": "ok-1", "prompt": "hello"},
    {"custom_id": "ok-2", "messages": [{"role": "user", "content": "world"}], "temperature": 0.5},
    {"custom_id": "err", "prompt": "bad request"},
    {"custom_id": "late", "prompt": "expire me"},
]


def test_openai_submit_uploads_the_live_bodies_then_creates_the_batch(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    run = submit(llmcli, mock, src, OPENAI, "-s", "Be brief")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == "batch_1"
    [upload] = mock.uploads
    assert upload["purpose"] == "batch" and upload["filename"].endswith(".jsonl")
    assert [x["custom_id"] for x in upload["lines"]] == ["ok-1", "ok-2", "err", "late"]
    first, second = upload["lines"][:2]
    assert first["method"] == "POST" and first["url"] == "/v1/chat/completions"
    assert first["body"]["model"] == "gpt-4o-mini"
    assert first["body"]["messages"] == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "hello"},
    ]
    assert second["body"]["temperature"] == 0.5  # the line's own field
    assert mock.creates == [
        {"input_file_id": "file-1", "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    ]
    method, path, headers = mock.calls[0]
    assert (method, path) == ("POST", "/v1/files")
    assert headers["authorization"].startswith("Bearer ")
    assert "batch fetch batch_1" in run.stderr


def test_anthropic_submit_sends_requests_with_params(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    run = submit(llmcli, mock, src, ANTHROPIC, "--max-tokens", "99")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == "msgbatch_001"
    [create] = mock.creates
    assert [r["custom_id"] for r in create["requests"]] == ["ok-1", "ok-2", "err", "late"]
    params = create["requests"][0]["params"]
    assert params["model"] == "claude-sonnet-4-5" and params["max_tokens"] == 99
    assert params["messages"] == [{"role": "user", "content": "hello"}]
    assert create["requests"][1]["params"]["temperature"] == 0.5
    method, path, headers = mock.calls[0]
    assert (method, path) == ("POST", "/v1/messages/batches")
    assert headers["anthropic-version"] and headers["x-api-key"]


@pytest.mark.parametrize("model", [OPENAI, ANTHROPIC])
def test_wait_polls_to_the_end_and_fetches_every_kind_of_result(llmcli, mock, tmp_path, model):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    out = tmp_path / "out.jsonl"
    run = submit(llmcli, mock, src, model, "--wait", "--output", str(out), *FAST)
    assert run.code == 1, run.stderr  # some lines failed: the output says which
    states = "in_progress, finalizing, completed" if model == OPENAI else "ended"
    for state in states.split(", "):
        assert f": {state}, " in run.stderr
    lines = read_out(out)
    assert lines["ok-1"]["result"]["content"] == "echo: hello"
    assert lines["ok-2"]["result"]["content"] == "echo: world"
    assert lines["err"]["error"]["status"] == 400
    assert lines["err"]["error"]["type"] == "invalid_request_error"
    assert lines["late"]["result"] is None
    assert lines["late"]["error"]["type"] in ("expired", "batch_expired")
    assert "2 done, 2 failed" in run.stderr


@pytest.mark.parametrize("model", [OPENAI, ANTHROPIC])
def test_fetched_lines_equal_live_mode_at_half_the_cost(llmcli, mock, tmp_path, model):
    good = [x for x in MIXED if x["custom_id"].startswith("ok")]
    src = write_lines(tmp_path / "in.jsonl", good)
    batched, live = tmp_path / "batched.jsonl", tmp_path / "live.jsonl"
    run = submit(llmcli, mock, src, model, "--wait", "--output", str(batched), *FAST)
    assert run.code == 0, run.stderr
    chat = ChatMock()
    try:
        run = llmcli(
            "batch", "run", str(src), "--output", str(live), "-m", model,
            "--api-base", base(chat, model),
        )  # fmt: skip
    finally:
        chat.stop()
    assert run.code == 0, run.stderr
    got, want = read_out(batched), read_out(live)
    for custom_id, line in want.items():
        batch_cost = got[custom_id]["result"]["usage"].pop("cost")
        live_cost = line["result"]["usage"].pop("cost")
        assert batch_cost == pytest.approx(live_cost / 2)
        assert got[custom_id] == line


@pytest.mark.parametrize("model", [OPENAI, ANTHROPIC])
def test_status_cancel_list_and_fetch_of_a_canceled_batch(llmcli, mock, tmp_path, model):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    batch_id = submit(llmcli, mock, src, model).stdout.strip()
    mock.frozen = True
    status = llmcli("batch", "status", batch_id)
    assert status.code == 0, status.stderr
    first = "validating" if model == OPENAI else "in_progress"
    assert f"\t{first}\t" in status.stdout
    assert "expires 2026-05-" in status.stdout
    cancel = llmcli("batch", "cancel", batch_id)
    assert cancel.code == 0, cancel.stderr
    assert ("\tcancelling\t" if model == OPENAI else "\tcanceling\t") in cancel.stdout
    assert json.loads(llmcli("batch", "status", batch_id, "--json").stdout)["id"] == batch_id
    early = llmcli("batch", "fetch", batch_id, "--output", str(tmp_path / "early.jsonl"))
    assert early.code == 2 and "add --wait" in early.stderr  # not ended yet
    mock.frozen = False
    out = tmp_path / "out.jsonl"
    fetch = llmcli("batch", "fetch", batch_id, "--output", str(out), "--wait", *FAST)
    assert fetch.code == 1, fetch.stderr
    lines = read_out(out)
    assert set(lines) == {"ok-1", "ok-2", "err", "late"}
    assert all(x["error"]["type"] in ("canceled", "batch_cancelled") for x in lines.values())
    listed = llmcli("batch", "list")
    assert batch_id in listed.stdout and model in listed.stdout
    provider = model.split("/")[0]
    remote = llmcli("batch", "list", "--provider", provider, "--api-base", base(mock, model))
    assert remote.code == 0, remote.stderr
    assert batch_id in remote.stdout


def test_fetch_cut_short_resumes_without_duplicates(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    out = tmp_path / "out.jsonl"
    batch_id = submit(llmcli, mock, src, ANTHROPIC, "--wait", "--output", str(out), *FAST)
    batch_id = "msgbatch_001"
    out.unlink()
    mock.cut_results_after = 2
    first = llmcli("batch", "fetch", batch_id, "--output", str(out), "--retries", "0")
    assert first.code != 0
    assert len(out.read_text().splitlines()) == 2
    again = llmcli("batch", "fetch", batch_id, "--output", str(out))
    assert "2 skipped" in again.stderr
    assert set(read_out(out)) == {"ok-1", "ok-2", "err", "late"}


@pytest.mark.parametrize("model", [OPENAI, ANTHROPIC])
def test_a_line_over_the_size_limit_is_refused_before_any_upload(
    llmcli, mock, tmp_path, monkeypatch, model
):
    wire = batch_openai if model == OPENAI else batch_anthropic
    monkeypatch.setattr(wire, "LIMITS", Limits(requests=10, bytes=400))
    src = write_lines(tmp_path / "in.jsonl", [*MIXED, {"custom_id": "big", "prompt": "x" * 500}])
    run = submit(llmcli, mock, src, model)
    assert run.code == 2
    assert "line 5:" in run.stderr and "more than a" in run.stderr
    assert mock.calls == []  # nothing uploaded


@pytest.mark.parametrize("model", [OPENAI, ANTHROPIC])
def test_input_above_the_request_limit_is_cut_into_several_batches(
    llmcli, mock, tmp_path, monkeypatch, model
):
    wire = batch_openai if model == OPENAI else batch_anthropic
    monkeypatch.setattr(wire, "LIMITS", Limits(requests=2, bytes=10**6))
    good = [{"custom_id": f"t{n}", "prompt": f"p{n}"} for n in range(5)]
    src = write_lines(tmp_path / "in.jsonl", good)
    out = tmp_path / "out.jsonl"
    run = submit(llmcli, mock, src, model, "--wait", "--output", str(out), *FAST)
    assert run.code == 0, run.stderr
    assert len(run.stdout.split()) == 3 and "cut into 3 batches" in run.stderr
    assert len(mock.creates) == 3
    assert {k: v["result"]["content"] for k, v in read_out(out).items()} == {
        f"t{n}": f"echo: p{n}" for n in range(5)
    }


def test_what_a_provider_would_refuse_is_refused_up_front(llmcli, mock, tmp_path):
    bad_id = write_lines(tmp_path / "a.jsonl", [{"custom_id": "has space", "prompt": "hi"}])
    run = submit(llmcli, mock, bad_id, ANTHROPIC)
    assert run.code == 2 and "line 1: custom_id 'has space'" in run.stderr
    mixed = write_lines(
        tmp_path / "b.jsonl",
        [{"custom_id": "a", "prompt": "hi"}, {"custom_id": "b", "prompt": "hi", "model": "gpt-4o"}],
    )
    run = submit(llmcli, mock, mixed, OPENAI)
    assert run.code == 2 and "one model per batch" in run.stderr
    run = llmcli("batch", "submit", str(bad_id), "-m", "ollama/llama3")
    assert run.code == 2 and "no Batch API" in run.stderr
    run = llmcli("batch", "status", "nonsense-id")
    assert run.code == 2 and "batch list" in run.stderr
    run = llmcli("batch", "fetch", "--output", str(tmp_path / "o.jsonl"))
    assert run.code == 2 and "give its id" in run.stderr
    assert mock.calls == []


def test_results_go_to_the_history_marked_with_their_batch(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    out = tmp_path / "out.jsonl"
    submit(llmcli, mock, src, OPENAI, "--wait", "--output", str(out), *FAST)
    listed = json.loads(llmcli("logs", "list", "--json").stdout)
    assert sorted(c["title"] for c in listed) == ["hello", "world"]
    assert {c["source"] for c in listed} == {"batch batch_1"}
    shown = llmcli("logs", "list").stdout.splitlines()  # TSV: the source comes last
    assert any(line.endswith("\thello\tbatch batch_1") for line in shown), shown
    cost = llmcli("logs", "cost")
    assert cost.code == 0 and "gpt-4o-mini" in cost.stdout
    out.unlink()
    llmcli("batch", "fetch", "batch_1", "--output", str(out), "--no-log")
    assert len(json.loads(llmcli("logs", "list", "--json").stdout)) == 2


def test_live_runs_are_stored_too_unless_no_log(llmcli, tmp_path):
    chat = ChatMock()
    src = write_lines(tmp_path / "in.jsonl", MIXED[:2])
    try:
        for flag in ("--no-log", "--log"):
            run = llmcli(
                "batch", "run", str(src), "--output", str(tmp_path / f"{flag}.jsonl"),
                "-m", OPENAI, "--api-base", chat.url + "/v1", flag,
            )  # fmt: skip
            assert run.code == 0, run.stderr
    finally:
        chat.stop()
    listed = json.loads(llmcli("logs", "list", "--json").stdout)
    assert sorted(c["title"] for c in listed) == ["hello", "world"]
    assert all(c["source"].startswith("batch run ") for c in listed)


def test_ctrl_c_while_waiting_leaves_the_batch_running(cli_env, mock, tmp_path):
    """A real process (signals): Ctrl-C stops the waiting, says how to fetch, exits 130."""
    import signal
    import subprocess
    import sys

    src = write_lines(tmp_path / "in.jsonl", MIXED)
    mock.frozen = True  # the batch never ends
    argv = [
        sys.executable, "-m", "llmcli", "batch", "submit", str(src), "-m", OPENAI,
        "--api-base", base(mock, OPENAI), "--wait", "--output", str(tmp_path / "out.jsonl"),
        "--poll", "0.05",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, env=cli_env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = proc.stderr.readline()
    while "validating" not in seen:
        seen = proc.stderr.readline()
        assert seen, "the process ended before it waited"
    proc.send_signal(signal.SIGINT)
    try:
        _, rest = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "stopped waiting; batch batch_1 goes on" in rest
    assert f"llmcli batch fetch batch_1 --output {tmp_path / 'out.jsonl'}" in rest
    assert mock.openai["batch_1"]["status"] == "validating"  # not canceled


def test_a_batch_submitted_elsewhere_is_fetched_by_its_id(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", MIXED[:1])
    batch_id = submit(llmcli, mock, src, OPENAI, "--db", str(tmp_path / "a.db")).stdout.strip()
    out = tmp_path / "out.jsonl"
    other = ("--db", str(tmp_path / "b.db"), "--api-base", mock.url + "/v1")
    run = llmcli("batch", "fetch", batch_id, "--output", str(out), "--wait", *FAST, *other)
    assert run.code == 0, run.stderr
    usage = read_out(out)["ok-1"]["result"]["usage"]
    assert usage["cost"] and usage["cost"] > 0  # priced: the answer named its model


def test_max_cost_refuses_a_batch_that_could_cost_more_before_any_upload(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    run = submit(llmcli, mock, src, OPENAI, "--max-cost", "0.001")
    assert run.code == 3
    assert "nothing submitted: the 4 requests could cost up to" in run.stderr
    assert mock.calls == []
    run = submit(llmcli, mock, src, OPENAI, "--max-cost", "0.01")
    assert run.code == 0, run.stderr
    assert len(mock.creates) == 1


def test_submit_fills_templates_and_fragments_as_batch_run_does(llmcli, mock, tmp_path):
    """-t/-p/-f apply to every line, and a line's own `param` wins, before any upload; a
    line whose variable is missing stops the submit (exit 2) with nothing sent."""
    (tmp_path / "t.toml").write_text('prompt = "Say $word in $lang"\n')
    (tmp_path / "notes.txt").write_text("NOTES")
    lines = [
        {"custom_id": "a", "param": {"word": "hi"}},
        {"custom_id": "b", "param": {"word": "yo"}},
    ]
    src = write_lines(tmp_path / "in.jsonl", lines)
    template = ("-t", str(tmp_path / "t.toml"))
    run = submit(
        llmcli,
        mock,
        src,
        OPENAI,
        *template,
        "-p",
        "lang",
        "French",
        "-f",
        str(tmp_path / "notes.txt"),
    )
    assert run.code == 0, run.stderr
    [upload] = mock.uploads
    texts = [line["body"]["messages"][-1]["content"] for line in upload["lines"]]
    assert all("NOTES" in text for text in texts)
    assert ["Say hi in French" in texts[0], "Say yo in French" in texts[1]] == [True, True]
    refused = submit(llmcli, mock, src, OPENAI, *template)
    assert refused.code == 2 and "lang" in refused.stderr
    assert len(mock.uploads) == 1


def test_an_openai_batch_failed_in_validation_says_why(llmcli, mock, tmp_path):
    """OpenAI refuses a whole input after `validating`: status `failed`, no result file,
    and `errors.data[]` of {code, line, message, param} (OpenAI API reference, the Batch
    object; `invalid_json_line` as observed in the wild)."""
    mock.refuse = [
        {
            "code": "invalid_json_line",
            "line": 2,
            "message": "This line is not parseable as valid JSON.",
            "param": None,
        }
    ]
    src = write_lines(tmp_path / "in.jsonl", MIXED[:2])
    out = tmp_path / "out.jsonl"
    run = submit(llmcli, mock, src, OPENAI, "--wait", "--output", str(out), *FAST)
    assert run.code == 1
    assert "batch batch_1 failed: invalid_json_line: This line is not parseable" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists() or out.read_text() == ""
    status = llmcli("batch", "status", "batch_1", "--api-base", base(mock, OPENAI))
    assert status.code == 0, status.stderr
    assert "failed" in status.stdout
    assert "error: invalid_json_line: This line is not parseable as valid JSON." in status.stdout
    fetch = llmcli("batch", "fetch", "batch_1", "--output", str(out))
    assert fetch.code == 1 and "invalid_json_line" in fetch.stderr


@pytest.mark.parametrize("model", [OPENAI, ANTHROPIC])
def test_fetch_ordered_writes_the_results_in_input_order(llmcli, mock, tmp_path, model):
    """The mock returns results out of order (OpenAI: answers reversed, failures in a
    second file); --ordered puts them back in the input's order, failures in place."""
    rows = [{"custom_id": f"id-{n}", "prompt": f"hello {n}"} for n in range(6)]
    rows[2]["prompt"] = "bad one"
    src = write_lines(tmp_path / "in.jsonl", [*rows[:3], {}, *rows[3:]])  # line 4: invalid
    batch_id = submit(llmcli, mock, src, model, "--skip-invalid").stdout.strip()
    plain, ordered = tmp_path / "plain.jsonl", tmp_path / "ordered.jsonl"
    assert llmcli("batch", "fetch", batch_id, "--output", str(plain), "--wait", *FAST).code == 1
    got = llmcli("batch", "fetch", batch_id, "--output", str(ordered), "--ordered")
    assert got.code == 1, got.stderr  # one line failed
    want = [r["custom_id"] for r in rows]
    in_order = [json.loads(x)["custom_id"] for x in ordered.read_text().splitlines()]
    assert in_order == want
    assert [json.loads(x)["custom_id"] for x in plain.read_text().splitlines()] != want
    assert read_out(ordered) == read_out(plain)  # the same lines, only their order differs
    again = llmcli("batch", "fetch", batch_id, "--output", str(ordered), "--ordered")
    assert again.code == 0 and "6 skipped" in again.stderr  # resumes: nothing twice
    fresh = llmcli("batch", "fetch", batch_id, "--output", str(ordered), "--ordered", "--fresh")
    assert fresh.code == 1 and "0 skipped" in fresh.stderr
    assert [json.loads(x)["custom_id"] for x in ordered.read_text().splitlines()] == want


def test_fetch_ordered_needs_the_input_submitted(llmcli, mock, tmp_path):
    src = write_lines(tmp_path / "in.jsonl", MIXED)
    batch_id = submit(llmcli, mock, src, OPENAI).stdout.strip()
    src.write_text(src.read_text() + "\n")
    out = tmp_path / "out.jsonl"
    got = llmcli("batch", "fetch", batch_id, "--output", str(out), "--ordered", "--wait")
    assert got.code == 2
    assert "--ordered needs the input file" in got.stderr and "Traceback" not in got.stderr
    assert mock.openai[batch_id]["status"] == "validating"  # refused before any wait
