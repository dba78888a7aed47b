"""The history's schema: numbered migrations (PRAGMA user_version), transactions, and
what goes into the full-text index."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from llmcli import store_content

if TYPE_CHECKING:
    import sqlite3


def _m1(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            model TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            parts TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX messages_conversation ON messages(conversation_id, id);
        CREATE TABLE responses (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            reasoning_tokens INTEGER,
            cache_read_tokens INTEGER,
            cache_write_tokens INTEGER,
            cost REAL,
            latency_ms INTEGER,
            ttft_ms INTEGER,
            finish_reason TEXT,
            error TEXT,
            citations TEXT NOT NULL DEFAULT '[]',
            request TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX responses_conversation ON responses(conversation_id);
        CREATE VIRTUAL TABLE message_fts USING fts5(text);
        """,
    )


def _script(db: sqlite3.Connection, sql: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _m2(db: sqlite3.Connection) -> None:
    """Large texts stored once; the full-text index keeps no copy of the text."""
    _script(
        db,
        """
        CREATE TABLE contents (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            data TEXT NOT NULL
        );
        DROP TABLE message_fts;
        CREATE VIRTUAL TABLE message_fts USING fts5(text, content='');
        """,
    )
    for row in list(db.execute("SELECT id, parts FROM messages")):
        parts = json.loads(row["parts"])
        index(db, row["id"], parts)
        if len(row["parts"]) >= store_content.LARGE:
            db.execute(
                "UPDATE messages SET parts = ? WHERE id = ?",
                (dumps(store_content.shrink(db, parts)), row["id"]),
            )
    large = "SELECT id, request FROM responses WHERE length(request) >= ?"
    for row in list(db.execute(large, (store_content.LARGE,))):
        request = store_content.shrink(db, json.loads(row["request"]))
        db.execute("UPDATE responses SET request = ? WHERE id = ?", (dumps(request), row["id"]))


def _m_fragments(db: sqlite3.Connection) -> None:
    """Fragments linked to each answer that used them (`flag`: -f or --sf); their text is
    stored once in `contents`, keyed by its SHA-256 (store_fragments.py)."""
    _script(
        db,
        """
        CREATE TABLE fragment_uses (
            response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            source TEXT NOT NULL,
            hash TEXT NOT NULL,
            flag TEXT NOT NULL,
            PRIMARY KEY (response_id, position)
        );
        CREATE INDEX fragment_uses_hash ON fragment_uses(hash);
        """,
    )


def _m_arena(db: sqlite3.Connection) -> None:
    """Arena votes from the playground (llmcli/serve/pages.py): the models compared, the
    one preferred, and the prompt's hash (never the prompt or a key)."""
    _script(
        db,
        """
        CREATE TABLE arena_votes (
            id INTEGER PRIMARY KEY,
            models TEXT NOT NULL,
            winner TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        """,
    )


# Numbered migrations: index + 1 is the schema version stored in PRAGMA user_version.
def _m_context(db: sqlite3.Connection) -> None:
    """Summaries that stand for a conversation's oldest messages (--context summarize):
    the newest one covering the most is used on the next turn."""
    _script(
        db,
        """
        CREATE TABLE summaries (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            covers INTEGER NOT NULL,
            text TEXT NOT NULL,
            model TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX summaries_conversation ON summaries(conversation_id, covers);
        """,
    )


def _m_serve(db: sqlite3.Connection) -> None:
    """Where a conversation came from (`cli`; `serve` for the gateway's calls; `batch ID`
    or `batch run OUT`), and for a served call the deployment that answered and the HTTP
    status returned."""
    _script(
        db,
        """
        ALTER TABLE conversations ADD COLUMN source TEXT NOT NULL DEFAULT 'cli';
        ALTER TABLE responses ADD COLUMN deployment TEXT;
        ALTER TABLE responses ADD COLUMN status INTEGER
        """,
    )


def _m_batch(db: sqlite3.Connection) -> None:
    """Provider batches submitted from here (so `batch list`/`fetch` need only the id);
    the conversations a batch made say so in `source` (`batch ID`, `batch run OUT`)."""
    _script(
        db,
        """
        CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            base_url TEXT,
            input_path TEXT,
            input_hash TEXT,
            requests INTEGER,
            state TEXT,
            created_at REAL NOT NULL,
            expires_at REAL,
            fetched_at REAL
        );
        """,
    )


# Numbered migrations: index + 1 is the schema version stored in PRAGMA user_version.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m1,
    _m2,
    _m_fragments,
    _m_context,
    _m_serve,
    _m_batch,
    _m_arena,
]


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations this database has not seen, each in its own transaction."""
    while True:
        with transaction(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(MIGRATIONS):
                return
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so concurrent writers queue on
    # busy_timeout instead of failing on a lock upgrade.
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def index(db: sqlite3.Connection, message_id: int, parts: list[dict[str, Any]]) -> None:
    text = searchable(parts)
    if text:
        db.execute("INSERT INTO message_fts (rowid, text) VALUES (?, ?)", (message_id, text))


def searchable(parts: list[dict[str, Any]]) -> str:
    return "\n".join(
        p["text"] for p in parts if p.get("type") == "text" and isinstance(p.get("text"), str)
    )
