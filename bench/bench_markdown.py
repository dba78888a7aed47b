"""Streaming markdown to a real pseudo-terminal: time and bytes written per answer size.

Runs llmcli's TerminalRenderer in a child process whose stdout is a 120x40 pty, feeds
it N chunks of a markdown answer (headings, lists, a table, code blocks), and reads
everything the child writes. Run: `.venv/bin/python bench/bench_markdown.py`.

Targets (issue 4): 20,000 chunks in <= 1 s, the 20,000-chunk time <= 10x the 2,000-chunk
time, and <= 2 MB written to the terminal.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import statistics
import struct
import sys
import termios
import time

CHILD = r"""
import sys, time
from llmcli.events import TextDelta, Result
from llmcli.render import TerminalRenderer

BLOCK = '''## Section {n}

Some **bold** text, some `code`, and a [link](https://example.com) in a paragraph that
goes on for a while so that it wraps on a 120-column terminal at least once or twice.

- first item with *emphasis*
- second item
  - nested item

| name | value |
|------|-------|
| a    | 1     |
| b    | 2     |

```python
def f(x: int) -> int:
    return x * {n}
```

'''
chunks_wanted = int(sys.argv[1])
text = "".join(BLOCK.format(n=i) for i in range(chunks_wanted // 60 + 2))
size = max(len(text) // chunks_wanted, 1)
chunks = [text[i:i + size] for i in range(0, size * chunks_wanted, size)]
renderer = TerminalRenderer()
start = time.perf_counter()
for c in chunks:
    renderer.event(TextDelta(c))
result = Result(provider="bench", model="bench", content="".join(chunks))
renderer.finish(result)
renderer.close()
sys.stdout.flush()
sys.stderr.write("ELAPSED %f %d\n" % (time.perf_counter() - start, len(result.content)))
"""


def run_once(chunks: int) -> tuple[float, float, int, int]:
    """(wall seconds for the whole child, render seconds, bytes to the tty, text chars)."""
    err_r, err_w = os.pipe()
    started = time.perf_counter()
    pid, master = pty.fork()
    if pid == 0:
        os.dup2(err_w, 2)
        os.environ.pop("NO_COLOR", None)
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-c", CHILD, str(chunks)])
    os.close(err_w)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    written = 0
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        written += len(data)
    os.waitpid(pid, 0)
    wall = time.perf_counter() - started
    report = os.read(err_r, 65536).decode()
    os.close(err_r)
    line = next(x for x in report.splitlines() if x.startswith("ELAPSED"))
    _, render_s, chars = line.split()
    return wall, float(render_s), written, int(chars)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    figures: dict[int, dict[str, float]] = {}
    for chunks in (2_000, 20_000):
        samples = [run_once(chunks) for _ in range(args.runs)]
        figures[chunks] = {
            "render_s": statistics.median(s[1] for s in samples),
            "wall_s": statistics.median(s[0] for s in samples),
            "bytes": statistics.median(s[2] for s in samples),
            "chars": samples[0][3],
        }
    print("| chunks | text chars | render (median) | whole process | bytes to terminal |")
    print("|---|---|---|---|---|")
    for chunks, f in figures.items():
        print(
            f"| {chunks:,} | {f['chars']:,.0f} | {f['render_s'] * 1000:.0f} ms |"
            f" {f['wall_s'] * 1000:.0f} ms | {f['bytes'] / 1e6:.2f} MB |"
        )
    ratio = figures[20_000]["render_s"] / figures[2_000]["render_s"]
    print(f"\n20,000 / 2,000 render time: {ratio:.1f}x (target <= 10x; 20k target <= 1 s, <= 2 MB)")
    if args.json_path:
        with open(args.json_path, "w") as out:
            json.dump({str(k): v for k, v in figures.items()} | {"ratio": ratio}, out, indent=2)


if __name__ == "__main__":
    main()
