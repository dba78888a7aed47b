"""Whole-process benchmark of `llmcli` against a loopback mock OpenAI-compatible server.

Run: `.venv/bin/python bench/bench.py [--quick] [--runs N] [--json PATH] [--src DIR]`.
Each case is a fresh process, timed wall-clock from spawn to exit; max RSS comes
from `/usr/bin/time -f %M`, else from `RUSAGE_CHILDREN` in a small Python wrapper.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = "bench"
ONE_SHOT_TEXT = "Hello from the bench server."
WORD = "word "
CHUNK_HEADER = "x-bench-chunks"
DEFAULT_CHUNKS = 20

# ---- mock server ---------------------------------------------------------------------


def _sse(obj: dict[str, Any]) -> bytes:
    """One SSE event wrapped as one HTTP/1.1 chunk."""
    data = b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def _chunk_obj(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": MODEL,
        "system_fingerprint": None,
        "choices": choices,
    }
    return {**base, **extra}


def _usage(completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": 3,
        "completion_tokens": completion_tokens,
        "total_tokens": 3 + completion_tokens,
    }


_DELTA = _sse(
    _chunk_obj([{"index": 0, "delta": {"content": WORD}, "logprobs": None, "finish_reason": None}])
)
_FIRST = _sse(
    _chunk_obj(
        [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ]
    )
)
_FINISH = _sse(_chunk_obj([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
_DONE = b"%x\r\n%s\r\n" % (len(b"data: [DONE]\n\n"), b"data: [DONE]\n\n")


def _completion_body() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ONE_SHOT_TEXT},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(len(ONE_SHOT_TEXT.split())),
        }
    ).encode()


def _chunk_count(headers: Any, body: dict[str, Any]) -> int:
    """N from the `x-bench-chunks` header, else the first number in the prompt."""
    raw = headers.get(CHUNK_HEADER)
    if raw:
        return int(raw)
    for message in body.get("messages") or []:
        found = re.search(r"\d+", str(message.get("content") or ""))
        if found:
            return int(found.group())
    return DEFAULT_CHUNKS


class _Handler(BaseHTTPRequestHandler):
    """POST /v1/chat/completions: JSON, or SSE with one HTTP chunk per event."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one TCP send per chunk, as uvicorn and friends do

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._plain(404, b'{"error":{"message":"not found","type":"not_found"}}')
            return
        body = json.loads(raw or b"{}")
        if not body.get("stream"):
            self._plain(200, _completion_body())
            return
        n = _chunk_count(self.headers, body)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        write = self.wfile.write  # unbuffered (wbufsize=0): each write is its own send
        write(_FIRST)
        for _ in range(n):
            write(_DELTA)
            self.wfile.flush()
        write(_FINISH)
        write(_sse(_chunk_obj([], usage=_usage(n))))
        write(_DONE)
        write(b"0\r\n\r\n")
        self.wfile.flush()

    def _plain(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


class MockServer:
    """A threaded loopback server; `base` is the `--api-base` to pass (ends in /v1)."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> MockServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---- measuring -----------------------------------------------------------------------


@dataclass
class Sample:
    """One process run: wall-clock ms, CPU ms (user + system) and max RSS in KiB."""

    ms: float
    cpu_ms: float
    rss_kib: int


@dataclass
class Case:
    """One measured command and its samples."""

    name: str
    argv: list[str]
    samples: list[Sample] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(s.ms for s in self.samples)

    @property
    def min_ms(self) -> float:
        return min(s.ms for s in self.samples)

    @property
    def cpu_ms(self) -> float:
        """Median CPU time: steadier than wall-clock on a busy machine."""
        return statistics.median(s.cpu_ms for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s.rss_kib for s in self.samples) / 1024

    @property
    def median_mib(self) -> float:
        return statistics.median(s.rss_kib for s in self.samples) / 1024


class BenchError(Exception):
    """A case produced the wrong output or failed: the figures would be meaningless."""


TIME = "/usr/bin/time"

# Without GNU time: a fresh, small Python parent runs the command and reports its
# rusage. (This process's own wait4 figure would count the pages it had at fork.)
WRAPPER = """
import os, resource, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
code = subprocess.call(argv)
ms = (time.perf_counter() - start) * 1000
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    f.write(f"{ms} {(ru.ru_utime + ru.ru_stime) * 1000} {ru.ru_maxrss}")
sys.exit(code)
"""


def run_once(argv: Sequence[str], env: dict[str, str], tmp: Path) -> tuple[Sample, str, str]:
    """Spawn `argv` with stdout to a file; return its sample, stdout text and stderr."""
    out_path, stats_path = tmp / "stdout.txt", tmp / "stats.txt"
    use_time = os.access(TIME, os.X_OK)
    if use_time:
        full = [TIME, "-f", "%M", "-o", str(stats_path), *argv]
    else:
        full = [sys.executable, "-c", WRAPPER, str(stats_path), *argv]
    with out_path.open("wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            full, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=tmp
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = (time.perf_counter() - start) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    stdout = out_path.read_text(errors="replace")
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}\nstderr: {stderr[-2000:]}")
    if use_time:
        # wait4 counts the CPU of the children `time` waited for; %M is the command's own.
        cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
        sample = Sample(elapsed, cpu_ms, int(stats_path.read_text().split()[-1]))
    else:
        ms, cpu, rss = stats_path.read_text().split()
        sample = Sample(float(ms), float(cpu), int(rss))
    return sample, stdout, stderr


Check = Callable[[str], None]


def measure(case: Case, runs: int, env: dict[str, str], check: Check, tmp: Path) -> Case:
    """One untimed warm-up (bytecode, page cache), then `runs` timed runs, each checked."""
    for i in range(runs + 1):
        sample, stdout, _ = run_once(case.argv, env, tmp)
        check(stdout)
        if i:
            case.samples.append(sample)
    print(
        f"  {case.name:<42} median {case.median_ms:7.1f} ms  min {case.min_ms:7.1f} ms"
        f"  cpu {case.cpu_ms:7.1f} ms  peak {case.peak_mib:5.1f} MiB",
        file=sys.stderr,
        flush=True,
    )
    return case


def expect_words(n: int) -> Check:
    """The output must be exactly `n` times `word` (whitespace-separated)."""

    def check(text: str) -> None:
        words = text.split()
        if len(words) != n or any(w != WORD.strip() for w in words):
            bad = next((w for w in words if w != WORD.strip()), None)
            raise BenchError(
                f"expected {n} words, got {len(words)} (first unexpected: {bad!r}); "
                f"head {text[:80]!r} tail {text[-80:]!r}"
            )

    return check


def expect_text(wanted: str) -> Check:
    """The output must be `wanted` (trailing newline aside)."""

    def check(text: str) -> None:
        if text.strip() != wanted:
            raise BenchError(f"expected {wanted!r}, got {text[:200]!r}")

    return check


def expect_help(text: str) -> None:
    """The root help must list the `complete` command."""
    if "complete" not in text:
        raise BenchError(f"--help output does not mention 'complete': {text[:200]!r}")


def expect_nothing(_: str) -> None:
    """Floors that print nothing have nothing to check."""


# ---- floor: raw httpx ----------------------------------------------------------------

FLOOR_ONE_SHOT = """
import json, sys, httpx
base, = sys.argv[1:]
r = httpx.post(base + "/chat/completions", headers={"authorization": "Bearer dummy"},
               json={"model": "bench", "messages": [{"role": "user", "content": "hi"}]})
r.raise_for_status()
sys.stdout.write(r.json()["choices"][0]["message"]["content"] + "\\n")
"""

FLOOR_STREAM = """
import json, sys, httpx
base, n = sys.argv[1:]
out = sys.stdout
body = {"model": "bench", "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "hi"}]}
headers = {"authorization": "Bearer dummy", "x-bench-chunks": n}
with httpx.stream("POST", base + "/chat/completions", headers=headers, json=body) as r:
    r.raise_for_status()
    for line in r.iter_lines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:])["choices"]:
            text = choice["delta"].get("content")
            if text:
                out.write(text)
                out.flush()
out.write("\\n")
"""

FLOOR_SOCKET = """
import json, socket, sys
port, n = sys.argv[1:]
body = json.dumps({"model": "bench", "stream": True, "messages": []}).encode()
s = socket.create_connection(("127.0.0.1", int(port)))
s.sendall(b"POST /v1/chat/completions HTTP/1.1\\r\\nhost: bench\\r\\ncontent-length: %d\\r\\n"
          b"x-bench-chunks: %s\\r\\n\\r\\n%s" % (len(body), n.encode(), body))
tail = b""
while not tail.endswith(b"\\r\\n0\\r\\n\\r\\n"):
    data = s.recv(1 << 16)
    if not data:
        sys.exit("connection closed early")
    tail = (tail + data)[-16:]
"""


# ---- the run -------------------------------------------------------------------------

TARGETS = {
    "llmcli --help": 150.0,
    "one-shot (--no-stream)": 200.0,
    "stream 20,000 chunks": 600.0,
}
PEAK_TARGET_MIB = 40.0


def llmcli_path() -> str:
    """The venv's console script next to this interpreter, else PATH."""
    beside = Path(sys.executable).parent / "llmcli"
    if beside.exists():
        return str(beside)
    found = shutil.which("llmcli")
    if not found:
        raise BenchError("llmcli not found: run with the project's .venv/bin/python")
    return found


def child_env(src: Path | None, tmp: Path) -> dict[str, str]:
    """The caller's environment without llmcli settings, plus a dummy key.

    LLMCLI_HOME points into `tmp`, so the history database the runs write is a
    throwaway one. With `src`, that directory comes first on PYTHONPATH, so its
    `llmcli` package is the one measured (a snapshot, or a patched copy for A/B).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMCLI_", "OPENAI_"))}
    env["OPENAI_API_KEY"] = "dummy"
    env["NO_COLOR"] = "1"
    env["LLMCLI_HOME"] = str(tmp / "home")
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(src.resolve()), env.get("PYTHONPATH", "")) if p
        )
    return env


def measured_source(env: dict[str, str], tmp: Path) -> str:
    """Where the children import `llmcli` from (checks that --src took effect)."""
    code = "import llmcli, os; print(os.path.dirname(llmcli.__file__))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"cannot import llmcli: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def git_head() -> str | None:
    """The checkout's commit (read-only; the working tree may differ from it)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def build_cases(base: str, llmcli: str) -> list[tuple[Case, Check]]:
    """Every case with the check its output must pass."""
    py = sys.executable
    port = base.split(":")[-1].split("/")[0]

    def stream(n: int) -> list[str]:
        return [
            llmcli, "complete", "-m", f"openai/{MODEL}", "--api-base", base,
            "-H", f"{CHUNK_HEADER}: {n}", "hi",
        ]  # fmt: skip

    one_shot = [
        llmcli, "complete", "--no-stream", "-m", f"openai/{MODEL}", "--api-base", base, "hi",
    ]  # fmt: skip
    return [
        (Case("llmcli --help", [llmcli, "--help"]), expect_help),
        (Case("one-shot (--no-stream)", one_shot), expect_text(ONE_SHOT_TEXT)),
        (Case("stream 2,000 chunks", stream(2000)), expect_words(2000)),
        (Case("stream 20,000 chunks", stream(20000)), expect_words(20000)),
        (Case("floor: python -c pass", [py, "-c", "pass"]), expect_nothing),
        (Case("floor: python -c 'import httpx'", [py, "-c", "import httpx"]), expect_nothing),
        (
            Case("floor: httpx one-shot", [py, "-c", FLOOR_ONE_SHOT, base]),
            expect_text(ONE_SHOT_TEXT),
        ),
        (
            Case("floor: httpx stream 2,000 chunks", [py, "-c", FLOOR_STREAM, base, "2000"]),
            expect_words(2000),
        ),
        (
            Case("floor: httpx stream 20,000 chunks", [py, "-c", FLOOR_STREAM, base, "20000"]),
            expect_words(20000),
        ),
        (
            Case(
                "floor: raw socket 20,000 chunks (server)", [py, "-c", FLOOR_SOCKET, port, "20000"]
            ),
            expect_nothing,
        ),
    ]


def _status(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return "ok" if value <= target else "**MISSED**"


LARGE, SMALL = "stream 20,000 chunks", "stream 2,000 chunks"
FLOOR_LARGE, FLOOR_SMALL = "floor: httpx stream 20,000 chunks", "floor: httpx stream 2,000 chunks"
PAIRS = (("llmcli", SMALL, LARGE), ("floor", FLOOR_SMALL, FLOOR_LARGE))


def _scaling(cases: dict[str, Case]) -> dict[str, tuple[float, float]]:
    """Per pair: 20k/2k median ratio and marginal µs per chunk."""
    out: dict[str, tuple[float, float]] = {}
    for label, small_name, large_name in PAIRS:
        if small_name in cases and large_name in cases:
            small, large = cases[small_name], cases[large_name]
            ratio = large.median_ms / small.median_ms
            out[label] = (ratio, (large.median_ms - small.median_ms) / 18_000 * 1000)
    return out


def table(cases: dict[str, Case]) -> str:
    """The Markdown report: timings, peak memory, and the 20k/2k ratios."""
    rows = [
        "| case | median ms | min ms | cpu ms | target | status |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, case in cases.items():
        target = TARGETS.get(name)
        shown = f"<= {target:.0f} ms" if target is not None else ""
        rows.append(
            f"| {name} | {case.median_ms:.1f} | {case.min_ms:.1f} | {case.cpu_ms:.1f} | {shown} "
            f"| {_status(case.median_ms, target)} |"
        )
    if LARGE in cases:
        big = cases[LARGE]
        rows.append(
            f"| peak RSS MiB, stream 20,000 chunks (max / median of runs) | {big.peak_mib:.1f} "
            f"| {big.median_mib:.1f} | | <= {PEAK_TARGET_MIB:.0f} MiB "
            f"| {_status(big.peak_mib, PEAK_TARGET_MIB)} |"
        )
    if FLOOR_LARGE in cases:
        floor = cases[FLOOR_LARGE]
        rows.append(
            f"| floor peak RSS MiB, httpx 20,000 chunks (max / median) | {floor.peak_mib:.1f} "
            f"| {floor.median_mib:.1f} | | | |"
        )
    lines = ["\n".join(rows)]
    for label, (ratio, per_chunk) in _scaling(cases).items():
        if len(lines) == 1:
            lines.append("")
        lines.append(
            f"- {label}: 20k/2k time ratio {ratio:.2f}; marginal cost {per_chunk:.1f} µs per chunk"
        )
    return "\n".join(lines)


class CpuShare:
    """How much of the machine's CPU time went to other processes while measuring.

    Busy time from /proc/stat (Linux) minus what this process and its children used.
    """

    def __init__(self) -> None:
        self.start = (time.monotonic(), self._busy_s(), self._ours_s())

    @staticmethod
    def _busy_s() -> float | None:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ours_s() -> float:
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
        return total

    def others(self) -> float | None:
        """Other processes' share of all CPUs since start (0.0 to 1.0), if known."""
        t0, busy0, ours0 = self.start
        busy1 = self._busy_s()
        if busy0 is None or busy1 is None:
            return None
        elapsed = (time.monotonic() - t0) * (os.cpu_count() or 1)
        return max(busy1 - busy0 - (self._ours_s() - ours0), 0.0) / elapsed if elapsed else None

    def warning(self) -> str | None:
        """A note when others used more than 10% of the CPUs: wall-clock runs high then."""
        share = self.others()
        if share is None or share <= 0.10:
            return None
        return (
            f"Warning: other processes used {share:.0%} of the CPUs while measuring; "
            "wall-clock figures run high: compare the cpu ms column, or re-run when quiet."
        )


def figures(cases: dict[str, Case], runs: int, share: CpuShare | None = None) -> dict[str, Any]:
    """Everything measured, for `--json`."""
    out: dict[str, Any] = {
        "runs": runs,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "rss_source": "/usr/bin/time -f %M" if os.access(TIME, os.X_OK) else "RUSAGE_CHILDREN",
        "targets_ms": TARGETS,
        "peak_target_mib": PEAK_TARGET_MIB,
        "cases": {},
    }
    if share is not None:
        out["others_cpu_share"] = share.others()
    for name, case in cases.items():
        out["cases"][name] = {
            "median_ms": round(case.median_ms, 2),
            "min_ms": round(case.min_ms, 2),
            "median_cpu_ms": round(case.cpu_ms, 2),
            "peak_rss_mib": round(case.peak_mib, 2),
            "median_rss_mib": round(case.median_mib, 2),
            "samples": [asdict(s) for s in case.samples],
            "argv": case.argv,
        }
    for label, (ratio, per_chunk) in _scaling(cases).items():
        out[f"{label}_ratio_20k_2k"] = round(ratio, 3)
        out[f"{label}_us_per_chunk"] = round(per_chunk, 2)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, start the server, measure every case, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 runs per case instead of 11")
    parser.add_argument("--runs", type=int, help="timed runs per case (at least 5)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures here")
    parser.add_argument("--only", metavar="TEXT", help="measure only cases containing TEXT")
    parser.add_argument(
        "--src", type=Path, metavar="DIR", help="measure the llmcli package under DIR"
    )
    args = parser.parse_args(argv)
    runs = max(args.runs or (5 if args.quick else 11), 5)
    share = CpuShare()

    with MockServer() as server, tempfile.TemporaryDirectory(prefix="llmcli-bench-") as tmp:
        env = child_env(args.src, Path(tmp))
        source = measured_source(env, Path(tmp))
        print(
            f"mock server at {server.base}; {runs} runs per case; llmcli from {source}",
            file=sys.stderr,
        )
        cases: dict[str, Case] = {}
        for case, check in build_cases(server.base, llmcli_path()):
            if args.only and args.only not in case.name:
                continue
            cases[case.name] = measure(case, runs, env, check, Path(tmp))
    print(table(cases))
    busy = share.warning()
    if busy:
        print(f"\n{busy}", file=sys.stderr)
    if args.json:
        data = {"llmcli_source": source, "git_head": git_head(), **figures(cases, runs, share)}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        print(f"\nfigures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as err:
        sys.exit(f"bench: FAILED: {err}")
