"""The output file: one JSON line per finished item, flushed as written, resumable.

A run killed at any moment leaves whole lines and at most one torn last line; resuming
drops the torn line and skips every custom_id that already has a result.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import IO, Any


def resume(path: Path, fresh: bool, any_line: bool = False) -> set[str]:
    """The custom_ids already answered in `path` (none with `fresh`, which empties it;
    `any_line`: failed ones too, for results that cannot change, as a batch's).

    A last line without its newline is a write cut off by a crash: it is cut away."""
    if fresh or not path.exists():
        path.write_bytes(b"")
        return set()
    done: set[str] = set()
    good = 0  # bytes up to the end of the last whole line
    with path.open("rb") as file:
        for raw in file:
            if not raw.endswith(b"\n"):
                break
            good += len(raw)
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and (any_line or line.get("result") is not None):
                done.add(str(line.get("custom_id")))
    if good != path.stat().st_size:
        with path.open("r+b") as file:
            file.truncate(good)
    return done


class Writer:
    """Appends lines as items finish; `ordered` holds early ones back (at most `window`
    of them: the pool waits on `room` before starting an item further ahead)."""

    def __init__(self, out: IO[str], ordered: bool, window: int) -> None:
        self.out = out
        self.ordered = ordered
        self.window = window
        self.next = 0  # the sequence number written next (ordered)
        self.held: dict[int, str] = {}
        self.lock = threading.Condition()

    def room(self, sequence: int) -> None:
        """Block until item `sequence` may start without the buffer passing `window`."""
        if not self.ordered:
            return
        with self.lock:
            while sequence - self.next >= self.window:
                self.lock.wait()

    def write(self, sequence: int, line: dict[str, Any]) -> None:
        text = json.dumps(line, ensure_ascii=False) + "\n"
        with self.lock:
            if not self.ordered:
                self._emit(text)
                return
            self.held[sequence] = text
            while self.next in self.held:
                self._emit(self.held.pop(self.next))
                self.next += 1
            self.lock.notify_all()

    def _emit(self, text: str) -> None:
        # One write and a flush per line: a kill leaves at most the last line torn.
        self.out.write(text)
        self.out.flush()


def open_append(path: Path) -> IO[str]:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    return os.fdopen(fd, "w", encoding="utf-8")
