"""Large texts stored once: by hash in the `contents` table, referred to elsewhere.

A 50 MB prompt would otherwise be kept three times (the message, the full-text index's
copy and the stored request body). Every string of at least LARGE characters, in a
message's parts or the stored request, becomes {"$llmcli_content": sha256} and the text
goes to `contents` once (a data URL keeps its head in "$llmcli_prefix", so an attachment's
base64 data and the request's data URL share one row); reading puts it back.

A string holding fragment texts (-f, --sf: `pieces`) is kept as {"$llmcli_join": [...]}:
the text around them, and each fragment as {"$llmcli_content_of_fragment": sha256}, so a
file sent with a hundred different prompts is stored once. The full-text index leaves the
fragments out (`expand(..., fragments=False)`): indexed with every prompt, a 200 KB file
would grow the index by its own size each time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

# Below this a copy costs less than the hash, the lookup and the reference.
LARGE = 16 * 1024
REF = "$llmcli_content"
_PIECE = 1 << 20
PREFIX = "$llmcli_prefix"
JOIN = "$llmcli_join"
# Holds REF, so `has_refs` and the lookups by REF find the rows that refer to fragments.
FRAGMENT = REF + "_of_fragment"


def shrink(db: sqlite3.Connection, value: Any, pieces: Sequence[str] = ()) -> Any:
    """`value` with each large string stored in `contents` and replaced by its reference,
    and each of `pieces` cut out of the strings that hold it."""
    if isinstance(value, str):
        joined = _cut(db, value, pieces) if pieces else None
        if joined is not None:
            return joined
        return _reference(db, value) if len(value) >= LARGE else value
    if isinstance(value, list):
        return [shrink(db, item, pieces) for item in value]
    if isinstance(value, dict):
        return {key: shrink(db, item, pieces) for key, item in value.items()}
    return value


def _cut(db: sqlite3.Connection, text: str, pieces: Sequence[str]) -> dict[str, Any] | None:
    """`text` as {JOIN: [before, reference, between, ...]}; None when it holds no piece.

    A fragment is sent on lines of its own (fragments.render), so a piece is looked for
    between newlines: that keeps a short fragment from matching inside a label. Any match
    rebuilds the same text."""
    spans: list[tuple[int, int, str]] = []
    for piece in pieces:
        at = text.find(f"\n{piece}\n") if piece else -1
        while at >= 0 and any(
            at + 1 < end and begin < at + 1 + len(piece) for begin, end, _ in spans
        ):
            at = text.find(f"\n{piece}\n", at + 1)
        if at >= 0:
            spans.append((at + 1, at + 1 + len(piece), piece))
    if not spans:
        return None
    items: list[Any] = []
    start = 0
    for begin, end, piece in sorted(spans):
        items += [text[start:begin], {FRAGMENT: put(db, piece)}]
        start = end
    items.append(text[start:])
    return {JOIN: [shrink(db, i) if isinstance(i, str) else i for i in items if i != ""]}


def expand(db: sqlite3.Connection, value: Any, fragments: bool = True) -> Any:
    """The inverse of `shrink`: references replaced by their text (fragments by nothing
    when not `fragments`: what the full-text index holds)."""
    if isinstance(value, list):
        return [expand(db, item, fragments) for item in value]
    if isinstance(value, dict):
        if _is_reference(value):
            return value.get(PREFIX, "") + get(db, value[REF])
        if set(value) == {FRAGMENT}:
            return get(db, value[FRAGMENT]) if fragments else ""
        if set(value) == {JOIN}:
            return "".join(expand(db, item, fragments) for item in value[JOIN])
        return {key: expand(db, item, fragments) for key, item in value.items()}
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
    """After a delete: drop the texts no message, request or fragment use refers to."""
    used = {digest for (digest,) in db.execute("SELECT hash FROM fragment_uses")}
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
        elif set(value) == {FRAGMENT}:
            into.add(str(value[FRAGMENT]))
        else:
            for item in value.values():
                _collect(item, into)
