"""Fragments in the history: each text stored once, keyed by its SHA-256, linked to every
answer that used it, and named by `logs show`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from tests.samples import openai_reply

MODEL = ("-m", "openai/gpt-4o-mini")
BIG = "".join(f"line {n} of a large design document\n" for n in range(2000))  # ~70 KB
# Below the size at which any long text is stored once (store_content.LARGE).
SMALL = "".join(f"point {n} of the style guide\n" for n in range(60))  # ~1.7 KB


def in_contents(db: Path, text: str) -> bool:
    conn = sqlite3.connect(db)
    found = any(text == value for (value,) in conn.execute("SELECT data FROM contents"))
    conn.close()
    return found


def stored_copies(db: Path, text: str) -> int:
    """How many rows of any table hold `text` (a copy, not a reference)."""
    conn = sqlite3.connect(db)
    found = 0
    for sql in (
        "SELECT data FROM contents",
        "SELECT parts FROM messages",
        "SELECT request FROM responses",
    ):
        found += sum(1 for (value,) in conn.execute(sql) if value and text in value)
    conn.close()
    return found


def show(llmcli, db: Path, cid: str) -> dict:
    run = llmcli("logs", "show", cid, "--json", "--db", str(db))
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def ids(llmcli, db: Path) -> list[str]:
    run = llmcli("logs", "list", "--json", "--db", str(db))
    return [row["id"] for row in json.loads(run.stdout)]


def test_a_fragment_used_in_two_prompts_is_stored_once(llmcli, server, tmp_path):
    doc = tmp_path / "design.md"
    doc.write_text(BIG)
    small = tmp_path / "small.txt"
    small.write_text("tiny note\n")
    db = tmp_path / "logs.db"
    for question in ("explain the design", "list the risks"):
        server.queue(openai_reply())
        run = llmcli(
            "complete", *MODEL, "--api-base", server.url, "--db", str(db),
            "-f", str(doc), "-f", str(small), question,
        )  # fmt: skip
        assert run.code == 0, run.stderr
    sent = BIG.rstrip("\n")
    assert stored_copies(db, sent) == 1  # in `contents` only: not in messages or requests
    assert stored_copies(db, "tiny note") == 1
    for cid in ids(llmcli, db):
        data = show(llmcli, db, cid)
        prompt = data["messages"][0]["parts"][0]["text"]
        assert prompt.startswith(f"{doc}\n```\n{sent}\n```\n\n{small}\n```\ntiny note\n```")
        assert data["responses"][0]["request"]["body"]["messages"][-1]["content"] == prompt
        assert data["responses"][0]["fragments"] == [
            {"source": str(doc), "sha256": hashlib.sha256(sent.encode()).hexdigest(),
             "flag": "-f"},
            {"source": str(small), "sha256": hashlib.sha256(b"tiny note").hexdigest(),
             "flag": "-f"},
        ]  # fmt: skip


def test_logs_show_names_the_fragments(llmcli, server, tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text("remember the milk\n")
    db = tmp_path / "logs.db"
    server.queue(openai_reply())
    run = llmcli(
        "complete", *MODEL, "--api-base", server.url, "--db", str(db),
        "--sf", str(doc), "-f", "!echo hello", "--allow-commands", "what now?",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    shown = llmcli("logs", "show", ids(llmcli, db)[0], "--db", str(db))
    digest = hashlib.sha256(b"remember the milk").hexdigest()[:12]
    hello = hashlib.sha256(b"hello").hexdigest()[:12]
    assert f"- `{digest}` {doc} (--sf), answer 1" in shown.stdout
    assert f"- `{hello}` $ echo hello (-f), answer 1" in shown.stdout


def test_a_continued_conversation_keeps_one_copy(llmcli, server, tmp_path):
    doc = tmp_path / "style.md"
    doc.write_text(SMALL)
    db = tmp_path / "logs.db"
    server.queue(openai_reply())
    first = llmcli(
        "complete", *MODEL, "--api-base", server.url, "--db", str(db), "-f", str(doc), "why?"
    )
    assert first.code == 0, first.stderr
    server.queue(openai_reply())
    again = llmcli("complete", "--api-base", server.url, "--db", str(db), "-c", "and then?")
    assert again.code == 0, again.stderr
    assert SMALL.rstrip("\n") in server.requests[-1].json["messages"][0]["content"]
    # The second stored request holds the first prompt again: it refers to the text too.
    assert stored_copies(db, SMALL.rstrip("\n")) == 1


def test_removing_conversations_forgets_a_fragment_only_when_unused(llmcli, server, tmp_path):
    doc = tmp_path / "style.md"
    doc.write_text(SMALL)
    db = tmp_path / "logs.db"
    for question in ("one", "two"):
        server.queue(openai_reply())
        run = llmcli(
            "complete", *MODEL, "--api-base", server.url, "--db", str(db), "-f", str(doc), question
        )
        assert run.code == 0, run.stderr
    first, second = ids(llmcli, db)
    assert llmcli("logs", "rm", first, "--db", str(db)).code == 0
    assert in_contents(db, SMALL.rstrip("\n"))
    assert show(llmcli, db, second)["messages"][0]["parts"][0]["text"].count("point 59") == 1
    assert llmcli("logs", "rm", second, "--db", str(db)).code == 0
    assert stored_copies(db, SMALL.rstrip("\n")) == 0


def test_the_search_index_leaves_fragments_out_and_forgets_cleanly(llmcli, server, tmp_path):
    doc = tmp_path / "style.md"
    doc.write_text(SMALL + "zanzibar\n")
    db = tmp_path / "logs.db"
    server.queue(openai_reply())
    run = llmcli(
        "complete", *MODEL, "--api-base", server.url, "--db", str(db),
        "-f", str(doc), "what about quokkas",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    found = llmcli("logs", "search", "quokkas", "--json", "--db", str(db))
    assert len(json.loads(found.stdout)) == 1
    # Indexed once per use, a large file would grow the index by its size each time.
    assert json.loads(llmcli("logs", "search", "zanzibar", "--json", "--db", str(db)).stdout) == []
    assert llmcli("logs", "rm", ids(llmcli, db)[0], "--db", str(db)).code == 0
    conn = sqlite3.connect(db)
    # A contentless index forgets a row only when given the text it indexed: then no
    # term is left.
    conn.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, message_fts, 'row')")
    assert conn.execute("SELECT term FROM temp.terms").fetchall() == []
    conn.close()
    assert json.loads(llmcli("logs", "search", "quokkas", "--json", "--db", str(db)).stdout) == []
