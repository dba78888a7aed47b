"""Which fragments (-f, --sf) each answer used: their text is stored once in `contents`,
keyed by its SHA-256 (store_content.put), and `fragment_uses` links it to each answer with
its source (path, URL or command) in the order it was sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcli import store_content

if TYPE_CHECKING:
    import sqlite3


@dataclass(frozen=True)
class Use:
    source: str
    text: str  # as sent: what the prompt holds between its fences
    flag: str = "-f"  # or --sf: the prompt or the instructions


def link(db: sqlite3.Connection, response_id: int, uses: Sequence[Use]) -> None:
    """Store each fragment's text (once) and link it to the answer; inside the exchange's
    transaction."""
    db.executemany(
        "INSERT OR REPLACE INTO fragment_uses (response_id, position, source, hash, flag)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (response_id, n, use.source, store_content.put(db, use.text), use.flag)
            for n, use in enumerate(uses)
        ],
    )


def of_conversation(db: sqlite3.Connection, cid: str) -> dict[int, list[dict[str, Any]]]:
    """Response id → the fragments it used, in the order sent: source, sha256, flag."""
    if not _linked(db):
        return {}
    rows = db.execute(
        "SELECT u.response_id, u.source, u.hash, u.flag FROM fragment_uses u"
        " JOIN responses r ON r.id = u.response_id WHERE r.conversation_id = ?"
        " ORDER BY u.response_id, u.position",
        (cid,),
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["response_id"], []).append(
            {"source": row["source"], "sha256": row["hash"], "flag": row["flag"]}
        )
    return found


def texts_of(db: sqlite3.Connection, cid: str) -> list[str]:
    """The texts of the fragments a conversation used, longest first (so a fragment that
    holds another is cut out whole): what a continued conversation cuts out again."""
    if not _linked(db):
        return []
    rows = db.execute(
        "SELECT DISTINCT c.data FROM fragment_uses u JOIN responses r ON r.id = u.response_id"
        " JOIN contents c ON c.hash = u.hash WHERE r.conversation_id = ?",
        (cid,),
    )
    return sorted((str(row[0]) for row in rows), key=len, reverse=True)


def _linked(db: sqlite3.Connection) -> bool:
    """False for a history older than fragment links, read as it is (a read-only file)."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'fragment_uses'").fetchone()
    return found is not None
