"""Fragments in the history: the database's size and the write time when one 200 KB file
goes with 100 different prompts, stored once (store_fragments) against the floor of
storing each prompt whole (what the history did before: only identical texts shared).

Run: `.venv/bin/python bench/bench_fragments.py [--prompts N] [--kb K]`. Both cases write
the same exchanges through `store.add_exchange` in the same run; the figures are ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llmcli import store
from llmcli.fragments import Fragment, render
from llmcli.store_fragments import Use


def write(path: Path, prompts: int, fragment: Fragment, linked: bool) -> tuple[int, float]:
    """(database bytes, seconds) after `prompts` exchanges using `fragment`."""
    db = store.connect(path)
    started = time.perf_counter()
    for n in range(prompts):
        text = f"{render([fragment])}\n\nquestion {n}: what does it say about part {n}?"
        cid = store.create_conversation(db, text, "openai/gpt-4o-mini")
        record = store.ResponseRecord(
            "openai", "gpt-4o-mini", {}, "stop", None, [],
            {"body": {"messages": [{"role": "user", "content": text}]}}, 10, 5,
        )  # fmt: skip
        rows = [
            ("user", [{"type": "text", "text": text}]),
            ("assistant", [{"type": "text", "text": f"answer {n}"}]),
        ]
        uses = [Use(fragment.label, fragment.sent)] if linked else []
        store.add_exchange(db, cid, rows, record, uses, [u.text for u in uses])
    seconds = time.perf_counter() - started
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return os.path.getsize(path), seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--kb", type=int, default=200)
    args = parser.parse_args()
    line = "a line of the design document that the prompts keep sending along\n"
    fragment = Fragment("docs/design.md", line * (args.kb * 1024 // len(line)))
    with tempfile.TemporaryDirectory() as folder:
        whole = write(Path(folder) / "whole.db", args.prompts, fragment, linked=False)
        once = write(Path(folder) / "once.db", args.prompts, fragment, linked=True)
    print(f"{args.prompts} prompts with one {args.kb} KB fragment:")
    print(f"  stored whole (floor): {whole[0] / 1e6:8.2f} MB  {whole[1]:6.2f} s")
    print(f"  stored once:          {once[0] / 1e6:8.2f} MB  {once[1]:6.2f} s")
    print(f"  size ratio {once[0] / whole[0]:.3f}, time ratio {once[1] / whole[1]:.2f}")


if __name__ == "__main__":
    main()
