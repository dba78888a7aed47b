"""What the server tells about itself: an access-log line per request, Prometheus
metrics, and one history record per call (written by a background thread: SQLite
must not block the event loop).

Metrics are the text exposition format 0.0.4
(https://prometheus.io/docs/instrumenting/exposition_formats/): counters end in
`_total`, the histogram has cumulative `_bucket{le=...}` lines, `_sum` and `_count`.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections import defaultdict

from llmcli.serve.record import Call

# Seconds; the default buckets of Prometheus' client libraries.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = {}
        self.sums: dict[str, float] = defaultdict(float)
        self.tokens: dict[tuple[str, str], int] = defaultdict(int)
        self.cost: dict[str, float] = defaultdict(float)

    def observe(self, call: Call) -> None:
        model = call.model_name or "-"
        self.requests[(call.route, model, call.status)] += 1
        if call.status >= 400:
            self.errors[(call.route, model)] += 1
        counts = self.buckets.setdefault(model, [0] * (len(BUCKETS) + 1))
        for i, bound in enumerate(BUCKETS):
            if call.latency <= bound:
                counts[i] += 1
        counts[-1] += 1
        self.sums[model] += call.latency
        if call.result is not None:
            usage = call.result.usage
            self.tokens[(model, "input")] += usage.input_tokens or 0
            self.tokens[(model, "output")] += usage.output_tokens or 0
            if usage.cost:
                self.cost[model] += usage.cost

    def text(self) -> str:
        lines = [
            "# HELP llmcli_requests_total Requests served, by route, model name and status.",
            "# TYPE llmcli_requests_total counter",
        ]
        for (route, model, status), n in sorted(self.requests.items()):
            lines.append(
                f'llmcli_requests_total{{route="{route}",model="{_esc(model)}",'
                f'status="{status}"}} {n}'
            )
        lines += [
            "# HELP llmcli_errors_total Requests answered with an error status.",
            "# TYPE llmcli_errors_total counter",
        ]
        for (route, model), n in sorted(self.errors.items()):
            lines.append(f'llmcli_errors_total{{route="{route}",model="{_esc(model)}"}} {n}')
        lines += [
            "# HELP llmcli_request_seconds Time from request to the end of the answer.",
            "# TYPE llmcli_request_seconds histogram",
        ]
        for model, counts in sorted(self.buckets.items()):
            label = f'model="{_esc(model)}"'
            for bound, n in zip(BUCKETS, counts, strict=False):
                lines.append(f'llmcli_request_seconds_bucket{{{label},le="{bound}"}} {n}')
            lines.append(f'llmcli_request_seconds_bucket{{{label},le="+Inf"}} {counts[-1]}')
            lines.append(f"llmcli_request_seconds_sum{{{label}}} {self.sums[model]:.6f}")
            lines.append(f"llmcli_request_seconds_count{{{label}}} {counts[-1]}")
        lines += [
            "# HELP llmcli_tokens_total Tokens used, by model name and direction.",
            "# TYPE llmcli_tokens_total counter",
        ]
        for (model, kind), n in sorted(self.tokens.items()):
            lines.append(f'llmcli_tokens_total{{model="{_esc(model)}",type="{kind}"}} {n}')
        lines += [
            "# HELP llmcli_cost_usd_total Cost in US dollars, by model name (catalog prices).",
            "# TYPE llmcli_cost_usd_total counter",
        ]
        for model, usd in sorted(self.cost.items()):
            lines.append(f'llmcli_cost_usd_total{{model="{_esc(model)}"}} {usd:.8f}')
        return "\n".join(lines) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class AccessLog:
    """One line per request on stderr: method, path, status, model, deployment, time."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def line(self, method: str, path: str, call: Call) -> None:
        if self.quiet:
            return
        where = f" {call.model_name} → {call.deployment}" if call.deployment else ""
        ttft = f" ttft {call.ttft * 1000:.0f}ms" if call.ttft is not None else ""
        # What the provider could not take (the x-llmcli-warnings header), on the same line.
        warned = " warnings: " + " | ".join(call.warnings) if call.warnings else ""
        took = f"{call.latency * 1000:.0f}ms{ttft}"
        line = f"{method} {path} {call.status}{where} {took} {call.id}{warned}"
        self.text(line)

    def text(self, line: str) -> None:
        if not self.quiet:
            sys.stderr.write(" ".join(line.split()) + "\n")


class Recorder:
    """History records, written in order by one thread (SQLite is blocking I/O)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Call | None] = queue.Queue(maxsize=10000)
        self._thread = threading.Thread(target=self._run, name="llmcli-history", daemon=True)
        self._thread.start()

    def add(self, call: Call) -> None:
        if call.result is None:
            return
        try:
            self._queue.put_nowait(call)
        except queue.Full:  # the disk cannot keep up: losing a record beats stalling
            logging.getLogger("llmcli.serve").warning("history queue full: record dropped")

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        from llmcli.history import History
        from llmcli.serve.record import write

        history = History()
        try:
            while True:
                call = self._queue.get()
                if call is None:
                    return
                try:
                    write(history, call)
                except Exception as err:  # a broken database must not stop the server
                    sys.stderr.write(f"llmcli serve: history not written: {err}\n")
        finally:
            history.close()
