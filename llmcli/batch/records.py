"""Provider batches submitted from this machine, in the history database (`batches`):
id, provider, model, base URL, input file (path and hash), request count, last known
state. `batch list`, `status`, `fetch` and `cancel` then need only the id."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.providers.batch_api import BatchInfo
from llmcli.store_schema import transaction

if TYPE_CHECKING:
    import sqlite3


@dataclass
class Record:
    id: str
    provider: str
    model: str
    base_url: str | None
    input_path: str | None
    input_hash: str | None
    requests: int | None
    state: str | None
    created_at: float
    expires_at: float | None = None
    fetched_at: float | None = None


def add(db: sqlite3.Connection, record: Record) -> None:
    with transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO batches (id, provider, model, base_url, input_path,"
            " input_hash, requests, state, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.provider,
                record.model,
                record.base_url,
                record.input_path,
                record.input_hash,
                record.requests,
                record.state,
                record.created_at,
                record.expires_at,
            ),
        )


def find(db: sqlite3.Connection, batch_id: str) -> Record | None:
    row = db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
    return Record(**dict(row)) if row else None


def recent(db: sqlite3.Connection, limit: int = 50) -> list[Record]:
    rows = db.execute("SELECT * FROM batches ORDER BY created_at DESC, id DESC LIMIT ?", (limit,))
    return [Record(**dict(row)) for row in rows]


def update(db: sqlite3.Connection, info: BatchInfo) -> None:
    with transaction(db):
        db.execute(
            "UPDATE batches SET state = ?, expires_at = coalesce(?, expires_at) WHERE id = ?",
            (info.state, info.expires_at, info.id),
        )


def fetched(db: sqlite3.Connection, batch_id: str) -> None:
    with transaction(db):
        db.execute("UPDATE batches SET fetched_at = ? WHERE id = ?", (time.time(), batch_id))


def file_hash(path: Path) -> str:
    """sha256 of the input, to tell at fetch time whether it is still the file submitted."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
