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

from llmcli.errors import LlmcliError

if TYPE_CHECKING:
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
    (only byte offsets are held: results come in any order)."""

    def __init__(self, path: Path | None, flag_names: frozenset[str]) -> None:
        self.path = path
        self.flag_names = flag_names
        self.offsets: dict[str, tuple[int, int]] = {}
        if path is None:
            return
        from llmcli.batch.lines import parse_line
        from llmcli.providers.batch_input import LineError

        with path.open("rb") as file:
            offset = 0
            for number, raw in enumerate(file, 1):
                if raw.strip():
                    try:
                        item = parse_line(raw.decode(), number, flag_names)
                        self.offsets.setdefault(item.custom_id, (offset, number))
                    except (LineError, UnicodeDecodeError):
                        pass
                offset += len(raw)

    def messages(self, custom_id: str) -> list[Message]:
        from llmcli.batch.lines import parse_line
        from llmcli.request import Message, TextPart

        found = self.offsets.get(custom_id)
        if found is None or self.path is None:
            text = f"(batch request {custom_id}: its input line was not found)"
            return [Message(role="user", parts=[TextPart(text=text)])]
        with self.path.open("rb") as file:
            file.seek(found[0])
            return parse_line(file.readline().decode(), found[1], self.flag_names).messages
