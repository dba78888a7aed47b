"""Running one command as a fresh process: wall time, CPU time and peak RSS, output checked."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mock_server import WORD


@dataclass
class Sample:
    """One process run: wall-clock ms, CPU ms (user + system) and max RSS in KiB."""

    ms: float
    cpu_ms: float
    rss_kib: int


Check = Callable[[str], None]


@dataclass
class Case:
    """One measured command, the check its output must pass, and its samples.

    `env` replaces the run's environment for this case (a baseline copy of llmcli).
    """

    name: str
    argv: list[str]
    check: Check
    env: dict[str, str] | None = None
    samples: list[Sample] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(s.ms for s in self.samples)

    @property
    def min_ms(self) -> float:
        return min(s.ms for s in self.samples)

    @property
    def cpu_ms(self) -> float:
        """Median CPU time: steadier than wall-clock on a busy machine."""
        return statistics.median(s.cpu_ms for s in self.samples)

    @property
    def min_cpu_ms(self) -> float:
        return min(s.cpu_ms for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s.rss_kib for s in self.samples) / 1024

    @property
    def median_mib(self) -> float:
        return statistics.median(s.rss_kib for s in self.samples) / 1024


class BenchError(Exception):
    """A case produced the wrong output or failed: the figures would be meaningless."""


TIME = "/usr/bin/time"

# Without GNU time: a fresh, small Python parent runs the command and reports its
# rusage. (This process's own wait4 figure would count the pages it had at fork.)
WRAPPER = """
import os, resource, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
code = subprocess.call(argv)
ms = (time.perf_counter() - start) * 1000
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    f.write(f"{ms} {(ru.ru_utime + ru.ru_stime) * 1000} {ru.ru_maxrss}")
sys.exit(code)
"""


def run_once(argv: Sequence[str], env: dict[str, str], tmp: Path) -> tuple[Sample, str, str]:
    """Spawn `argv` with stdout to a file; return its sample, stdout text and stderr."""
    out_path, stats_path = tmp / "stdout.txt", tmp / "stats.txt"
    use_time = os.access(TIME, os.X_OK)
    if use_time:
        full = [TIME, "-f", "%M", "-o", str(stats_path), *argv]
    else:
        full = [sys.executable, "-c", WRAPPER, str(stats_path), *argv]
    with out_path.open("wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            full, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=tmp
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = (time.perf_counter() - start) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    stdout = out_path.read_text(errors="replace")
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}\nstderr: {stderr[-2000:]}")
    if use_time:
        # wait4 counts the CPU of the children `time` waited for; %M is the command's own.
        cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
        sample = Sample(elapsed, cpu_ms, int(stats_path.read_text().split()[-1]))
    else:
        ms, cpu, rss = stats_path.read_text().split()
        sample = Sample(float(ms), float(cpu), int(rss))
    return sample, stdout, stderr


def measure_all(cases: Sequence[Case], runs: int, env: dict[str, str], tmp: Path) -> None:
    """One untimed warm-up of each case (bytecode, page cache), then `runs` rounds that
    run every case once, in turn: load on the machine drifts, and interleaving spreads
    the drift over all cases alike, so their ratios hold even when the times do not."""
    for round_ in range(runs + 1):
        for case in cases:
            sample, stdout, _ = run_once(case.argv, case.env or env, tmp)
            case.check(stdout)
            if round_:
                case.samples.append(sample)
        print(
            f"  round {round_}/{runs} done" if round_ else "  warm-up done",
            file=sys.stderr,
            flush=True,
        )
    for case in cases:
        print(
            f"  {case.name:<44} median {case.median_ms:7.1f} ms  min {case.min_ms:7.1f} ms"
            f"  cpu {case.cpu_ms:7.1f} ms  peak {case.peak_mib:5.1f} MiB",
            file=sys.stderr,
            flush=True,
        )


def expect_words(n: int) -> Check:
    """The output must be exactly `n` times `word` (whitespace-separated)."""

    def check(text: str) -> None:
        words = text.split()
        if len(words) != n or any(w != WORD.strip() for w in words):
            bad = next((w for w in words if w != WORD.strip()), None)
            raise BenchError(
                f"expected {n} words, got {len(words)} (first unexpected: {bad!r}); "
                f"head {text[:80]!r} tail {text[-80:]!r}"
            )

    return check


def expect_text(wanted: str) -> Check:
    """The output must be `wanted` (trailing newline aside)."""

    def check(text: str) -> None:
        if text.strip() != wanted:
            raise BenchError(f"expected {wanted!r}, got {text[:200]!r}")

    return check


def expect_help(text: str) -> None:
    """The root help must list the `complete` command."""
    if "complete" not in text:
        raise BenchError(f"--help output does not mention 'complete': {text[:200]!r}")


def expect_nothing(_: str) -> None:
    """Floors that print nothing have nothing to check."""


class CpuShare:
    """How much of the machine's CPU time went to other processes while measuring.

    Busy time from /proc/stat (Linux) minus what this process and its children used.
    """

    def __init__(self) -> None:
        self.start = (time.monotonic(), self._busy_s(), self._ours_s())

    @staticmethod
    def _busy_s() -> float | None:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ours_s() -> float:
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
        return total

    def others(self) -> float | None:
        """Other processes' share of all CPUs since start (0.0 to 1.0), if known."""
        t0, busy0, ours0 = self.start
        busy1 = self._busy_s()
        if busy0 is None or busy1 is None:
            return None
        elapsed = (time.monotonic() - t0) * (os.cpu_count() or 1)
        return max(busy1 - busy0 - (self._ours_s() - ours0), 0.0) / elapsed if elapsed else None

    def warning(self) -> str | None:
        """A note when others used more than 10% of the CPUs: wall-clock runs high then."""
        share = self.others()
        if share is None or share <= 0.10:
            return None
        return (
            f"Warning: other processes used {share:.0%} of the CPUs while measuring; "
            "wall-clock figures run high: compare the cpu ms column, or re-run when quiet."
        )
