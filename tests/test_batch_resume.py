"""`llmcli batch run` killed with SIGKILL at random moments and resumed: in the end
exactly one successful line per custom_id, none lost, none duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from tests.batch_mock import ChatMock

LINES = 600


def test_killed_runs_resume_to_exactly_one_answer_per_id(cli_env, tmp_path):
    mock = ChatMock(delay=0.05, rate_limited=0.05)
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"custom_id": f"k{n}", "prompt": f"p{n}"}) + "\n" for n in range(LINES))
    )
    out = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "llmcli",
        "batch",
        "run",
        str(src),
        "--output",
        str(out),
        "-m",
        "openai/gpt-4o-mini",
        "--api-base",
        mock.url + "/v1",
        "-j",
        "4",
        "--retries",
        "8",
    ]
    draw = random.Random(13)
    progress = []
    try:
        for _ in range(5):
            child = subprocess.Popen(
                command, env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(draw.uniform(0.5, 1.2))
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            progress.append(_answered(out))
        final = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=120)
    finally:
        mock.stop()
    assert final.returncode == 0, final.stderr
    # The kills landed mid-run: answers were written, and the last kill left work to do.
    # (a loaded machine may start slowly: the first kills may land before any answer)
    assert 0 < progress[-1] < LINES, progress
    assert f"{progress[-1]} skipped" in final.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    wins = Counter(x["custom_id"] for x in lines if x["result"] is not None)
    assert wins == {f"k{n}": 1 for n in range(LINES)}
    for line in lines:
        if line["result"] is not None:
            assert line["result"]["content"] == "echo: p" + line["custom_id"][1:]


def _answered(out):
    """custom_ids with a result so far (a torn last line is not counted)."""
    if not out.exists():
        return 0
    done = set()
    for raw in out.read_text().splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line["result"] is not None:
            done.add(line["custom_id"])
    return len(done)
