"""The history database as a file: checked before a request is sent, created private.

A damaged, read-only or misplaced database must stop a run before it pays for an answer
that could not be stored, with one line naming the file and the way out.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.errors import UsageError, warn

if TYPE_CHECKING:
    import sqlite3

# sqlite's primary result codes (https://www.sqlite.org/rescode.html).
_CORRUPT, _NOTADB, _READONLY, _CANTOPEN = 11, 26, 8, 14
WAYS_OUT = "use --no-log, or --db PATH for another file"


def prepare(path: Path) -> None:
    """For a connection that writes: the path must be a writable file, created 0600 in a
    0700 directory when llmcli creates them (the history holds prompts: diffs, documents)."""
    if path.is_dir():
        raise UsageError(
            f"the history database {path} is a directory: give a file, e.g. --db {path / 'logs.db'}"
        )
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # another llmcli created it in between
    except OSError as err:
        raise UsageError(
            f"cannot create the history database {path}: {err.strerror}: {WAYS_OUT}"
        ) from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"the history database {path} is read-only: {WAYS_OUT}")
    if not os.access(path.parent, os.W_OK):
        raise UsageError(
            f"the directory of the history database {path} is read-only (sqlite keeps its"
            f" journal beside the file): {WAYS_OUT}"
        )
    warn_if_shared(path)


def writable(path: Path) -> bool:
    # sqlite writes the -wal and -shm files beside the database, so the directory counts too.
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def warn_if_shared(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and mode & 0o044:
        warn(
            f"other users can read the history database {path} (mode {mode & 0o777:04o});"
            f" run: chmod 600 {path}"
        )


def open_readonly(path: Path) -> sqlite3.Connection:
    """Read-only; on a read-only filesystem where sqlite cannot make the WAL's shared-memory
    file, as an immutable file (https://www.sqlite.org/uri.html#uriimmutable)."""
    import sqlite3

    last: sqlite3.Error | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):
        uri = f"{path.absolute().as_uri()}?{query}"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        except sqlite3.Error as err:
            last = err
            continue
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            check_complete(db, path)
            return db
        except (sqlite3.Error, UsageError) as err:
            db.close()
            if isinstance(err, UsageError):
                raise
            if is_damage(err):
                raise damaged(path, str(err)) from None
            last = err
    assert last is not None
    raise failure(path, last)


def check_complete(db: sqlite3.Connection, path: Path) -> None:
    """A cheap check that catches a truncated file (a full `PRAGMA quick_check` reads every
    page: that is `llmcli logs doctor`'s job, not every run's)."""
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    room = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    if pages * page_size > room:
        raise damaged(path, f"truncated: {room} bytes of {pages * page_size}")


def failure(path: Path, err: sqlite3.Error) -> UsageError:
    """One line for an sqlite error met while opening and checking the database."""
    code = getattr(err, "sqlite_errorcode", 0) & 0xFF
    if code in (_CORRUPT, _NOTADB):
        return damaged(path, str(err))
    if code == _READONLY:
        return UsageError(f"the history database {path} is read-only: {WAYS_OUT}")
    return UsageError(f"cannot open the history database {path}: {err}: {WAYS_OUT}")


def damaged(path: Path, why: str) -> UsageError:
    return UsageError(
        f"the history database {path} is damaged ({why}): run `llmcli logs doctor --db {path}`"
        f" to keep its readable rows in a fresh file, or move it aside, or {WAYS_OUT}"
    )


def is_damage(err: sqlite3.Error) -> bool:
    return getattr(err, "sqlite_errorcode", 0) & 0xFF in (_CORRUPT, _NOTADB)
