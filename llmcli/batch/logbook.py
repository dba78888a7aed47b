"""Each finished batch line in the history, as `complete` would store it, marked with
its source (`batch ID`, `batch run OUT`), unless --no-log.

SQLite connections stay in the thread that opened them, and `batch run` finishes
lines on many threads: one writer thread owns the database and takes the exchanges from
a bounded queue (a slow disk slows the run rather than filling memory)."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from llmcli.batch.ids import digest
from llmcli.errors import LlmcliError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from llmcli.batch.lines import Item
    from llmcli.events import Result
    from llmcli.request import Message

_DONE = None


class Logbook:
    def __init__(self, path: Path | None, source: str) -> None:
        from llmcli.history import History

        self.source = source
        self.history = History(path).open()  # a damaged file stops the run before it starts
        self.history.close()  # reopened in the writer thread
        self.queue: queue.Queue[tuple[list[Message], Result, str, int | None] | None]
        self.queue = queue.Queue(maxsize=256)
        self.error: LlmcliError | None = None
        self.thread = threading.Thread(target=self._write, name="batch-history", daemon=True)
        self.thread.start()

    def add(
        self, messages: list[Message], result: Result, model: str, latency_ms: int | None = None
    ) -> None:
        if self.error is None:
            self.queue.put((messages, result, model, latency_ms))

    def _write(self) -> None:
        while True:
            entry = self.queue.get()
            if entry is _DONE:
                break
            if self.error is not None:
                continue  # drained, so `add` never blocks on a dead writer
            messages, result, model, latency_ms = entry
            try:
                self.history.save(
                    None,
                    messages,
                    result,
                    model=model,
                    latency_ms=latency_ms,
                    ttft_ms=None,
                    source=self.source,
                )
            except LlmcliError as err:
                self.error = err
        self.history.close()

    def close(self) -> None:
        """Wait for the writes; a failure to store is said once, after the run."""
        self.queue.put(_DONE)
        self.thread.join()
        if self.error is not None:
            from llmcli.errors import warn

            warn(f"batch results not all in the history: {self.error}")


class InputIndex:
    """custom_id → its input line's messages, read back from the input file on demand
    (results come in any order). Only a digest and the line's place are held (ids.py);
    the line read back is checked to carry the id, so a shared digest finds the right one."""

    def __init__(self, path: Path | None, flag_names: frozenset[str]) -> None:
        from llmcli.batch.ids import IdTable

        self.path = path
        self.flag_names = flag_names
        self.places = IdTable(values=True)  # digest → line number << 40 | byte offset
        self.last = 0  # the last valid line's number
        if path is not None:
            for number, offset, item in self._lines():
                self.places.add(digest(item.custom_id), number << 40 | offset)
                self.last = number

    def _lines(self, start: int = 0, before: int = 0) -> Iterator[tuple[int, int, Item]]:
        """(line number, byte offset, item) for each valid line from byte `start`, the
        line after number `before`."""
        from llmcli.batch.lines import parse_line
        from llmcli.providers.batch_input import LineError

        assert self.path is not None
        with self.path.open("rb") as file:
            file.seek(start)
            offset = start
            for number, raw in enumerate(file, before + 1):
                item = None
                if raw.strip():
                    try:
                        item = parse_line(raw.decode(), number, self.flag_names)
                    except (LineError, UnicodeDecodeError):
                        item = None
                if item is not None:
                    yield number, offset, item
                offset += len(raw)

    def find(self, custom_id: str) -> tuple[int, Item] | None:
        """The input line (number, item) that carries `custom_id`, None if none does."""
        place = self.places.get(digest(custom_id))
        if place is None or self.path is None:
            return None
        at = (place & ((1 << 40) - 1), (place >> 40) - 1)
        first = next(self._lines(*at), None)
        if first is not None and first[2].custom_id == custom_id:
            return first[0], first[2]
        # Another id shares the digest: find this one line by line (rare).
        found = (hit for hit in self._lines() if hit[2].custom_id == custom_id)
        return next(((n, item) for n, _, item in found), None)

    def number(self, custom_id: str) -> int | None:
        found = self.find(custom_id)
        return None if found is None else found[0]

    def messages(self, custom_id: str) -> list[Message]:
        from llmcli.request import Message, TextPart

        found = self.find(custom_id)
        if found is not None:
            return found[1].messages
        text = f"(batch request {custom_id}: its input line was not found)"
        return [Message(role="user", parts=[TextPart(text=text)])]
