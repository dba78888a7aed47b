"""Whole-process benchmark of `llmcli` against a loopback mock OpenAI-compatible server,
set against the stack floor (bench/floor.py: typer + pydantic + httpx doing the same call).

Run: `.venv/bin/python bench/bench.py [--quick] [--runs N] [--json PATH] [--src DIR]
[--baseline DIR]`. Each case is a fresh process, timed wall-clock from spawn to exit, with
its CPU time (user + sys); max RSS comes from `/usr/bin/time -f %M`, else from
`RUSAGE_CHILDREN` in a small Python wrapper. The cases run interleaved, one round at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from measuring import (
    TIME,
    BenchError,
    Case,
    Check,
    CpuShare,
    expect_help,
    expect_nothing,
    expect_text,
    expect_words,
    measure_all,
)
from mock_server import CHUNK_HEADER, MODEL, ONE_SHOT_TEXT, MockServer

ROOT = Path(__file__).resolve().parent.parent
FLOOR = Path(__file__).resolve().parent / "floor.py"

# ---- for scale: httpx alone, a bare socket -------------------------------------------

RAW_ONE_SHOT = """
import json, sys, httpx
base, = sys.argv[1:]
r = httpx.post(base + "/chat/completions", headers={"authorization": "Bearer dummy"},
               json={"model": "bench", "messages": [{"role": "user", "content": "hi"}]})
r.raise_for_status()
sys.stdout.write(r.json()["choices"][0]["message"]["content"] + "\\n")
"""

RAW_STREAM = """
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

RAW_SOCKET = """
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


# ---- the cases -----------------------------------------------------------------------


def llmcli_path() -> str:
    """The venv's console script next to this interpreter, else PATH."""
    beside = Path(sys.executable).parent / "llmcli"
    if beside.exists():
        return str(beside)
    found = shutil.which("llmcli")
    if not found:
        raise BenchError("llmcli not found: run with the project's .venv/bin/python")
    return found


def child_env(src: Path | None, tmp: Path, home: str = "home") -> dict[str, str]:
    """The caller's environment without llmcli settings, plus a dummy key.

    LLMCLI_HOME points into `tmp`, so the history database the runs write is a
    throwaway one. The warm-up round writes llmcli's bytecode cache. With `src`, that
    directory comes first on PYTHONPATH, so its `llmcli` package is the one measured
    (a snapshot, or a patched copy for A/B).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMCLI_", "OPENAI_"))}
    # Users' runs load llmcli from cached bytecode; with this set, every run would compile
    # llmcli from source while typer, pydantic and httpx load their installed .pyc files.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["OPENAI_API_KEY"] = "dummy"
    env["NO_COLOR"] = "1"
    env["LLMCLI_HOME"] = str(tmp / home)
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


def build_cases(base: str, llmcli: str, before: dict[str, str] | None = None) -> list[Case]:
    """Every case: llmcli (and its baseline copy), the stack floor, and the scale floors."""
    py = sys.executable
    port = base.split(":")[-1].split("/")[0]
    target = ["-m", f"openai/{MODEL}", "--api-base", base]

    def chunks(n: int) -> list[str]:
        return ["-H", f"{CHUNK_HEADER}: {n}", "hi"]

    def cli(name: str, argv: list[str], check: Check) -> list[Case]:
        cases = [Case(f"llmcli {name}", [llmcli, *argv], check)]
        if before is not None and name in BASELINE_CASES:
            cases.append(Case(f"before: llmcli {name}", [llmcli, *argv], check, env=before))
        return cases

    def floor(name: str, argv: list[str], check: Check) -> Case:
        return Case(f"{FLOOR_LABEL} {name}", [py, str(FLOOR), *argv], check)

    one_shot = ["complete", "--no-stream", *target, "hi"]
    stream = ["complete", *target]
    return [
        *cli(HELP, ["--help"], expect_help),
        floor(HELP, ["--help"], expect_help),
        *cli(ONE_SHOT, one_shot, expect_text(ONE_SHOT_TEXT)),
        *cli(ONE_SHOT + NO_LOG, [*one_shot[:-1], "--no-log", "hi"], expect_text(ONE_SHOT_TEXT)),
        floor(ONE_SHOT, one_shot, expect_text(ONE_SHOT_TEXT)),
        *cli(SMALL, [*stream, *chunks(2000)], expect_words(2000)),
        floor(SMALL, [*stream, *chunks(2000)], expect_words(2000)),
        *cli(LARGE, [*stream, *chunks(20000)], expect_words(20000)),
        *cli(LARGE + NO_LOG, [*stream, "--no-log", *chunks(20000)], expect_words(20000)),
        floor(LARGE, [*stream, *chunks(20000)], expect_words(20000)),
        floor(
            f"{LARGE} (httpx defaults: CA bundle loaded)",
            [*stream, "--httpx-defaults", *chunks(20000)],
            expect_words(20000),
        ),
        Case("scale: python -c pass", [py, "-c", "pass"], expect_nothing),
        Case("scale: python -c 'import httpx'", [py, "-c", "import httpx"], expect_nothing),
        Case(
            "scale: raw httpx one-shot", [py, "-c", RAW_ONE_SHOT, base], expect_text(ONE_SHOT_TEXT)
        ),
        Case(
            f"scale: raw httpx {LARGE}", [py, "-c", RAW_STREAM, base, "20000"], expect_words(20000)
        ),
        Case(
            f"scale: raw socket {LARGE} (the server's pace)",
            [py, "-c", RAW_SOCKET, port, "20000"],
            expect_nothing,
        ),
    ]


# ---- the report ----------------------------------------------------------------------

HELP, ONE_SHOT, SMALL, LARGE = "--help", "one-shot", "stream 2,000", "stream 20,000"
NO_LOG = " --no-log"
FLOOR_LABEL = "stack floor"
BASELINE_CASES = (HELP, ONE_SHOT, LARGE)

# llmcli over the stack floor, on median CPU time (and peak RSS): the targets.
RATIO_TARGETS = {HELP: 1.15, ONE_SHOT: 1.15, LARGE: 1.15}
MEMORY_TARGET = 1.10
# Absolute targets on the median wall time, and on the 20,000-chunk run's peak RSS.
TARGETS = {f"llmcli {HELP}": 150.0, f"llmcli {ONE_SHOT}": 200.0, f"llmcli {LARGE}": 600.0}
PEAK_TARGET_MIB = 40.0


def _status(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return "ok" if value <= target else "**MISSED**"


def _ratio_rows(cases: dict[str, Case], who: str) -> list[str]:
    """`who` (`llmcli` or `before: llmcli`) over the stack floor, one row per comparison."""
    rows = []
    for name, floor_name in (
        (HELP, HELP), (ONE_SHOT, ONE_SHOT), (ONE_SHOT + NO_LOG, ONE_SHOT),
        (LARGE, LARGE), (LARGE + NO_LOG, LARGE),
    ):  # fmt: skip
        ours, floor = cases.get(f"{who} {name}"), cases.get(f"{FLOOR_LABEL} {floor_name}")
        if ours is None or floor is None:
            continue
        cpu = ours.cpu_ms / floor.cpu_ms
        target = RATIO_TARGETS.get(name)
        rows.append(
            f"| {who} {name} | {ours.cpu_ms:.1f} | {floor.cpu_ms:.1f} | **{cpu:.2f}x** "
            f"| {ours.median_ms / floor.median_ms:.2f}x | {ours.min_ms / floor.min_ms:.2f}x "
            f"| {f'<= {target:.2f}x' if target else ''} | {_status(cpu, target)} |"
        )
    ours, floor = cases.get(f"{who} {LARGE}"), cases.get(f"{FLOOR_LABEL} {LARGE}")
    if ours is not None and floor is not None:
        ratio = ours.median_mib / floor.median_mib
        rows.append(
            f"| {who} peak RSS, {LARGE} (MiB, median of runs) | {ours.median_mib:.1f} "
            f"| {floor.median_mib:.1f} | **{ratio:.2f}x** | | | <= {MEMORY_TARGET:.2f}x "
            f"| {_status(ratio, MEMORY_TARGET)} |"
        )
    return rows


def ratio_table(cases: dict[str, Case]) -> str:
    """llmcli (and the baseline) against the stack floor: the ratios the issue targets."""
    rows = [
        "| llmcli vs stack floor | llmcli cpu ms | floor cpu ms | cpu ratio | median wall "
        "ratio | min wall ratio | target | status |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    body = _ratio_rows(cases, "before: llmcli") + _ratio_rows(cases, "llmcli")
    return "\n".join(rows + body) if body else ""


def _scaling(cases: dict[str, Case]) -> dict[str, tuple[float, float]]:
    """Per program: 20k/2k median ratio and marginal µs per chunk."""
    out: dict[str, tuple[float, float]] = {}
    for label in ("llmcli", FLOOR_LABEL):
        small, large = cases.get(f"{label} {SMALL}"), cases.get(f"{label} {LARGE}")
        if small is not None and large is not None:
            ratio = large.median_ms / small.median_ms
            out[label] = (ratio, (large.median_ms - small.median_ms) / 18_000 * 1000)
    return out


def table(cases: dict[str, Case]) -> str:
    """Every case's own figures, the absolute targets, and the 20k/2k ratios."""
    rows = [
        "| case | median ms | min ms | cpu ms | min cpu ms | peak RSS MiB (median) | target "
        "| status |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, case in cases.items():
        target = TARGETS.get(name)
        shown = f"<= {target:.0f} ms" if target is not None else ""
        status = _status(case.median_ms, target)
        if name == f"llmcli {LARGE}":
            shown += f", <= {PEAK_TARGET_MIB:.0f} MiB"
            status += f" / {_status(case.median_mib, PEAK_TARGET_MIB)}"
        rows.append(
            f"| {name} | {case.median_ms:.1f} | {case.min_ms:.1f} | {case.cpu_ms:.1f} "
            f"| {case.min_cpu_ms:.1f} | {case.median_mib:.1f} | {shown} | {status} |"
        )
    lines = ["\n".join(rows), ""]
    for label, (ratio, per_chunk) in _scaling(cases).items():
        lines.append(
            f"- {label}: 20k/2k time ratio {ratio:.2f}; marginal cost {per_chunk:.1f} µs per chunk"
        )
    return "\n".join(lines).rstrip()


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
        "ratio_targets": {**RATIO_TARGETS, "peak RSS": MEMORY_TARGET},
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
    """Parse options, start the server, measure every case interleaved, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 11")
    parser.add_argument("--runs", type=int, help="timed rounds (at least 5)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures here")
    parser.add_argument("--only", metavar="TEXT", help="measure only cases containing TEXT")
    parser.add_argument(
        "--src", type=Path, metavar="DIR", help="measure the llmcli package under DIR"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also measure the llmcli package under DIR (a 'before' copy), in the same rounds",
    )
    args = parser.parse_args(argv)
    runs = max(args.runs or (5 if args.quick else 11), 5)
    share = CpuShare()

    with MockServer() as server, tempfile.TemporaryDirectory(prefix="llmcli-bench-") as tmp:
        env = child_env(args.src, Path(tmp))
        source = measured_source(env, Path(tmp))
        before = None
        if args.baseline is not None:
            before = child_env(args.baseline, Path(tmp), home="home-before")
            print(f"baseline llmcli from {measured_source(before, Path(tmp))}", file=sys.stderr)
        print(f"mock server at {server.base}; {runs} rounds; llmcli from {source}", file=sys.stderr)
        cases = {
            case.name: case
            for case in build_cases(server.base, llmcli_path(), before)
            if not args.only or args.only in case.name
        }
        measure_all(list(cases.values()), runs, env, Path(tmp))
    print(ratio_table(cases) + "\n\n" + table(cases))
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
