"""Local model benchmark: time to first token and tokens/s of `complete -m local/smollm2`.

Run: `.venv/bin/python bench/bench_local.py [--runs N] [--tokens N] [--threads N] [--json PATH]`
(needs the `local` extra; the model is pulled first when it is missing).

Three cases, each a median over N runs:
- cold: `llmcli complete -m local/smollm2`, a fresh process that starts its own llama.cpp
  server (process start, server start, prompt and decoding all included);
- warm: the same command with `--api-base` pointing at `llmcli local serve`;
- server: a streamed request straight to that server with httpx (no llmcli process), the
  floor the other two are compared with.

TTFT is measured from spawning the process (or sending the request) to the first byte
of the answer; tokens/s is the output tokens after the first divided by the time from
the first to the last byte. `ignore_eos` makes every answer exactly --tokens long.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "Write a long story about a robot who learns to paint."
MODEL = "local/smollm2"


@dataclass
class Sample:
    ttft_ms: float
    tokens: int
    tokens_per_s: float
    wall_ms: float
    server_start_ms: float | None = None


@dataclass
class Case:
    name: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values = [getattr(s, attribute) for s in self.samples]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None


def llmcli() -> list[str]:
    return [sys.executable, "-m", "llmcli"]


def child_env(threads: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env.pop("LLMCLI_MODEL", None)
    if threads:
        env["LLMCLI_LOCAL_THREADS"] = str(threads)
    return env


def run_complete(extra: list[str], tokens: int, env: dict[str, str]) -> Sample:
    """One `llmcli complete` process, timed from spawn to first and last stdout byte."""
    argv = [
        *llmcli(),
        "complete",
        "-m",
        MODEL,
        "--temperature",
        "0",
        "--max-tokens",
        str(tokens),
        "-o",
        "ignore_eos=true",
        "-u",
        "--no-log",
        *extra,
        PROMPT,
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    first = last = None
    fd = proc.stdout.fileno()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        last = time.perf_counter() - started
        first = first if first is not None else last
    code = proc.wait()
    wall = time.perf_counter() - started
    reader.join()
    stderr = b"".join(errors).decode(errors="replace")
    if code != 0 or first is None or last is None:
        raise SystemExit(f"llmcli failed (exit {code}): {stderr.strip()}")
    found = re.search(r"([\d,]+) output", stderr)
    count = int(found.group(1).replace(",", "")) if found else tokens
    start = re.search(r"started in ([\d.]+)s", stderr)
    return Sample(
        ttft_ms=first * 1000,
        tokens=count,
        tokens_per_s=(count - 1) / (last - first) if last > first else 0.0,
        wall_ms=wall * 1000,
        server_start_ms=float(start.group(1)) * 1000 if start else None,
    )


def run_direct(base: str, tokens: int) -> Sample:
    """One streamed request straight to the server (no llmcli process)."""
    import httpx

    body = {
        "model": "smollm2",
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": tokens,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    started = time.perf_counter()
    first = last = None
    count = tokens
    with httpx.stream("POST", base + "/chat/completions", json=body, timeout=300) as response:
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                count = chunk["usage"]["completion_tokens"]
            for choice in chunk.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    last = time.perf_counter() - started
                    first = first if first is not None else last
    wall = time.perf_counter() - started
    assert first is not None and last is not None
    return Sample(first * 1000, count, (count - 1) / (last - first), wall * 1000)


def start_serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*llmcli(), "local", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    base = proc.stdout.readline().strip()
    if not base.startswith("http"):
        proc.kill()
        raise SystemExit("llmcli local serve did not start")
    return proc, base


def ensure_model() -> None:
    done = subprocess.run([*llmcli(), "models", "pull", MODEL], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr.strip())


def table(cases: list[Case]) -> str:
    rows = [
        "| case | TTFT ms (median) | tokens/s (median) | wall ms | server start ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        start = case.median("server_start_ms")
        rows.append(
            f"| {case.name} | {case.median('ttft_ms'):.0f} | {case.median('tokens_per_s'):.1f}"
            f" | {case.median('wall_ms'):.0f} | {'' if start is None else f'{start:.0f}'} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--tokens", type=int, default=128, help="tokens per answer")
    parser.add_argument("--threads", type=int, help="server threads (default: llmcli's, 1)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures here")
    args = parser.parse_args()
    env = child_env(args.threads)
    ensure_model()
    cold = Case("cold: `complete -m local/smollm2` (starts its server)")
    warm = Case("warm: `complete --api-base` to `local serve`")
    direct = Case("server alone (httpx, no llmcli)")
    for _ in range(args.runs):
        cold.samples.append(run_complete(["--debug"], args.tokens, env))
    serve, base = start_serve(env)
    try:
        run_direct(base, 8)  # first request after start-up: not counted
        for _ in range(args.runs):
            warm.samples.append(run_complete(["--api-base", base], args.tokens, env))
            direct.samples.append(run_direct(base, args.tokens))
    finally:
        serve.terminate()
        serve.wait()
    cases = [cold, warm, direct]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{args.runs} runs per case, {args.tokens} tokens per answer; {machine}\n")
    print(table(cases))
    if args.json:
        data = {
            "machine": machine,
            "runs": args.runs,
            "tokens": args.tokens,
            "cases": {c.name: [asdict(s) for s in c.samples] for c in cases},
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
