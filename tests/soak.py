"""A randomized soak: `llmcli complete` against the loopback fault server, one drawn fault
per run, across every provider's wire shape (tests/soak_shapes.py).

Each run is drawn from its own `random.Random(f"{seed}:{number}")`, so any failing run is
replayed alone from the seed and its number (`Case.describe()` prints both). Each run is
checked for what must never happen: a traceback or "internal error", a key (or 12
characters of one) in stdout, stderr or the history database, an exit code the fault
cannot explain, an error that is not one `llmcli: ` line, and an answer lost: text the
server completed before the fault that was not printed, or printed but not stored in the
history (with finish_reason "error" when the run failed).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import FAKE_KEYS
from tests.faults import FaultServer
from tests.harness import Run, run_in_process
from tests.soak_draw import Case, draw

# Azure's Claude reads its own variable; conftest's table has none for it.
KEYS = {**FAKE_KEYS, "AZURE_API_KEY": "azure-test-SECRET-5555"}
FRAGMENT = 12  # this many characters of a key in a row count as a leak


# ---- running and checking ----------------------------------------------------------------


@dataclass
class Tally:
    runs: int = 0
    processes: int = 0
    codes: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    tracebacks: int = 0
    keys_found: int = 0
    answers_lost: int = 0
    unexpected_codes: int = 0
    bad_error_lines: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, case: Case, what: str, run: Run | None = None) -> None:
        detail = f"{what}: {case.describe()}"
        if run is not None:
            detail += f"\n  exit {run.code}\n  stdout {run.stdout[:300]!r}"
            detail += f"\n  stderr {run.stderr[-600:]!r}"
        self.failures.append(detail)


class Soak:
    """One fault server, one history database and one environment for every run."""

    def __init__(self, workdir: Path, environ: dict[str, str]) -> None:
        self.db = workdir / "logs.db"
        self.env = {**environ, **KEYS}
        self.server = FaultServer()
        self.tally = Tally()
        self._last_response = 0
        self._leaking: set[Path] = set()
        self._running = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self.server.on_interrupt = self._interrupt

    def __enter__(self) -> Soak:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def _interrupt(self) -> None:
        # Only while a run is going on: a stray SIGINT would stop the soak itself.
        if self._child is not None:
            self._child.send_signal(signal.SIGINT)
        elif self._running.is_set():
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    def run(self, case: Case) -> None:
        self.server.faults[:] = list(case.faults)
        self.server.hits.clear()
        args = ("complete", *case.flags, "--api-base", self.server.url, "--db", str(self.db), "hi")
        result = self._process(args) if case.process else self._in_process(args)
        self.check(case, result)

    def _in_process(self, args: tuple[str, ...]) -> Run:
        self._running.set()
        try:
            return run_in_process(args, b"", self.env, timeout=60)
        finally:
            self._running.clear()

    def _process(self, args: tuple[str, ...]) -> Run:
        command = [sys.executable, "-m", "llmcli", *args]
        self._child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
        )
        try:
            out, err = self._child.communicate(timeout=60)
            code = self._child.returncode
        finally:
            self._child.kill()
            self._child = None
        return Run(code, out.decode(errors="replace"), err.decode(errors="replace"))

    def check(self, case: Case, run: Run) -> None:
        tally = self.tally
        tally.runs += 1
        tally.processes += case.process
        tally.codes[run.code] += 1
        tally.kinds[case.kind] += 1
        output = run.stdout + run.stderr
        if "Traceback" in output or "internal error" in output:
            tally.tracebacks += 1
            tally.fail(case, "traceback", run)
        if leaked(output):
            tally.keys_found += 1
            tally.fail(case, "key in output", run)
        if run.code not in case.codes:
            tally.unexpected_codes += 1
            tally.fail(case, f"exit {run.code}, expected one of {sorted(case.codes)}", run)
        if "--debug" not in case.flags and not _error_output_ok(run):
            tally.bad_error_lines += 1
            tally.fail(case, "stderr is not one `llmcli:` line", run)
        lost = self._lost(case, run)
        if lost:
            tally.answers_lost += 1
            tally.fail(case, f"answer lost: {lost}", run)

    def _lost(self, case: Case, run: Run) -> str:
        printed = _printed(run, "--json" in case.flags)
        if printed is None:
            return "the output is not the answer's JSON"
        if not printed.startswith(case.must_have):
            return f"printed {printed!r}, the server had completed {case.must_have!r}"
        if run.code == 0 and case.exact and not _shows(printed, case.text):
            return f"printed {printed!r}, the answer was {case.text!r}"
        try:
            stored = self._new_responses()
        except sqlite3.Error as err:
            return f"the history cannot be read: {err}"
        if not printed and run.code != 0:
            return ""  # nothing arrived: nothing to keep
        if not stored:
            return "nothing stored in the history"
        finish, text = stored[-1]
        if not _shows(printed, text):
            return f"stored {text!r}, printed {printed!r}"
        if run.code != 0 and finish != "error":
            return f"stored with finish_reason {finish!r}, not 'error'"
        return ""

    def _new_responses(self) -> list[tuple[str, str]]:
        if not self.db.exists():
            return []
        # closing(): sqlite3's own context manager commits but does not close. Not
        # `mode=ro`: a read-only connection cannot rebuild the WAL index (-shm) that the
        # last writer removed ("disk I/O error").
        with closing(sqlite3.connect(self.db)) as db:
            rows = db.execute(
                "SELECT r.id, r.finish_reason, m.parts FROM responses r"
                " JOIN messages m ON m.id = r.message_id WHERE r.id > ? ORDER BY r.id",
                (self._last_response,),
            ).fetchall()
        if rows:
            self._last_response = rows[-1][0]
        return [(finish, _text(parts)) for _, finish, parts in rows]

    def scan_files(self) -> None:
        """The history database (and its WAL) must hold no key, not even part of one.

        Read by a child process (`cat`): opening and closing the file here would drop
        every POSIX lock this process holds on it, those of the in-process runs' sqlite
        connections that wait for the collector included, and the next writer in another
        process would then rebuild the WAL index under them ("disk I/O error")."""
        for path in sorted(self.db.parent.glob(self.db.name + "*")):
            data = subprocess.run(["cat", str(path)], capture_output=True, check=False).stdout
            if path not in self._leaking and leaked(data.decode("latin-1")):
                self._leaking.add(path)  # counted once, when first found
                self.tally.keys_found += 1
                self.tally.failures.append(f"key in {path.name} by run {self.tally.runs}")


def _text(parts_json: str) -> str:
    parts = json.loads(parts_json)
    return "".join(p.get("text", "") for p in parts if p.get("type") == "text")


def _printed(run: Run, as_json: bool) -> str | None:
    if as_json:
        if not run.stdout.strip():
            return ""
        try:
            content = json.loads(run.stdout).get("content")
        except (ValueError, AttributeError):
            return None
        return content if isinstance(content, str) else ""
    return run.stdout


def _shows(printed: str, text: str) -> bool:
    """The text as printed: as it is, or with the newline that ends the output."""
    return printed in (text, text + "\n") if text else printed in ("", "\n")


def _error_output_ok(run: Run) -> bool:
    if run.code == 0:
        return run.stderr == ""
    lines = run.stderr.splitlines()
    return len(lines) == 1 and lines[0].startswith("llmcli: ") and len(lines[0]) <= 700


def leaked(text: str) -> bool:
    return any(
        key[i : i + FRAGMENT] in text
        for key in KEYS.values()
        for i in range(len(key) - FRAGMENT + 1)
    )


# ---- the whole soak ------------------------------------------------------------------------


def clean_environment(home: Path) -> dict[str, str]:
    """As tests/conftest.py's `cli_env`: no real provider settings, homes under `home`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_API_BASE", "_BASE_URL"))
        and not k.startswith(("LLMCLI_", "OLLAMA_", "OR_", "ANTHROPIC_FOUNDRY_"))
    }
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(home / name.lower())
    env["NO_COLOR"] = "1"
    return env


def soak(
    runs: int,
    seed: int,
    workdir: Path,
    process_every: int = 20,
    progress: Callable[[Tally], None] = lambda _: None,
) -> Tally:
    """`runs` drawn runs (every `process_every`-th as a real process); the history
    database is scanned for keys every 50 runs and at the end."""
    with Soak(workdir, clean_environment(workdir)) as session:
        for number in range(runs):
            session.run(draw(seed, number, process_every))
            if (number + 1) % 50 == 0:
                session.scan_files()
                progress(session.tally)
        session.scan_files()
    return session.tally
