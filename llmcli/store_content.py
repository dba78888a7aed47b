"""Large texts stored once: by hash in the `contents` table, referred to elsewhere.

A 50 MB prompt would otherwise be kept three times (the message, the full-text index's
copy and the stored request body). Every string of at least LARGE characters, in a
message's parts or the stored request, becomes {"$llmcli_content": sha256} and the text
goes to `contents` once (a data URL keeps its head in "$llmcli_prefix", so an attachment's
base64 data and the request's data URL share one row); reading puts it back.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

# Below this a copy costs less than the hash, the lookup and the reference.
LARGE = 16 * 1024
REF = "$llmcli_content"
_PIECE = 1 << 20
PREFIX = "$llmcli_prefix"


def shrink(db: sqlite3.Connection, value: Any) -> Any:
    """`value` with each large string stored in `contents` and replaced by its reference."""
    if isinstance(value, str):
        return _reference(db, value) if len(value) >= LARGE else value
    if isinstance(value, list):
        return [shrink(db, item) for item in value]
    if isinstance(value, dict):
        return {key: shrink(db, item) for key, item in value.items()}
    return value


def expand(db: sqlite3.Connection, value: Any) -> Any:
    """The inverse of `shrink`: references replaced by their text."""
    if isinstance(value, list):
        return [expand(db, item) for item in value]
    if isinstance(value, dict):
        if _is_reference(value):
            return value.get(PREFIX, "") + get(db, value[REF])
        return {key: expand(db, item) for key, item in value.items()}
    return value


def _reference(db: sqlite3.Connection, text: str) -> dict[str, str]:
    # A data URL in a request body ("data:image/png;base64,…") carries the attachment's
    # base64 data as stored in the message: keep the head, refer to the same stored data.
    if text.startswith("data:"):
        head, comma, data = text.partition(",")
        if comma and len(data) >= LARGE:
            return {REF: put(db, data), PREFIX: head + comma}
    return {REF: put(db, text)}


def _is_reference(value: dict[str, Any]) -> bool:
    return REF in value and set(value) <= {REF, PREFIX}


def has_refs(raw_json: str) -> bool:
    """Cheap test on the stored JSON text, so small rows are never walked."""
    return REF in raw_json


def put(db: sqlite3.Connection, text: str) -> str:
    digest = _digest(text)
    db.execute("INSERT OR IGNORE INTO contents (hash, data) VALUES (?, ?)", (digest, text))
    return digest


def _digest(text: str) -> str:
    """SHA-256 of the UTF-8 text, fed a megabyte at a time: encoding a 50 MB prompt whole
    would hold a second copy of it at the moment the history write needs the most."""
    hashed = hashlib.sha256()
    for start in range(0, len(text), _PIECE):
        hashed.update(text[start : start + _PIECE].encode("utf-8", "surrogatepass"))
    return hashed.hexdigest()


def get(db: sqlite3.Connection, digest: str) -> str:
    row = db.execute("SELECT data FROM contents WHERE hash = ?", (digest,)).fetchone()
    # A row lost to damage (see `llmcli logs doctor`) reads as a marker, not a crash.
    return str(row[0]) if row else f"[missing stored text {digest[:12]}]"


def forget_unused(db: sqlite3.Connection) -> None:
    """After a delete: drop the texts no message or request refers to any more."""
    used: set[str] = set()
    for sql in (
        "SELECT parts FROM messages WHERE instr(parts, ?)",
        "SELECT request FROM responses WHERE instr(request, ?)",
    ):
        for (raw,) in db.execute(sql, (REF,)):
            _collect(json.loads(raw), used)
    stored = [digest for (digest,) in db.execute("SELECT hash FROM contents")]
    db.executemany("DELETE FROM contents WHERE hash = ?", [(d,) for d in stored if d not in used])


def _collect(value: Any, into: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, into)
    elif isinstance(value, dict):
        if _is_reference(value):
            into.add(str(value[REF]))
        else:
            for item in value.values():
                _collect(item, into)
