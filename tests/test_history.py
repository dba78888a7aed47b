"""History: every exchange stored, continued conversations replayed, `llmcli logs`."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from llmcli import store
from tests.conftest import FAKE_KEYS
from tests.samples import openai_reply
from tests.servers import ReplayServer, load_case


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "logs.db"


def ask(
    llmcli,
    server: ReplayServer,
    db: Path,
    *args: str,
    text: str = "Hello there.",
    input: str | None = None,
):
    server.replies[:] = [openai_reply(text)]
    return llmcli(
        "complete",
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        server.url,
        "--db",
        str(db),
        *args,
        input=input,
    )


def test_exchange_is_stored_with_usage_timings_and_redacted_request(llmcli, server, db):
    run = ask(llmcli, server, db, "What is up?")
    assert run.code == 0, run.stderr
    (conv,) = rows(db, "SELECT title, model FROM conversations")
    assert conv == ("What is up?", "openai/gpt-4o-mini")
    messages = rows(db, "SELECT role, parts FROM messages ORDER BY id")
    assert [(r, json.loads(p)) for r, p in messages] == [
        ("user", [{"type": "text", "text": "What is up?"}]),
        ("assistant", [{"type": "text", "text": "Hello there."}]),
    ]
    (resp,) = rows(
        db,
        "SELECT provider, model, input_tokens, output_tokens, finish_reason, error, latency_ms,"
        " ttft_ms, request FROM responses",
    )
    assert resp[:6] == ("openai", "gpt-4o-mini", 9, 3, "stop", None)
    assert resp[6] >= resp[7] >= 0
    request = json.loads(resp[8])
    assert request["headers"]["authorization"] == "<redacted>"
    assert request["body"]["messages"] == [{"role": "user", "content": "What is up?"}]
    assert FAKE_KEYS["OPENAI_API_KEY"] not in db.read_bytes().decode(errors="replace")


def test_no_log_stores_nothing(llmcli, server, db):
    assert ask(llmcli, server, db, "--no-log", "hi").code == 0
    assert not db.exists() or rows(db, "SELECT COUNT(*) FROM messages") == [(0,)]


def test_continue_replays_the_conversation(llmcli, server, db):
    assert ask(llmcli, server, db, "First question", text="First answer.").code == 0
    run = ask(llmcli, server, db, "-c", "Second question", text="Second answer.")
    assert run.code == 0, run.stderr
    assert server.requests[-1].json["messages"] == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "Second question"},
    ]
    assert rows(db, "SELECT COUNT(*) FROM conversations") == [(1,)]
    assert rows(db, "SELECT COUNT(*) FROM messages") == [(4,)]


def test_cid_continues_a_given_conversation_with_its_model(llmcli, server, db):
    assert ask(llmcli, server, db, "One").code == 0
    (cid,) = rows(db, "SELECT id FROM conversations")[0]
    assert ask(llmcli, server, db, "Two").code == 0  # a second conversation
    server.queue(openai_reply())
    run = llmcli("complete", "--api-base", server.url, "--db", str(db), "--cid", cid, "Three")
    assert run.code == 0, run.stderr
    sent = server.requests[-1].json
    assert sent["model"] == "gpt-4o-mini"
    assert [m["content"] for m in sent["messages"]] == ["One", "Hello there.", "Three"]


def test_continue_without_history_and_unknown_cid_exit_2(llmcli, db):
    run = llmcli("complete", "-m", "openai/x", "--db", str(db), "-c", "hi")
    assert run.code == 2 and "no conversation to continue" in run.stderr
    run = llmcli("complete", "-m", "openai/x", "--db", str(db), "--cid", "nope", "hi")
    assert run.code == 2 and run.stderr == "llmcli: no conversation nope: see `llmcli logs list`\n"


def test_thinking_blocks_are_replayed_with_their_signatures(llmcli, server, db):
    """Turn 2 of a thinking conversation sends turn 1's thinking block back unchanged."""
    case = load_case("anthropic", "thinking-nonstream")
    server.queue(case.reply())
    first = llmcli(
        "complete",
        "-m",
        "anthropic/claude-sonnet-4-0",
        "--api-base",
        server.url,
        "--db",
        str(db),
        "--no-stream",
        "--thinking",
        "--thinking-budget",
        "1024",
        "How do I cross the street?",
    )
    assert first.code == 0, first.stderr
    server.queue(case.reply())
    second = llmcli(
        "complete",
        "--api-base",
        server.url,
        "--db",
        str(db),
        "--no-stream",
        "--thinking",
        "--thinking-budget",
        "1024",
        "-c",
        "Considering the way to cross the street, analogously, how do I cross the river?",
    )
    assert second.code == 0, second.stderr
    recorded = json.loads(
        (
            Path(__file__).parent
            / "fixtures/anthropic/thinking-nonstream-replay-turn2/request.json"
        ).read_text()
    )
    sent = server.requests[-1].json
    assert sent["messages"][1] == recorded["messages"][1]  # the assistant turn, signature included


def test_logs_list_show_search_export_rm(llmcli, server, db):
    assert (
        ask(llmcli, server, db, "Tell me about pelicans", text="Pelicans are large birds.").code
        == 0
    )
    assert ask(llmcli, server, db, "And about herons?", text="Herons wade.").code == 0
    listed = llmcli("logs", "list", "--db", str(db))
    assert listed.code == 0
    lines = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [line[4] for line in lines] == ["And about herons?", "Tell me about pelicans"]
    cid = lines[1][0]

    shown = llmcli("logs", "show", cid, "--db", str(db))
    assert "## User\n\nTell me about pelicans" in shown.stdout
    assert "## Assistant\n\nPelicans are large birds." in shown.stdout
    as_json = json.loads(llmcli("logs", "show", cid, "--json", "--db", str(db)).stdout)
    assert as_json["id"] == cid and len(as_json["messages"]) == 2
    assert as_json["responses"][0]["output_tokens"] == 3

    found = llmcli("logs", "search", "pelicans", "--db", str(db))
    assert found.stdout.splitlines() == [
        f"{cid}\tassistant\tPelicans are large birds.",
        f"{cid}\tuser\tTell me about pelicans",
    ]
    assert llmcli("logs", "search", 'a "quoted" (weird) query*', "--db", str(db)).code == 0

    exported = llmcli("logs", "export", cid, "--format", "json", "--db", str(db))
    assert json.loads(exported.stdout)["title"] == "Tell me about pelicans"
    assert llmcli("logs", "export", cid, "--format", "xml", "--db", str(db)).code == 2

    assert llmcli("logs", "rm", cid, "--db", str(db)).code == 0
    assert len(llmcli("logs", "list", "--db", str(db)).stdout.splitlines()) == 1
    assert llmcli("logs", "search", "pelicans", "--db", str(db)).stdout == ""
    assert llmcli("logs", "show", cid, "--db", str(db)).code == 2
    assert llmcli("logs", "path", "--db", str(db)).stdout.strip() == str(db)


def test_interrupted_and_failed_answers_are_stored_as_incomplete(llmcli, server, db):
    case = load_case("openai", "stream-text-usage")
    server.queue(case.reply(cut_after=len(case.response) // 2))
    run = llmcli(
        "complete", "-m", "openai/gpt-3.5-turbo", "--api-base", server.url, "--db", str(db), "hi"
    )
    assert run.code == 1
    (resp,) = rows(db, "SELECT finish_reason, error FROM responses")
    assert resp[0] == "error" and resp[1]
    (parts,) = rows(db, "SELECT parts FROM messages WHERE role = 'assistant'")[0]
    assert json.loads(parts)[0]["text"].startswith("1")


def test_migrations_are_numbered_and_idempotent(tmp_path: Path):
    path = tmp_path / "m.db"
    conn = store.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    again = store.connect(path)  # no migration runs twice
    assert again.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)


def test_eight_concurrent_processes_lose_no_rows(server: ReplayServer, cli_env, db):
    server.queue(openai_reply())
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llmcli",
                "complete",
                "-m",
                "openai/gpt-4o-mini",
                "--api-base",
                server.url,
                "--db",
                str(db),
                f"question {i}",
            ],
            env=cli_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(8)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, results
    assert rows(db, "SELECT COUNT(*) FROM conversations") == [(8,)]
    assert rows(db, "SELECT COUNT(*) FROM responses") == [(8,)]
    titles = sorted(t for (t,) in rows(db, "SELECT title FROM conversations"))
    assert titles == [f"question {i}" for i in range(8)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def _size(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.stat().st_size


def test_a_large_prompt_is_stored_once(llmcli, server, db):
    """Not three times (message, search index, stored request): the text is kept once by
    hash and everything that reads it still gets it whole."""
    assert ask(llmcli, server, db, "a small first question").code == 0
    before = _size(db)
    prompt = "\n".join(
        f"line {i}: the quick brown fox jumps over the lazy dog" for i in range(60_000)
    )
    run = ask(llmcli, server, db, "--force", input=prompt)  # over the model's window
    assert run.code == 0, run.stderr
    grown = _size(db) - before
    assert grown < 1.5 * len(prompt), f"grew {grown / len(prompt):.2f}x the prompt"
    (cid,) = rows(db, "SELECT id FROM conversations ORDER BY created_at DESC LIMIT 1")[0]
    shown = json.loads(llmcli("logs", "show", cid, "--json", "--db", str(db)).stdout)
    assert shown["messages"][0]["parts"][0]["text"] == prompt
    assert shown["responses"][0]["request"]["body"]["messages"][0]["content"] == prompt
    found = llmcli("logs", "search", "59999", "--json", "--db", str(db))
    (hit,) = json.loads(found.stdout)
    assert hit["conversation_id"] == cid and hit["text"] == prompt
    server.queue(openai_reply())
    assert ask(llmcli, server, db, "-c", "--force", "and then?").code == 0
    assert server.requests[-1].json["messages"][0]["content"] == prompt
    assert rows(db, "SELECT COUNT(*) FROM contents") == [(1,)]
    assert llmcli("logs", "rm", cid, "--db", str(db)).code == 0
    assert rows(db, "SELECT COUNT(*) FROM contents") == [(0,)]  # nothing left of the prompt
    assert llmcli("logs", "search", "59999", "--db", str(db)).stdout == ""


def test_an_old_database_migrates_its_large_texts(tmp_path: Path):
    """A version-1 file: large parts and requests move to `contents`, search still works."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    store.MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    big = "pelican " * 10_000
    old.execute("INSERT INTO conversations VALUES ('c1', 't', 'openai/x', 1.0)")
    old.execute(
        "INSERT INTO messages VALUES (1, 'c1', 'user', ?, 1.0)",
        (json.dumps([{"type": "text", "text": big}]),),
    )
    old.execute("INSERT INTO message_fts (rowid, text) VALUES (1, ?)", (big,))
    request = json.dumps({"body": {"messages": [{"role": "user", "content": big}]}})
    old.execute(
        "INSERT INTO responses (conversation_id, message_id, provider, model, request,"
        " created_at) VALUES ('c1', 1, 'openai', 'x', ?, 1.0)",
        (request,),
    )
    old.close()
    conn = store.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS)
    assert conn.execute("SELECT COUNT(*) FROM contents").fetchone()[0] == 1
    assert len(conn.execute("SELECT parts FROM messages").fetchone()[0]) < 200
    assert store.messages(conn, "c1")[0][1][0]["text"] == big
    assert json.loads(store.responses(conn, "c1")[0]["request"]) == json.loads(request)
    assert [hit["conversation_id"] for hit in store.search(conn, "pelican")] == ["c1"]


def test_an_attachment_and_its_data_url_are_stored_once(llmcli, server, db, tmp_path):
    """The message keeps the base64 data, the OpenAI request a data URL of the same data:
    one row in `contents`, and both read back whole."""
    image = tmp_path / "big.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400)
    data = base64.b64encode(image.read_bytes()).decode()
    assert ask(llmcli, server, db, "warm-up").code == 0
    before = _size(db)
    run = ask(llmcli, server, db, "-a", str(image), "what is it?")
    assert run.code == 0, run.stderr
    assert _size(db) - before < 1.5 * len(data)
    assert rows(db, "SELECT COUNT(*) FROM contents") == [(1,)]
    (cid,) = rows(db, "SELECT id FROM conversations ORDER BY created_at DESC LIMIT 1")[0]
    shown = json.loads(llmcli("logs", "show", cid, "--json", "--db", str(db)).stdout)
    attachment = shown["messages"][0]["parts"][0]
    assert attachment["data"] == data
    sent = shown["responses"][0]["request"]["body"]["messages"][0]["content"]
    assert sent == server.requests[-1].json["messages"][0]["content"]
    assert f"data:image/png;base64,{data}" in json.dumps(sent)


def test_a_huge_prompt_is_titled_from_its_start_only():
    """Splitting a 50 MB prompt into words to title it took some 600 MB: only the start
    counts, and the title is what splitting the whole prompt gave."""
    from llmcli.store import _title

    for prompt in (
        "word " * 2_000_000,
        "   \n" * 5_000 + "late start " * 50,
        "short prompt",
        "x" * 100,
    ):
        whole = " ".join(prompt.split())
        assert _title(prompt) == (whole[:77] + "…" if len(whole) > 78 else whole)
