"""The progress line of `batch run` on a terminal (nothing when stderr is not one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

# Redraws at most this often: thousands of lines a minute need not each repaint.
INTERVAL = 0.1


class Progress:
    def __init__(
        self, stream: TextIO, total: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.on = stream.isatty()
        self.total = total
        self.clock = clock
        self.started = clock()
        self.drawn = 0.0

    def update(self, done: int, failed: int, skipped: int, tokens: int, cost: float) -> None:
        now = self.clock()
        if not self.on or now - self.drawn < INTERVAL:
            return
        self.drawn = now
        self.stream.write("\r\x1b[K" + self.line(done, failed, skipped, tokens, cost, now))
        self.stream.flush()

    def line(
        self, done: int, failed: int, skipped: int, tokens: int, cost: float, now: float
    ) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = (done + failed) / elapsed
        left = self.total - done - failed - skipped
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        finished = done + failed + skipped
        return (
            f"{finished}/{self.total} ({failed} failed)  {rate:.1f}/s  {tokens:,} tokens"
            f"  ${cost:.4f}  ETA {eta}"
        )

    def close(self) -> None:
        if self.on:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
