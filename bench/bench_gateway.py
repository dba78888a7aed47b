"""Cost of the gateway's translation per streamed delta, against a floor measured in the
same run: one json.dumps of the delta as a minimal dict and its SSE framing, the least any
SSE encoder does per chunk.

    .venv/bin/python bench/bench_gateway.py [--deltas N] [--runs R]

Prints a Markdown table: microseconds per delta (best of R runs) and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from llmcli.events import Event, TextDelta, ToolCallDelta, ToolCallStart
from llmcli.gateway.anthropic_out import Events
from llmcli.gateway.openai_out import Chunks


def _floor(events: list[Event]) -> None:
    for event in events:
        text = getattr(event, "text", "") or getattr(event, "arguments_fragment", "")
        b"data: " + json.dumps({"content": text}).encode() + b"\n\n"


def _chunks(events: list[Event]) -> None:
    writer = Chunks(model_name="m", id="chatcmpl-bench", created=1, include_usage=True)
    for event in events:
        writer.feed(event)


def _messages(events: list[Event]) -> None:
    writer = Events(model_name="m", id="msg_bench", input_tokens=10)
    for event in events:
        writer.feed(event)


def best(fn: Callable[[list[Event]], None], events: list[Event], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(events)
        times.append(time.perf_counter() - start)
    return min(times) / len(events) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    text: list[Event] = [TextDelta("word ") for _ in range(args.deltas)]
    tools: list[Event] = [ToolCallStart("call_1", "f")]
    tools += [ToolCallDelta("call_1", '{"a": 1') for _ in range(args.deltas - 1)]
    print("| stream | floor µs/delta | OpenAI chunks µs (x floor) | Anthropic events µs (x) |")
    print("|---|---|---|---|")
    for name, events in (("text", text), ("tool arguments", tools)):
        floor = best(_floor, events, args.runs)
        chunks = best(_chunks, events, args.runs)
        messages = best(_messages, events, args.runs)
        print(
            f"| {name} | {floor:.2f} | {chunks:.2f} ({chunks / floor:.1f}x) |"
            f" {messages:.2f} ({messages / floor:.1f}x) |"
        )


if __name__ == "__main__":
    main()
