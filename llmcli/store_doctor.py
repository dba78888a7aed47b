"""`llmcli logs doctor`: check the history file; when damaged, keep its readable rows in a
fresh file and set the damaged one aside (never deleted: it may hold more than sqlite
could read)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli import store, store_content, store_files
from llmcli.store_schema import index, transaction

if TYPE_CHECKING:
    import sqlite3

# Parents before children, so foreign keys hold while copying.
TABLES = ("conversations", "contents", "messages", "responses", "fragment_uses")


def doctor(path: Path) -> str:
    """The report line: ok, or what was kept and where the damaged file went."""
    if not path.exists():
        return f"{path}: no history database yet"
    problem = _problem(path)
    if problem is None:
        db = store.connect(path)
        count = db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
        db.close()
        return f"{path}: ok ({count} conversations)"
    aside = path.with_name(f"{path.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}")
    path.rename(aside)
    for suffix in ("-wal", "-shm"):  # the WAL belongs with its file; -shm is rebuilt
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(aside.with_name(aside.name + suffix))
    fresh = store.connect(path)
    kept = _salvage(aside, fresh)
    fresh.close()
    return (
        f"{path} was damaged ({problem}): kept {kept['conversations']} conversations"
        f" ({kept['messages']} messages, {kept['responses']} answers) in a fresh file;"
        f" the damaged file is kept as {aside}"
    )


def _problem(path: Path) -> str | None:
    import sqlite3

    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            found = db.execute("PRAGMA integrity_check").fetchall()
        finally:
            db.close()
    except sqlite3.Error as err:
        if store_files.is_damage(err):
            return str(err)
        raise store_files.failure(path, err) from None
    return None if found == [("ok",)] else str(found[0][0])


def _salvage(damaged: Path, fresh: sqlite3.Connection) -> dict[str, int]:
    """Copy what can be read, row by row; a row that breaks a constraint is skipped."""
    import sqlite3

    kept = dict.fromkeys(TABLES, 0)
    old = sqlite3.connect(f"{damaged.absolute().as_uri()}?mode=ro", uri=True)
    try:
        old.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        old.close()
        return kept  # not a database at all: nothing is readable
    with transaction(fresh):
        for table in TABLES:
            kept[table] = _copy(old, fresh, table)
        for row in list(fresh.execute("SELECT id, parts FROM messages")):
            parts = json.loads(row["parts"])
            if store_content.has_refs(row["parts"]):
                parts = store_content.expand(fresh, parts, fragments=False)  # as indexed
            index(fresh, row["id"], parts)
    old.close()
    return kept


def _copy(old: sqlite3.Connection, fresh: sqlite3.Connection, table: str) -> int:
    import sqlite3

    columns = [row[1] for row in fresh.execute(f"PRAGMA table_info({table})")]
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    count = 0
    try:
        cursor = old.execute(f"SELECT {', '.join(columns)} FROM {table}")
        for values in cursor:
            try:
                fresh.execute(insert, values)
                count += 1
            except sqlite3.IntegrityError:
                pass  # its conversation (or message) was not readable
    except sqlite3.Error:
        pass  # the rest of this table is past the damage
    return count
