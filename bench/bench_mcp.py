"""What an MCP server adds to a run: importing the `mcp` SDK, starting a server over stdio
and listing its tools, and one tool call, each set against a floor measured in the same
run (a Python process doing nothing; a raw JSON-RPC `initialize` + `tools/list` exchange
with the same server over pipes, without the SDK).

    .venv/bin/python bench/bench_mcp.py [--runs N]

Needs the `mcp` extra and mcp-server-time (in the `dev` extra).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

SERVER = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]


def timed(action: Callable[[], object], runs: int) -> float:
    """The median of `runs` timings, in milliseconds."""
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def python_nothing() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def import_sdk() -> None:
    code = "import mcp, mcp.client.stdio, mcp.client.streamable_http"
    subprocess.run([sys.executable, "-c", code], check=True)


def raw_exchange() -> None:
    """The floor of a start: the server's own start-up plus two JSON-RPC answers."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]  # fmt: skip
    proc = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert proc.stdin and proc.stdout
    for message in messages:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        if "id" in message:
            while '"id":' + str(message["id"]) not in proc.stdout.readline().replace(" ", ""):
                pass
    proc.kill()
    proc.wait()


def sdk_start() -> None:
    from llmcli.mcp.client import Hub
    from llmcli.mcp.servers import ServerSpec

    hub = Hub()
    hub.start(ServerSpec("time", SERVER))
    hub.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    import os

    os.environ.setdefault("LLMCLI_HOME", tempfile.mkdtemp())
    from llmcli.mcp.client import Hub
    from llmcli.mcp.servers import ServerSpec

    hub = Hub()
    running = hub.start(ServerSpec("time", SERVER))
    call = timed(lambda: hub.call(running, "get_current_time", {"timezone": "UTC"}, 10), runs * 5)
    hub.stop_all()
    rows = [
        ("import the mcp SDK (new process)", timed(import_sdk, runs), timed(python_nothing, runs)),
        ("start mcp-server-time + list tools", timed(sdk_start, runs), timed(raw_exchange, runs)),
    ]
    print("| what | llmcli ms | floor ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, ours, floor in rows:
        print(f"| {name} | {ours:.0f} | {floor:.0f} | {ours / floor:.2f} |")
    print(f"| one tool call (get_current_time) | {call:.1f} | | |")


if __name__ == "__main__":
    main()
