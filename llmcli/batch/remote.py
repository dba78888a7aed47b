"""A provider's Batch API over the transport: create, retrieve, cancel, list, results,
and waiting for the end. The calls and their answers are built and read by the pure
modules (`providers/batch_openai.py`, `providers/batch_anthropic.py`); errors are the
provider's own `decode_error`, retries those of every other call."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from llmcli.providers.batch_api import BatchInfo, LineOutcome
from llmcli.providers.batch_wire import module_for

if TYPE_CHECKING:
    from llmcli.batch.submit import Part, Plan
    from llmcli.providers.base import ChatProvider
    from llmcli.transport import Connection, HttpCall, Policy

# Polling: the first wait, then x1.5 each time up to MAX_POLL (a 24 h batch polled
# every minute is some 1,400 small GETs).
POLL = 10.0
MAX_POLL = 60.0


class Remote:
    def __init__(self, provider: str, chat: ChatProvider, conn: Connection, policy: Policy):
        self.provider = provider
        self.wire: Any = module_for(provider)
        self.chat = chat  # its `decode_error` reads the Batch API's errors too
        self.conn = conn
        self.policy = policy

    def _send(self, call: HttpCall) -> bytes:
        from llmcli.engine import fetch

        return fetch(self.chat, call, self.policy, hint=self.conn.connect_hint)

    def create(self, plan: Plan, part: Part) -> BatchInfo:
        """One part of a plan → one provider batch."""
        if self.provider == "openai":
            upload = self._send(self.wire.upload_call(self.conn, part.data()))
            call = self.wire.create_call(self.conn, self.wire.file_id(upload), plan.endpoint)
        else:
            call = self.wire.create_call(self.conn, part.data(), part.betas)
        info: BatchInfo = self.wire.batch_info(self._send(call))
        return info

    def info(self, batch_id: str) -> BatchInfo:
        info: BatchInfo = self.wire.batch_info(
            self._send(self.wire.retrieve_call(self.conn, batch_id))
        )
        return info

    def cancel(self, batch_id: str) -> BatchInfo:
        info: BatchInfo = self.wire.batch_info(
            self._send(self.wire.cancel_call(self.conn, batch_id))
        )
        return info

    def listing(self, limit: int) -> Iterator[BatchInfo]:
        """The provider's batches, newest first, at most `limit` (page after page)."""
        after: str | None = None
        shown = 0
        while shown < limit:
            batches, after = self.wire.list_page(self._send(self.wire.list_call(self.conn, after)))
            for info in batches[: limit - shown]:
                shown += 1
                yield info
            if after is None:
                return

    def outcomes(self, info: BatchInfo) -> Iterator[LineOutcome]:
        """Every result line of an ended batch, as it is downloaded."""
        from llmcli.engine import lines

        for call in self.wire.results_calls(self.conn, info):
            for text in lines(self.chat, call, self.policy, hint=self.conn.connect_hint):
                yield self.wire.result_line(text)


def wait(
    remote: Remote,
    batch_id: str,
    poll: float,
    show: Callable[[BatchInfo], None],
    sleep: Callable[[float], None] = time.sleep,
) -> BatchInfo:
    """Poll until the batch ends (the wait grows x1.5 up to MAX_POLL, from `poll`)."""
    delay = poll
    while True:
        info = remote.info(batch_id)
        show(info)
        if info.ended:
            return info
        sleep(delay)
        delay = min(delay * 1.5, max(MAX_POLL, poll))


class StateLine:
    """`--wait`'s progress on stderr: redrawn in place on a terminal, else one line per
    change of state or count."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, info: BatchInfo) -> None:
        text = f"llmcli: batch {info.id}: {info.state}, {info.finished}/{info.total} done"
        if text == self.last:
            return
        self.last = text
        sys.stderr.write(("\r\x1b[K" + text) if self.tty else text + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty and self.last:
            sys.stderr.write("\n")
