"""A bounded thread pool over the sync engine, its concurrency adapting to rate limits.

There is no async transport in llmcli: each in-flight request is one thread running
`engine.execute`. The limit halves when a call has to be retried (429/5xx: the
transport waits the server's `retry-after` itself) and new starts pause for that long;
it climbs by one after `limit` successes in a row (additive increase, multiplicative
decrease), never past `--concurrency`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Limiter:
    def __init__(
        self,
        maximum: int,
        rpm: int | None = None,
        tpm: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = maximum
        # --rpm/--tpm: starts spaced evenly (a steady pace, not a minute's worth at once):
        # a request of N tokens is followed by at least N minutes / tpm.
        self.spacing = 60.0 / rpm if rpm else 0.0
        self.seconds_per_token = 60.0 / tpm if tpm else 0.0
        self.next_start = 0.0
        self.limit = float(maximum)
        self.lowest = maximum  # for the summary and the tests
        self.active = 0
        self.paused_until = 0.0
        self.clock = clock
        self.cond = threading.Condition()

    def acquire(self, tokens: int = 0) -> None:
        """Wait for a free slot (and the end of any pause) and take it for a request of
        about `tokens` tokens."""
        with self.cond:
            while True:
                now = self.clock()
                wait = max(self.paused_until, self.next_start) - now
                if wait <= 0 and self.active < int(self.limit):
                    self.active += 1
                    gap = max(self.spacing, tokens * self.seconds_per_token)
                    self.next_start = now + gap
                    return
                self.cond.wait(timeout=wait if wait > 0 else None)

    def release(self, ok: bool) -> None:
        with self.cond:
            self.active -= 1
            if ok and self.limit < self.maximum:
                self.limit = min(self.maximum, self.limit + 1 / self.limit)
            self.cond.notify_all()

    def backoff(self, delay: float) -> None:
        """A call is being retried after `delay` seconds: fewer at once, and a pause."""
        with self.cond:
            now = self.clock()
            if now >= self.paused_until:  # one halving per pause, not one per caller
                self.limit = max(1.0, self.limit / 2)
                self.lowest = min(self.lowest, int(self.limit))
            self.paused_until = max(self.paused_until, now + delay)
            self.cond.notify_all()

    def hold(self, delay: float) -> None:
        """A limit is used up for `delay` seconds (rate-limit headers): start nothing new
        until then (concurrency stays: nothing failed)."""
        if delay <= 0:
            return
        with self.cond:
            self.paused_until = max(self.paused_until, self.clock() + delay)
            self.cond.notify_all()

    def wait_idle(self) -> None:
        with self.cond:
            while self.active:
                self.cond.wait()


class Budget:
    """--max-cost: spent + the estimates in flight + the next estimate stay within it."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self.in_flight = 0.0
        self.stopped = False
        self.lock = threading.Lock()

    def reserve(self, estimate: float) -> bool:
        with self.lock:
            if self.limit is not None and self.spent + self.in_flight + estimate > self.limit:
                self.stopped = True
                return False
            self.in_flight += estimate
            return True

    def settle(self, estimate: float, cost: float) -> None:
        with self.lock:
            self.in_flight -= estimate
            self.spent += cost
