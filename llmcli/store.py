"""Conversation history in SQLite: numbered migrations, WAL, one transaction per exchange.

Tables: `conversations`, `messages` (content parts as JSON, one row per message),
`responses` (per answer: provider, model, usage, cost, timings, finish reason and
the redacted request), `contents` (large texts, stored once by hash: see
store_content.py) and `message_fts` (contentless FTS5 over message text for `logs search`).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcli import store_content, store_files, store_fragments
from llmcli.errors import UsageError
from llmcli.store_fragments import Use
from llmcli.store_schema import MIGRATIONS, dumps, index, migrate, searchable, transaction

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


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open for writing (creating the file 0600) and migrate. A damaged, read-only or
    unusable file raises one line naming it and the way out, before any request."""
    import sqlite3

    path = path or default_path()
    store_files.prepare(path)
    try:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as err:
        raise store_files.failure(path, err) from None
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        switch_to_wal(db)
        # In WAL mode NORMAL never corrupts the database; it only skips an fsync per commit.
        db.execute("PRAGMA synchronous = NORMAL")
        # A page cache of 128 KiB, not sqlite's 2 MB: a run writes one exchange (or reads a
        # few rows), and indexing a long answer otherwise fills the cache, which is most
        # of the memory that writing the history costs.
        db.execute("PRAGMA cache_size = -128")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db)
        store_files.check_complete(db, path)
    except sqlite3.Error as err:
        db.close()
        raise store_files.failure(path, err) from None
    except UsageError:
        db.close()
        raise
    return db


def switch_to_wal(db: sqlite3.Connection, tries: int = 300) -> None:
    """`PRAGMA journal_mode = WAL`, tried again while the file is locked. Two processes
    switching a new file at once both hold a shared lock and want an exclusive one: SQLite
    answers one of them "database is locked" at once, without waiting in its busy handler
    (that would deadlock). Seen in CI with eight writers starting together."""
    import sqlite3

    for attempt in range(tries):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == tries - 1:
                raise
            time.sleep(0.01)


def connect_readonly(path: Path | None = None) -> sqlite3.Connection:
    """For commands that only read: works on a read-only file or filesystem."""
    path = path or default_path()
    if not path.exists():
        return connect(path)  # a first `logs list` finds an empty history, as before
    if path.is_dir():
        store_files.prepare(path)  # raises the directory's message
    db = store_files.open_readonly(path)
    behind = db.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS)
    # An old schema on a read-only file is read as it is (it has no stored-once references).
    if behind and store_files.writable(path):
        db.close()
        connect(path).close()  # migrate once (its checks warn about a shared file), then read
        return store_files.open_readonly(path)
    store_files.warn_if_shared(path)
    return db


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
    # A gateway call's (`llmcli serve`): the deployment that answered, the HTTP status.
    deployment: str | None = None
    status: int | None = None


def create_conversation(db: sqlite3.Connection, title: str, model: str, source: str = "cli") -> str:
    cid = new_id()
    with transaction(db):
        db.execute(
            "INSERT INTO conversations (id, title, model, created_at, source)"
            " VALUES (?, ?, ?, ?, ?)",
            (cid, _title(title), model, time.time(), source),
        )
    return cid


def _title(prompt: str) -> str:
    # Only the start of the prompt makes the title: splitting a whole 50 MB prompt into
    # words took some 600 MB. The window grows only for a start that is mostly blank.
    size = 4096
    while True:
        line = " ".join(prompt[:size].split())
        if len(line) > 78 or size >= len(prompt):
            break
        size *= 4
    return line[:77] + "…" if len(line) > 78 else line


def add_exchange(
    db: sqlite3.Connection,
    cid: str,
    messages: list[tuple[str, list[dict[str, Any]]]],
    response: ResponseRecord,
    fragments: Sequence[Use] = (),
    pieces: Sequence[str] = (),
) -> None:
    """Store new messages (the user's, then the answer) and the response, atomically;
    link the `fragments` the prompt used, and store the texts of `pieces` (fragments in
    these messages or the request) once (store_fragments.py)."""
    now = time.time()
    with transaction(db):
        message_id = 0
        for role, parts in messages:
            stored = dumps(store_content.shrink(db, parts, pieces))
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, role, parts, created_at)"
                " VALUES (?, ?, ?, ?)",
                (cid, role, stored, now),
            )
            message_id = cursor.lastrowid or 0
            # The index leaves fragments out: then `_forget_text` gives it the same text.
            index(db, message_id, _parts(db, stored, indexed=True) if pieces else parts)
        usage = response.usage
        cursor = db.execute(
            "INSERT INTO responses (conversation_id, message_id, provider, model, input_tokens,"
            " output_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens, cost,"
            " latency_ms, ttft_ms, finish_reason, error, citations, request, created_at,"
            " deployment, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                dumps(store_content.shrink(db, response.request, pieces))
                if response.request
                else None,
                now,
                response.deployment,
                response.status,
            ),
        )
        if fragments:
            store_fragments.link(db, cursor.lastrowid or 0, fragments)


def _parts(db: sqlite3.Connection, raw: str, indexed: bool = False) -> list[dict[str, Any]]:
    """A message's stored parts; `indexed`: as the full-text index holds them (no
    fragments)."""
    parts = json.loads(raw)
    if not store_content.has_refs(raw):
        return parts  # type: ignore[no-any-return]
    return store_content.expand(db, parts, fragments=not indexed)  # type: ignore[no-any-return]


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
    return [(row["role"], _parts(db, row["parts"])) for row in list(rows)]


def responses(db: sqlite3.Connection, cid: str) -> list[dict[str, Any]]:
    """Each answer's row; `request` is the stored request as JSON text, references expanded."""
    rows = db.execute("SELECT * FROM responses WHERE conversation_id = ? ORDER BY id", (cid,))
    out = [dict(row) for row in rows]
    for row in out:
        raw = row["request"]
        if raw and store_content.has_refs(raw):
            row["request"] = dumps(store_content.expand(db, json.loads(raw)))
    return out


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


def search(db: sqlite3.Connection, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Full-text search (the query is quoted so user text is never FTS syntax): each hit's
    conversation_id, title, role and text."""
    phrase = '"' + text.replace('"', '""') + '"'
    rows = db.execute(
        "SELECT m.conversation_id, m.role, m.parts, c.title FROM message_fts f"
        " JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.id = m.conversation_id"
        " WHERE message_fts MATCH ? ORDER BY m.id DESC LIMIT ?",
        (phrase, limit),
    )
    return [
        {
            "conversation_id": r["conversation_id"],
            "title": r["title"],
            "role": r["role"],
            "text": " ".join(p["text"] for p in _parts(db, r["parts"]) if p.get("type") == "text"),
        }
        for r in list(rows)
    ]


def delete(db: sqlite3.Connection, cid: str) -> None:
    conversation(db, cid)
    with transaction(db):
        _forget_text(db, cid, 0)
        db.execute("DELETE FROM conversations WHERE id = ?", (cid,))
        store_content.forget_unused(db)


def drop_last_exchange(db: sqlite3.Connection, cid: str) -> bool:
    """`/undo`: remove the last user prompt and everything after it."""
    with transaction(db):
        rows = db.execute(
            "SELECT id, parts FROM messages WHERE conversation_id = ? AND role = 'user'"
            " ORDER BY id DESC",
            (cid,),
        )
        prompt = next((r["id"] for r in list(rows) if searchable(_parts(db, r["parts"]))), None)
        if prompt is None:
            return False
        _forget_text(db, cid, prompt)
        db.execute("DELETE FROM messages WHERE conversation_id = ? AND id >= ?", (cid, prompt))
        store_content.forget_unused(db)
        return True


def _forget_text(db: sqlite3.Connection, cid: str, from_id: int) -> None:
    # A contentless FTS5 table forgets a row when given the text it indexed
    # (https://www.sqlite.org/fts5.html#the_delete_command).
    rows = db.execute(
        "SELECT id, parts FROM messages WHERE conversation_id = ? AND id >= ?", (cid, from_id)
    )
    for row in list(rows):
        text = searchable(_parts(db, row["parts"], indexed=True))
        if text:
            db.execute(
                "INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', ?, ?)",
                (row["id"], text),
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
        " SUM(r.cost) AS cost, SUM(r.cost IS NULL) AS unpriced,"
        " SUM(r.cache_read_tokens) AS cache_read_tokens FROM responses r"
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
