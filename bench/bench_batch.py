"""`llmcli batch run` throughput and memory against a loopback chat mock, set against the
same job done the way a user would otherwise do it, measured in the same run.

    .venv/bin/python bench/bench_batch.py                      # 2,000 lines, 0 and 50 ms
    .venv/bin/python bench/bench_batch.py --lines 10000 --memory-lines 1000,100000

The mock (tests/batch_mock.py, one process of its own) answers OpenAI chat completions
after a random delay averaging `--delays` seconds. Cases, run interleaved (each round
runs every case once, so the machine's drift hits all alike):

- `llmcli batch run IN --output OUT --concurrency N --no-log`, and the same with the
  history written (the default);
- the floor (bench/floor_batch.py): `AsyncOpenAI` with an asyncio semaphore of N, and a
  bare `httpx.AsyncClient` with the same semaphore.

Reported: lines per second (median round), llmcli over each floor, CPU seconds, peak
RSS, and the mock's share of the CPU (it runs on the same cores). Then llmcli's peak RSS
at each of `--memory-lines`: flat when it does not grow with the input.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from measuring import Sample, run_once

ROOT = Path(__file__).resolve().parent.parent
FLOOR = Path(__file__).resolve().parent / "floor_batch.py"
MOCK = """
import sys, time
sys.path.insert(0, {root!r})
from tests import servers
from tests.batch_mock import ChatMock
servers._HTTPServer.request_queue_size = 256  # 64 connections at once: none refused
mock = ChatMock(delay={delay})
print(mock.url, flush=True)
while True:
    time.sleep(3600)
"""


@dataclass
class Case:
    name: str
    argv: list[str]
    out: Path
    samples: list[Sample] = field(default_factory=list)
    mock_cpu: list[float] = field(default_factory=list)  # mock CPU seconds per run

    def rate(self, lines: int) -> float:
        return lines / (statistics.median(s.ms for s in self.samples) / 1000)


def mock_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_input(path: Path, lines: int) -> Path:
    with path.open("w") as file:
        for n in range(lines):
            file.write(json.dumps({"custom_id": f"t{n}", "prompt": f"prompt number {n}"}) + "\n")
    return path


def check(out: Path, lines: int) -> None:
    got = out.read_text().splitlines()
    if len(got) != lines:
        raise SystemExit(f"{out}: {len(got)} lines, not {lines}")
    first = json.loads(got[0])
    if first.get("error") or "echo: prompt number" not in json.dumps(first):
        raise SystemExit(f"{out}: wrong answer {got[0][:200]}")


def llmcli_argv(src: Path, out: Path, url: str, concurrency: int, log: bool) -> list[str]:
    return [
        sys.executable, "-m", "llmcli", "batch", "run", str(src), "--output", str(out),
        "--fresh", "-m", "openai/gpt-4o-mini", "--api-base", url + "/v1",
        "--concurrency", str(concurrency), "--retries", "8", "--log" if log else "--no-log",
    ]  # fmt: skip


def start_mock(delay: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", MOCK.format(root=str(ROOT), delay=delay)],
        stdout=subprocess.PIPE,
        text=True,
    )


def run_delay(delay: float, args: argparse.Namespace, env: dict[str, str], tmp: Path) -> None:
    mock = start_mock(delay)
    try:
        url = (mock.stdout.readline() if mock.stdout else "").strip()
        src = write_input(tmp / f"in-{args.lines}.jsonl", args.lines)
        n = args.concurrency
        floor = [sys.executable, str(FLOOR), str(src)]
        a, b, c, d = (tmp / name for name in "abcd")
        cases = [
            Case("llmcli batch run --no-log", llmcli_argv(src, a, url, n, False), a),
            Case("llmcli batch run (history written)", llmcli_argv(src, b, url, n, True), b),
            Case("floor: AsyncOpenAI + semaphore", [*floor, str(c), url + "/v1", str(n)], c),
            Case(
                "floor: httpx.AsyncClient + semaphore",
                [*floor, str(d), url + "/v1", str(n), "--httpx"],
                d,
            ),
        ]
        for round_ in range(args.runs + 1):
            for case in cases:
                before = mock_cpu_seconds(mock.pid)
                sample, _, _ = run_once(case.argv, env, tmp)
                check(case.out, args.lines)
                if round_:  # round 0 warms up
                    case.samples.append(sample)
                    case.mock_cpu.append(mock_cpu_seconds(mock.pid) - before)
            print(f"  delay {delay}: round {round_}/{args.runs}", file=sys.stderr, flush=True)
        report(delay, cases, args)
    finally:
        mock.kill()
        mock.wait()


def report(delay: float, cases: list[Case], args: argparse.Namespace) -> None:
    ours, _, sdk, bare = cases
    head = f"{args.lines:,} lines, mock delay {delay * 1000:.0f} ms"
    print(f"\n### {head}, concurrency {args.concurrency}\n")
    print("| case | lines/s | CPU s | peak MiB | mock CPU share |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for case in cases:
        wall = statistics.median(s.ms for s in case.samples) / 1000
        cpu = statistics.median(s.cpu_ms for s in case.samples) / 1000
        peak = max(s.rss_kib for s in case.samples) / 1024
        share = statistics.median(case.mock_cpu) / wall
        print(
            f"| {case.name} | {case.rate(args.lines):,.0f} | {cpu:.1f} | {peak:.0f} | {share:.0%} |"
        )
    print(
        f"\nllmcli --no-log over AsyncOpenAI: {ours.rate(args.lines) / sdk.rate(args.lines):.2f}x;"
        f" over bare httpx: {ours.rate(args.lines) / bare.rate(args.lines):.2f}x"
    )


def memory(args: argparse.Namespace, env: dict[str, str], tmp: Path) -> None:
    mock = start_mock(0.0)
    try:
        url = (mock.stdout.readline() if mock.stdout else "").strip()
        print("\n### llmcli batch run --no-log: peak RSS by input length (mock delay 0)\n")
        print("| lines | peak MiB | lines/s |")
        print("| ---: | ---: | ---: |")
        for lines in args.memory_lines:
            src = write_input(tmp / f"mem-{lines}.jsonl", lines)
            out = tmp / "mem.jsonl"
            sample, _, _ = run_once(llmcli_argv(src, out, url, args.concurrency, False), env, tmp)
            check(out, lines)
            print(
                f"| {lines:,} | {sample.rss_kib / 1024:.0f} | {lines / (sample.ms / 1000):,.0f} |"
            )
    finally:
        mock.kill()
        mock.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--delays", default="0,0.05")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-lines", default="1000,20000")
    args = parser.parse_args()
    args.memory_lines = [int(x) for x in args.memory_lines.split(",")]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp),
            "XDG_CONFIG_HOME": str(tmp / "config"),
            "LLMCLI_HOME": str(tmp / "home"),
            "OPENAI_API_KEY": "sk-bench-0000000000000000",
            "PYTHONPATH": str(ROOT),
        }
        started = time.monotonic()
        for delay in (float(x) for x in args.delays.split(",")):
            run_delay(delay, args, env, tmp)
        memory(args, env, tmp)
        print(f"\n({time.monotonic() - started:.0f} s in all)", file=sys.stderr)


if __name__ == "__main__":
    main()
