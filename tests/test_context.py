"""Conversations longer than the context window: 200 stored exchanges against a model
with a small window (gpt-3.5-turbo: 16,385 tokens, 4,096 out) are cut at exchange
boundaries with tool calls kept with their results; --context summarize stores a summary
that the next turn reuses; --context error refuses; and a replayed "context length
exceeded" error from each provider triggers one retry, then one line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from llmcli import store
from llmcli.context import SUMMARY_HEAD, SUMMARY_INSTRUCTIONS, exchanges, truncate
from llmcli.cost import local_tokens, message_chars
from llmcli.local import DEFAULT_NAME
from llmcli.request import Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from tests.servers import FIXTURES, ReplayServer, Reply

SMALL = "openai/gpt-3.5-turbo"
BUDGET = 16_385 - 4_096  # the window less the room kept for the answer
FILL = "x" * 300


def chat_answer(text: str = "ok") -> Reply:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-3.5-turbo",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text},
             "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
    }  # fmt: skip
    return Reply(body=json.dumps(body).encode())


def seed(db: Path, count: int, tool_every: int = 10) -> str:
    """A stored conversation of `count` exchanges; every `tool_every`th calls a tool."""
    conn = store.connect(db)
    cid = store.create_conversation(conn, "long", SMALL)
    record = store.ResponseRecord("openai", "gpt-3.5-turbo", {}, "stop", None, [], None, 1, 1)
    for i in range(count):
        rows: list[tuple[str, list[dict[str, object]]]] = [
            ("user", [{"type": "text", "text": f"q{i} {FILL}"}])
        ]
        if i % tool_every == tool_every - 1:
            call = {"type": "tool_call", "id": f"call_{i}", "name": "lookup", "arguments": {}}
            result = {"type": "tool_result", "tool_call_id": f"call_{i}", "name": "lookup",
                      "content": f"result {i} {FILL}"}  # fmt: skip
            rows += [("assistant", [call]), ("user", [result])]
        rows.append(("assistant", [{"type": "text", "text": f"a{i} {FILL}"}]))
        store.add_exchange(conn, cid, rows, record)
    conn.close()
    return cid


def run_turn(llmcli, server: ReplayServer, db: Path, cid: str, *more: str, model: str = SMALL):
    return llmcli(
        "complete", "-m", model, "--api-base", server.url, "--no-stream", "--db", str(db),
        "--cid", cid, *more, "next",
    )  # fmt: skip


def test_200_exchanges_are_cut_at_exchange_boundaries(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 200)
    server.queue(chat_answer())
    run = run_turn(llmcli, server, db, cid)
    assert run.code == 0, run.stderr
    sent = server.requests[0].json["messages"]
    prompts = [m for m in sent if m["role"] == "user"]
    kept = len(prompts) - 1  # the stored exchanges still sent, then "next"
    first = int(prompts[0]["content"].split()[0][1:])
    assert first == 200 - kept  # the newest, contiguous
    assert f"dropped the oldest {200 - kept} exchange(s)" in run.stderr
    assert prompts[-1]["content"] == "next"
    size = local_tokens(sum(len(json.dumps(m)) for m in sent))
    assert size <= BUDGET * 1.2 and kept > 20  # near the budget, not far under it
    # Every tool call is followed by its result, and every result follows its call.
    for index, message in enumerate(sent):
        for call in message.get("tool_calls") or []:
            assert sent[index + 1]["role"] == "tool"
            assert sent[index + 1]["tool_call_id"] == call["id"]
        if message["role"] == "tool":
            assert sent[index - 1]["tool_calls"][0]["id"] == message["tool_call_id"]
    assert sent[0]["role"] == "user" and not sent[0]["content"].startswith("result")


def test_a_conversation_that_fits_is_sent_whole(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 5)
    server.queue(chat_answer())
    run = run_turn(llmcli, server, db, cid)
    assert run.code == 0 and "dropped" not in run.stderr
    assert sum(m["role"] == "user" for m in server.requests[0].json["messages"]) == 6


def test_thinking_and_tool_turns_stay_together() -> None:
    """Anthropic needs the thinking block with the tool turn it came with."""

    def user(text: str) -> Message:
        return Message(role="user", parts=[TextPart(text=text)])

    turn = [
        user("q1 " + FILL),
        Message(role="assistant", parts=[
            ReasoningPart(text="think " + FILL, signature="sig"),
            ToolCallPart(id="t1", name="f", arguments={}),
        ]),
        Message(role="user", parts=[ToolResultPart(tool_call_id="t1", name="f", content="r")]),
        Message(role="assistant", parts=[TextPart(text="a1")]),
    ]  # fmt: skip
    messages = [user("q0 " + FILL), Message(role="assistant", parts=[TextPart(text="a0")])]
    messages += [*turn, user("now")]
    assert [len(g) for g in exchanges(messages)] == [2, 4, 1]
    turn_size = local_tokens(sum(message_chars(m) for m in turn))
    fitted = truncate(messages, fixed=0, budget=turn_size + 5)  # no room for q0's exchange
    assert fitted.exchanges == 1 and fitted.messages == [*turn, user("now")]
    fitted = truncate(messages, fixed=0, budget=10)  # the newest exchange always stays
    assert fitted.messages == [user("now")] and fitted.exchanges == 2


def test_context_error_refuses(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 200)
    run = run_turn(llmcli, server, db, cid, "--context", "error")
    assert run.code == 2 and server.requests == []
    assert "does not fit openai/gpt-3.5-turbo's context window" in run.stderr


def test_summarize_stores_a_summary_the_next_turn_reuses(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 200)
    server.queue(chat_answer("SUMMARY-TEXT"), chat_answer("answer"))
    run = run_turn(llmcli, server, db, cid, "--context", "summarize")
    assert run.code == 0, run.stderr
    assert "replaced with a summary" in run.stderr
    asked, sent = (r.json["messages"] for r in server.requests)
    assert asked[0] == {"role": "system", "content": SUMMARY_INSTRUCTIONS}
    assert asked[1]["content"].startswith("User: q0 ")
    first_prompt = next(m for m in sent if m["role"] == "user")
    assert first_prompt["content"].startswith(f"{SUMMARY_HEAD}\nSUMMARY-TEXT")
    with sqlite3.connect(db) as conn:
        ((covers, text),) = conn.execute("SELECT covers, text FROM summaries").fetchall()
    assert text == "SUMMARY-TEXT" and covers > 0
    # The next turn (the default, truncate) starts from the summary: no new one is made.
    server.requests.clear()
    server.queue(chat_answer("again"))
    run = run_turn(llmcli, server, db, cid)
    assert run.code == 0, run.stderr
    (only,) = server.requests
    first_prompt = next(m for m in only.json["messages"] if m["role"] == "user")
    assert first_prompt["content"].startswith(f"{SUMMARY_HEAD}\nSUMMARY-TEXT")


def test_logs_show_has_the_summary_where_it_stands(server, llmcli, cli_env, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 200)
    cli_env["OPENAI_BASE_URL"] = server.url  # --summary-model gets no --api-base
    server.queue(chat_answer("SUMMARY-LINE-1\n\nSUMMARY-LINE-2"), chat_answer("answer"))
    more = ("--context", "summarize", "--summary-model", "openai/gpt-4o-mini")
    assert run_turn(llmcli, server, db, cid, *more).code == 0
    shown = llmcli("logs", "show", cid, "--json", "--db", str(db))
    assert shown.code == 0, shown.stderr
    data = json.loads(shown.stdout)
    ((summary),) = data["summaries"]
    assert summary["text"] == "SUMMARY-LINE-1\n\nSUMMARY-LINE-2"
    assert summary["model"] == "openai/gpt-4o-mini"  # the model that wrote it, not -m's
    covers = summary["covers"]
    assert 0 < covers < len(data["messages"])
    last_covered = data["messages"][covers - 1]["parts"][0]["text"]
    text = llmcli("logs", "show", cid, "--db", str(db)).stdout
    block = text.index("## Summary")
    assert text.rindex(last_covered, 0, block) > 0  # right after the messages it stands for
    after = data["messages"][covers]["parts"][0]["text"]
    assert text.index(after, block) > block
    note = text[block:].splitlines()[2]
    assert f"messages 1 to {covers}" in note and "openai/gpt-4o-mini" in note
    assert "> SUMMARY-LINE-1\n>\n> SUMMARY-LINE-2" in text


# ---- a provider's "too long" error: one retry ---------------------------------------

OPENAI_OK = chat_answer("after retry")
ANTHROPIC_OK = Reply(body=(FIXTURES / "anthropic/nonstream-text/response.json").read_bytes())
OLLAMA_OK = Reply(body=json.dumps({
    "model": "llama3.2", "created_at": "2025-01-01T00:00:00Z",
    "message": {"role": "assistant", "content": "after retry"}, "done": True,
    "done_reason": "stop", "prompt_eval_count": 10, "eval_count": 2,
}).encode())  # fmt: skip


def _error(body: dict[str, object]) -> Reply:
    return Reply(status=400, body=json.dumps(body).encode())


# The error bodies as each provider sends them (sources in llmcli/context.py).
TOO_LONG = {
    "openai/gpt-4o-mini": (_error({"error": {
        "message": "This model's maximum context length is 128000 tokens. However, your "
        "messages resulted in 130000 tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error", "param": "messages",
        "code": "context_length_exceeded"}}), OPENAI_OK),
    "deepseek/deepseek-chat": (_error({"error": {
        "message": "This model's maximum context length is 131072 tokens. However, you "
        "requested 131134 tokens (122942 in the messages, 8192 in the completion). Please "
        "reduce the length of the messages or completion.",
        "type": "invalid_request_error", "param": None, "code": "invalid_request_error"}}),
        OPENAI_OK),
    "openrouter/openai/gpt-4o-mini": (_error({"error": {
        "message": "This endpoint's maximum context length is 128000 tokens. However, you "
        "requested about 140000 tokens (140000 of text input). Please reduce the length of "
        "either one, or use the \"middle-out\" transform to compress your prompt "
        "automatically.", "code": 400}}), OPENAI_OK),
    "anthropic/claude-haiku-4-5": (_error({"type": "error", "error": {
        "type": "invalid_request_error",
        "message": "prompt is too long: 208310 tokens > 200000 maximum"}}), ANTHROPIC_OK),
    "ollama_chat/llama3.2": (_error({"error": "the input length exceeds the context length"}),
                        OLLAMA_OK),
    f"local/{DEFAULT_NAME}": (_error({"error": {
        "code": 400, "message": "request (4390 tokens) exceeds the available context size "
        "(4096 tokens), try increasing it", "type": "exceed_context_size_error",
        "n_prompt_tokens": 4390, "n_ctx": 4096}}), OPENAI_OK),
}  # fmt: skip


@pytest.mark.parametrize("model", list(TOO_LONG))
def test_a_too_long_error_is_retried_once_shorter(model, server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 12, tool_every=5)
    error, answer = TOO_LONG[model]
    server.queue(error, answer)
    run = run_turn(llmcli, server, db, cid, model=model)
    assert run.code == 0, run.stderr
    assert len(server.requests) == 2
    first, second = (r.json["messages"] for r in server.requests)
    assert len(second) < len(first)
    assert "dropped the oldest" in run.stderr


def test_a_second_too_long_error_gives_up_in_one_line(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 12)
    error, _ = TOO_LONG["openai/gpt-4o-mini"]
    server.queue(error)  # the last reply repeats
    run = run_turn(llmcli, server, db, cid, model="openai/gpt-4o-mini")
    assert run.code == 1 and len(server.requests) == 2
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .endswith("(still too long after dropping older exchanges)")
    )


def test_context_error_does_not_retry(server, llmcli, tmp_path) -> None:
    db = tmp_path / "logs.db"
    cid = seed(db, 12)
    error, answer = TOO_LONG["openai/gpt-4o-mini"]
    server.queue(error, answer)
    run = run_turn(llmcli, server, db, cid, "--context", "error", model="openai/gpt-4o-mini")
    assert run.code == 1 and len(server.requests) == 1
    assert "maximum context length" in run.stderr


def test_chat_truncates_too(server, cli_env, tmp_path) -> None:
    """The REPL sends through the same window: `chat --cid` on the 200 exchanges."""
    import sys

    import pexpect

    db = tmp_path / "logs.db"
    cid = seed(db, 200)
    server.queue(chat_answer("fresh answer"))
    argv = ["-m", "llmcli", "chat", "-m", SMALL, "--api-base", server.url, "--no-stream"]
    argv += ["--db", str(db), "--cid", cid]
    child = pexpect.spawn(
        sys.executable, argv, env={**cli_env, "PROMPT_TOOLKIT_NO_CPR": "1"},
        encoding="utf-8", timeout=30, dimensions=(40, 200),
    )  # fmt: skip
    child.expect("/help for commands")
    child.expect(">")
    child.sendline("next")
    child.expect(r"dropped the oldest \d+ exchange")
    child.expect("fresh answer")
    child.expect(">")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    sent = server.requests[0].json["messages"]
    assert sent[-1] == {"role": "user", "content": "next"}
    assert 20 < sum(m["role"] == "user" for m in sent) < 200
