"""`llmcli serve` against LiteLLM's proxy, same machine, same run, one worker each.

Both gateways sit in front of one loopback mock upstream (tests/serve_mock.py, its own
process) that answers OpenAI chat completions by echoing the prompt. Measured:

- requests per second with 64 concurrent non-streaming clients (keep-alive connections);
- added latency, p50 and p99: one client, the same request through the gateway minus
  straight to the mock;
- time to first byte of a stream (one client, p50), and the same straight to the mock;
- peak RSS of the gateway with 1,000 concurrent open streams (a mock that sends one
  chunk every 50 ms keeps them open).

LiteLLM (`litellm[proxy]` from PyPI) goes into its own virtual environment, made by this
script when the registry is reachable (`--litellm-venv DIR`, default
~/.cache/llmcli-bench/litellm-venv); without it the LiteLLM rows say why they are absent.

    .venv/bin/python bench/bench_serve.py [--seconds 10] [--streams 1000] [--no-litellm]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serve_client import read_body, read_head, send, sse_text  # noqa: E402

DEFAULT_VENV = Path.home() / ".cache" / "llmcli-bench" / "litellm-venv"
# Both gateways run with a master key (LiteLLM refuses to start without one).
MASTER = "sk-" + "5e" * 32
AUTH = {"authorization": f"Bearer {MASTER}"}
BODY = {"model": "echo", "messages": [{"role": "user", "content": "hello there"}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(port: int, path: str, proc: subprocess.Popen[bytes], limit: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before listening")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("not ready in time")


def start_mock(delay: float) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "serve_mock.py"), str(port), str(delay)],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, port


def config_text(fast: int, slow: int) -> str:
    entry = (
        "  - model_name: {0}\n"
        "    litellm_params: {{model: openai/{0}, api_base: 'http://127.0.0.1:{1}/v1',"
        " api_key: sk-bench}}\n"
    )
    settings = f"general_settings:\n  master_key: {MASTER}\n"
    return "model_list:\n" + entry.format("echo", fast) + entry.format("slow", slow) + settings


def start_llmcli(config: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp / "data"), "HOME": str(tmp)}
    argv = [sys.executable, "-m", "llmcli", "serve", "--config", str(config)]
    argv += ["--port", str(port), "--quiet", "--no-log"]
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL, cwd=ROOT)
    wait_ready(port, "/health/readiness", proc)
    return proc, port


def litellm_venv(venv: Path) -> Path | str:
    """The LiteLLM proxy's executable, installing it first if needed; or why not."""
    exe = venv / "bin" / "litellm"
    if exe.exists():
        return exe
    print(f"installing litellm[proxy] into {venv} ...", file=sys.stderr)
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True)
    if made.returncode != 0:
        return "could not create its virtual environment"
    pip = [str(venv / "bin" / "pip"), "install", "-q", "litellm[proxy]"]
    if subprocess.run(pip, capture_output=True).returncode != 0 or not exe.exists():
        return "litellm[proxy] could not be installed (is PyPI reachable?)"
    return exe


def start_litellm(exe: Path, config: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the price list at start
        "LITELLM_LOG": "ERROR",
        "DISABLE_SCHEMA_UPDATE": "True",
    }
    argv = [str(exe), "--config", str(config), "--port", str(port), "--num_workers", "1"]
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    wait_ready(port, "/health/readiness", proc, limit=180)
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM) if os.getpgid(
            proc.pid
        ) == proc.pid else proc.terminate()
        proc.wait(20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        proc.kill()


# ---- measurements --------------------------------------------------------------------


class Conn:
    """One keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, body: dict[str, Any], first: bool = False) -> tuple[bytes, float]:
        """The whole answer, and seconds to its first body byte (`first`) or its end."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        start = time.perf_counter()
        await send(self.writer, self.port, "/v1/chat/completions", body, AUTH)
        status, chunked, length = await read_head(self.reader)
        if first and chunked:
            size_line = await self.reader.readuntil(b"\r\n")  # the first chunk's size
            ttfb = time.perf_counter() - start
            data = await self.reader.readexactly(int(size_line.strip(), 16))
            await self.reader.readexactly(2)
            return data + await read_body(self.reader, True, None), ttfb
        data = await read_body(self.reader, chunked, length)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {data[:200]!r}")
        return data, time.perf_counter() - start

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def rps(port: int, clients: int, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        conn = Conn(port)
        try:
            while time.perf_counter() < deadline:
                await conn.request(BODY)
                done += 1
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.perf_counter() - start)


async def latencies(port: int, count: int, stream: bool = False) -> list[float]:
    conn = Conn(port)
    body = {**BODY, "stream": True} if stream else BODY
    out = []
    try:
        for _ in range(count):
            _, seconds = await conn.request(body, first=stream)
            out.append(seconds)
    finally:
        conn.close()
    return out


def rss_kib(pid: int) -> int:
    """RSS of `pid` and its children (LiteLLM may run its server in a child)."""
    total = 0
    pids = [pid]
    try:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        pids += [int(p) for p in kids.stdout.split()]
    except FileNotFoundError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


async def open_streams(port: int, pid: int, streams: int) -> tuple[float, int]:
    """Peak RSS (MiB) while `streams` slow streams are open; how many answered right."""
    peak = rss_kib(pid)
    words = " ".join(["w"] * 40)  # 42 chunks, 50 ms apart: ~2 s per stream

    async def one(i: int) -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = {"model": "slow", "stream": True, "messages": [{"role": "user", "content": words}]}
        try:
            await send(writer, port, "/v1/chat/completions", body, AUTH)
            status, chunked, length = await read_head(reader)
            data = await read_body(reader, chunked, length)
            return status == 200 and sse_text(data) == f"echo: {words}"
        finally:
            writer.close()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_kib(pid))
            await asyncio.sleep(0.05)

    sampler = asyncio.ensure_future(sample())
    results = await asyncio.gather(*(one(i) for i in range(streams)), return_exceptions=True)
    sampler.cancel()
    return peak / 1024, sum(1 for r in results if r is True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(name: str, port: int, pid: int, direct: dict[str, float], args: Any) -> dict[str, Any]:
    run: Callable[[Awaitable[Any]], Any] = asyncio.run
    print(f"{name}: warming up", file=sys.stderr)
    run(latencies(port, 20))
    print(f"{name}: requests per second, 64 clients, {args.seconds:g} s", file=sys.stderr)
    row: dict[str, Any] = {"rps": run(rps(port, 64, args.seconds))}
    lat = run(latencies(port, args.count))
    row["p50"] = (statistics.median(lat) - direct["p50"]) * 1000
    row["p99"] = (pct(lat, 0.99) - direct["p99"]) * 1000
    ttfb = run(latencies(port, args.count // 2, stream=True))
    row["ttfb"] = statistics.median(ttfb) * 1000
    print(f"{name}: {args.streams} open streams", file=sys.stderr)
    row["idle_mib"] = rss_kib(pid) / 1024
    row["peak_mib"], row["streams_ok"] = run(open_streams(port, pid, args.streams))
    print(f"{name}: {row}", file=sys.stderr)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=400, help="requests for the latencies")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--litellm-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--no-litellm", action="store_true")
    args = parser.parse_args()
    fast, fast_port = start_mock(0.0)
    slow, slow_port = start_mock(0.05)
    procs = [fast, slow]
    rows: dict[str, dict[str, Any]] = {}
    absent = ""
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            config = tmp / "config.yaml"
            config.write_text(config_text(fast_port, slow_port))
            asyncio.run(latencies(fast_port, 20))
            lat = asyncio.run(latencies(fast_port, args.count))
            ttfb = asyncio.run(latencies(fast_port, args.count // 2, stream=True))
            direct = {"p50": statistics.median(lat), "p99": pct(lat, 0.99)}
            direct_ttfb = statistics.median(ttfb) * 1000
            gw, port = start_llmcli(config, tmp)
            procs.append(gw)
            rows["llmcli serve"] = measure("llmcli", port, gw.pid, direct, args)
            stop(gw)
            exe = None if args.no_litellm else litellm_venv(args.litellm_venv)
            if isinstance(exe, Path):
                proxy, port = start_litellm(exe, config)
                procs.append(proxy)
                rows["LiteLLM proxy"] = measure("litellm", port, proxy.pid, direct, args)
                stop(proxy)
            else:
                absent = "--no-litellm" if args.no_litellm else str(exe)
    finally:
        for proc in procs:
            if proc.poll() is None:
                stop(proc)
    print_table(rows, direct_ttfb, args, absent)
    return 0


def print_table(
    rows: dict[str, dict[str, Any]], direct_ttfb: float, args: Any, absent: str
) -> None:
    head = (
        f"| gateway (1 worker) | req/s, 64 clients | added p50 ms | added p99 ms |"
        f" TTFB stream ms (mock alone: {direct_ttfb:.1f}) | RSS idle MiB |"
        f" peak RSS, {args.streams:,} streams MiB | streams answered |"
    )
    print(head)
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows.items():
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['ttfb']:.1f} |"
            f" {r['idle_mib']:.0f} | {r['peak_mib']:.0f} | {r['streams_ok']}/{args.streams} |"
        )
    if "llmcli serve" in rows and "LiteLLM proxy" in rows:
        ratio = rows["llmcli serve"]["rps"] / max(rows["LiteLLM proxy"]["rps"], 1e-9)
        print(f"\nllmcli serve / LiteLLM proxy requests per second: **{ratio:.1f}x**")
    if absent:
        print(f"\nLiteLLM proxy not measured: {absent}")


if __name__ == "__main__":
    raise SystemExit(main())
