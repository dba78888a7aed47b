"""The randomized soak: `llmcli complete` against drawn faults on the loopback fault server.

Run: `.venv/bin/python bench/soak.py [--runs 1000] [--seed 11] [--process-every 20]
[--only N]`. Each run draws one fault (an HTTP status with the provider's error body,
a reset before or after the headers, a truncated or malformed frame, slow bytes, a stall
past --timeout, an oversized error body, a mid-stream error, Ctrl-C; control sequences
and echoed keys in text and errors) in one of the providers' wire shapes, and runs
`llmcli complete` in-process through tests/harness.py (every N-th run as a real
process). The machinery and the checks are in tests/soak.py; tests/test_soak.py runs a
bounded soak in the suite.

Prints a Markdown summary on stdout (progress on stderr) and exits 1 when any count
that must be zero is not, listing each failing run with its seed and number:
`--seed S --only N` replays that run alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.soak import Soak, Tally, clean_environment, soak  # noqa: E402
from tests.soak_draw import draw  # noqa: E402

MUST_BE_ZERO = (
    ("tracebacks (`Traceback` or `internal error` in any output)", "tracebacks"),
    ("keys found (stdout, stderr, --debug output, the history database)", "keys_found"),
    (
        "answers lost (partial text not printed, or not kept with finish_reason error)",
        "answers_lost",
    ),
    ("exit codes the fault does not explain", "unexpected_codes"),
    ("errors that are not one `llmcli:` line", "bad_error_lines"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--process-every", type=int, default=20, help="0: none as processes")
    parser.add_argument("--only", type=int, help="replay this run number alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llmcli-soak-") as tmp:
        started = time.monotonic()
        if args.only is not None:
            tally = _one(args.seed, args.only, args.process_every, Path(tmp))
        else:
            tally = soak(args.runs, args.seed, Path(tmp), args.process_every, _progress)
        wall = time.monotonic() - started
    print(summary(tally, args.seed, wall))
    for failure in tally.failures:
        print(f"\nFAILED {failure}", file=sys.stderr)
    return 1 if tally.failures else 0


def _one(seed: int, number: int, process_every: int, workdir: Path) -> Tally:
    case = draw(seed, number, process_every)
    print(case.describe(), file=sys.stderr)
    with Soak(workdir, clean_environment(workdir)) as session:
        session.run(case)
        session.scan_files()
    return session.tally


def _progress(tally: Tally) -> None:
    print(f"{tally.runs} runs, {len(tally.failures)} failures", file=sys.stderr)


def summary(tally: Tally, seed: int, wall: float) -> str:
    every = sorted({0, 1, 2, 130} | set(tally.codes))
    codes = ", ".join(f"{code}: {tally.codes[code]}" for code in every)
    rows = [
        ("runs", f"{tally.runs} ({tally.processes} as real processes), seed {seed}"),
        ("exit codes", codes),
        *((label, str(getattr(tally, name))) for label, name in MUST_BE_ZERO),
        ("wall time", f"{wall:.1f} s"),
    ]
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(tally.kinds.items()))
    lines = ["| figure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
    return "\n".join([*lines, "", f"Faults drawn: {kinds}."])


if __name__ == "__main__":
    sys.exit(main())
