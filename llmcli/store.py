"""Conversation history in SQLite: numbered migrations, WAL, one transaction per exchange.

Tables: `conversations`, `messages` (content parts as JSON, one row per message),
`responses` (per answer: provider, model, usage, cost, timings, finish reason and
the redacted request) and `message_fts` (FTS5 over message text for `logs search`).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli.errors import UsageError

if TYPE_CHECKING:
    # Loaded by `connect`: sqlite's libraries cost a run about 1 MiB, and a run that logs
    # nothing (--no-log, --json with logging off) never needs them.
    import sqlite3


def default_path() -> Path:
    home = os.environ.get("LLMCLI_HOME")
    if home:
        return Path(home) / "logs.db"
    import platformdirs

    return platformdirs.user_data_path("llmcli") / "logs.db"


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


# Numbered migrations: index + 1 is the schema version stored in PRAGMA user_version.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m1]


def connect(path: Path | None = None) -> sqlite3.Connection:
    import sqlite3

    path = path or default_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
    except (OSError, sqlite3.Error) as err:
        raise UsageError(f"cannot open the history database {path}: {err}") from None
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL never corrupts the database; it only skips an fsync per commit.
    db.execute("PRAGMA synchronous = NORMAL")
    # A page cache of 128 KiB, not sqlite's 2 MB: a run writes one exchange (or reads a
    # few rows), and indexing a long answer otherwise fills the cache, which is most
    # of the memory that writing the history costs.
    db.execute("PRAGMA cache_size = -128")
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db)
    return db


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


def new_id() -> str:
    """Sortable by creation time: milliseconds in hex, then randomness."""
    return f"{int(time.time() * 1000):011x}{secrets.token_hex(3)}"


@dataclass
class ResponseRecord:
    provider: str
    model: str
    usage: dict[str, Any]
    finish_reason: str | None
    error: str | None
    citations: list[dict[str, Any]]
    request: dict[str, Any] | None
    latency_ms: int | None
    ttft_ms: int | None


def create_conversation(db: sqlite3.Connection, title: str, model: str) -> str:
    cid = new_id()
    with transaction(db):
        db.execute(
            "INSERT INTO conversations (id, title, model, created_at) VALUES (?, ?, ?, ?)",
            (cid, _title(title), model, time.time()),
        )
    return cid


def _title(prompt: str) -> str:
    line = " ".join(prompt.split())
    return line[:77] + "…" if len(line) > 78 else line


def add_exchange(
    db: sqlite3.Connection,
    cid: str,
    messages: list[tuple[str, list[dict[str, Any]]]],
    response: ResponseRecord,
) -> None:
    """Store new messages (the user's, then the answer) and the response, atomically."""
    now = time.time()
    with transaction(db):
        message_id = 0
        for role, parts in messages:
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, role, parts, created_at)"
                " VALUES (?, ?, ?, ?)",
                (cid, role, json.dumps(parts, ensure_ascii=False), now),
            )
            message_id = cursor.lastrowid or 0
            text = _searchable(parts)
            if text:
                db.execute(
                    "INSERT INTO message_fts (rowid, text) VALUES (?, ?)", (message_id, text)
                )
        usage = response.usage
        db.execute(
            "INSERT INTO responses (conversation_id, message_id, provider, model, input_tokens,"
            " output_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens, cost,"
            " latency_ms, ttft_ms, finish_reason, error, citations, request, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                message_id,
                response.provider,
                response.model,
                usage.get("input_tokens"),
                usage.get("output_tokens"),
                usage.get("reasoning_tokens"),
                usage.get("cache_read_tokens"),
                usage.get("cache_write_tokens"),
                usage.get("cost"),
                response.latency_ms,
                response.ttft_ms,
                response.finish_reason,
                response.error,
                json.dumps(response.citations, ensure_ascii=False),
                json.dumps(response.request, ensure_ascii=False) if response.request else None,
                now,
            ),
        )


def _searchable(parts: list[dict[str, Any]]) -> str:
    return "\n".join(p.get("text", "") for p in parts if p.get("type") == "text")


def latest_conversation(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT id FROM conversations ORDER BY created_at DESC, id DESC LIMIT 1")
    found = row.fetchone()
    return str(found["id"]) if found else None


def conversation(db: sqlite3.Connection, cid: str) -> sqlite3.Row:
    row = db.execute("SELECT * FROM conversations WHERE id = ?", (cid,)).fetchone()
    if row is None:
        raise UsageError(f"no conversation {cid}: see `llmcli logs list`")
    return row  # type: ignore[no-any-return]


def messages(db: sqlite3.Connection, cid: str) -> list[tuple[str, list[dict[str, Any]]]]:
    rows = db.execute(
        "SELECT role, parts FROM messages WHERE conversation_id = ? ORDER BY id", (cid,)
    )
    return [(row["role"], json.loads(row["parts"])) for row in rows]


def responses(db: sqlite3.Connection, cid: str) -> list[sqlite3.Row]:
    rows = db.execute("SELECT * FROM responses WHERE conversation_id = ? ORDER BY id", (cid,))
    return list(rows)


def list_conversations(
    db: sqlite3.Connection, limit: int = 20, model: str | None = None
) -> list[sqlite3.Row]:
    query = (
        "SELECT c.*, COUNT(r.id) AS responses, SUM(r.cost) AS cost FROM conversations c"
        " LEFT JOIN responses r ON r.conversation_id = c.id"
    )
    args: list[Any] = []
    if model:
        query += " WHERE c.model LIKE ?"
        args.append(f"%{model}%")
    query += " GROUP BY c.id ORDER BY c.created_at DESC, c.id DESC LIMIT ?"
    args.append(limit)
    return list(db.execute(query, args))


def search(db: sqlite3.Connection, text: str, limit: int = 20) -> list[sqlite3.Row]:
    """Full-text search; the query is quoted so user text is never FTS syntax."""
    phrase = '"' + text.replace('"', '""') + '"'
    rows = db.execute(
        "SELECT m.conversation_id, m.role, m.parts, c.title FROM message_fts f"
        " JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.id = m.conversation_id"
        " WHERE message_fts MATCH ? ORDER BY m.id DESC LIMIT ?",
        (phrase, limit),
    )
    return list(rows)


def delete(db: sqlite3.Connection, cid: str) -> None:
    conversation(db, cid)
    with transaction(db):
        _forget_text(db, cid, 0)
        db.execute("DELETE FROM conversations WHERE id = ?", (cid,))


def drop_last_exchange(db: sqlite3.Connection, cid: str) -> bool:
    """`/undo`: remove the last user prompt and everything after it."""
    with transaction(db):
        rows = db.execute(
            "SELECT id, parts FROM messages WHERE conversation_id = ? AND role = 'user'"
            " ORDER BY id DESC",
            (cid,),
        )
        prompt = next((r["id"] for r in rows if _searchable(json.loads(r["parts"]))), None)
        if prompt is None:
            return False
        _forget_text(db, cid, prompt)
        db.execute("DELETE FROM messages WHERE conversation_id = ? AND id >= ?", (cid, prompt))
        return True


def _forget_text(db: sqlite3.Connection, cid: str, from_id: int) -> None:
    db.execute(
        "DELETE FROM message_fts WHERE rowid IN"
        " (SELECT id FROM messages WHERE conversation_id = ? AND id >= ?)",
        (cid, from_id),
    )


def cost_by_day(
    db: sqlite3.Connection, *, days: int | None = None, model: str | None = None
) -> list[sqlite3.Row]:
    """Answers, tokens and cost per local day and `provider/model`, oldest day first.

    `cost` sums the answers that have one; `unpriced` counts those that do not.
    """
    query = (
        "SELECT date(r.created_at, 'unixepoch', 'localtime') AS day,"
        " r.provider || '/' || r.model AS model, COUNT(*) AS answers,"
        " SUM(r.input_tokens) AS input_tokens, SUM(r.output_tokens) AS output_tokens,"
        " SUM(r.cost) AS cost, SUM(r.cost IS NULL) AS unpriced FROM responses r"
    )
    where: list[str] = []
    args: list[Any] = []
    if days is not None:
        where.append(
            "r.created_at >= CAST(strftime('%s', 'now', 'localtime', 'start of day', ?, 'utc')"
            " AS REAL)"
        )
        args.append(f"-{days - 1} days")
    if model:
        where.append("(r.provider || '/' || r.model) LIKE ?")
        args.append(f"%{model}%")
    if where:
        query += " WHERE " + " AND ".join(where)
    query += " GROUP BY day, model ORDER BY day, model"
    return list(db.execute(query, args))
