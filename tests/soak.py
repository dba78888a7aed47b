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
import random
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
from tests.faults import Fault, FaultServer
from tests.harness import Run, run_in_process
from tests.soak_shapes import KEY_PLACEHOLDER, SHAPES, Frame, Shape

# Azure's Claude reads its own variable; conftest's table has none for it.
KEYS = {**FAKE_KEYS, "AZURE_API_KEY": "azure-test-SECRET-5555"}
FRAGMENT = 12  # this many characters of a key in a row count as a leak

WORDS = ["Hello ", "world. ", "héllo ", "日本語の ", "🙂 ", "naïve ", "line\n", "tab\t", "end."]
# Terminal control sequences: title, clear screen, OSC 52 clipboard write, colour, bidi.
CONTROLS = ["\x1b]0;pwned\x07", "\x1b[2J", "\x1b]52;c;ZXZpbA==\x07", "\x1b[31m", "\u202e", "\r"]
STATUSES = [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529]
HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\r\n"
QUICK = {"retry-after-ms": "1"}  # retries stay fast; their spacing is test_faults' business


@dataclass
class Case:
    seed: int
    number: int
    shape: Shape
    kind: str
    faults: list[Fault]
    text: str  # the answer the played stream carries
    must_have: str = ""  # text completed before the fault: must be printed and kept
    codes: frozenset[int] = frozenset({1})
    exact: bool = False  # on exit 0, the printed answer must be `text` exactly
    flags: list[str] = field(default_factory=list)
    process: bool = False

    def describe(self) -> str:
        faults = ", ".join(_fault_summary(f) for f in self.faults)
        how = "process" if self.process else "in-process"
        return (
            f"seed {self.seed} run {self.number} ({how}): {self.shape.model} {self.kind}"
            f" flags {self.flags} faults [{faults}]"
        )


def _fault_summary(fault: Fault) -> str:
    parts = [str(fault.status), f"{len(fault.body)} B"]
    for name in ("stall", "delay", "reset_after", "interrupt_after"):
        if getattr(fault, name):
            parts.append(f"{name}={getattr(fault, name)}")
    if fault.reset_before_headers:
        parts.append("reset before headers")
    return " ".join(parts)


# ---- drawing a run ---------------------------------------------------------------------


def draw(seed: int, number: int, process_every: int = 0) -> Case:
    rng = random.Random(f"{seed}:{number}")
    shape = rng.choice(SHAPES)
    words = [rng.choice(WORDS + CONTROLS) for _ in range(rng.randint(1, 12))]
    frames = shape.stream(words)
    kind = rng.choices(list(_KINDS), weights=[w for w, _ in _KINDS.values()])[0]
    case = Case(seed, number, shape, kind, [], "".join(words))
    _KINDS[kind][1](case, rng, frames)
    case.flags = _flags(case, rng)
    case.process = bool(process_every) and number % process_every == 0
    return case


def _stream(case: Case, frames: list[Frame], **how: object) -> Fault:
    body = b"".join(f.data for f in frames)
    return Fault(body=body, content_type=case.shape.content_type, **how)  # type: ignore[arg-type]


def _done_before(frames: list[Frame], offset: int) -> str:
    """The text of the frames wholly sent within `offset` bytes."""
    end, text = 0, []
    for frame in frames:
        end += len(frame.data)
        if end > offset:
            break
        text.append(frame.text)
    return "".join(text)


def _clean(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    case.faults = [_stream(case, frames, chunk=rng.choice([1, 7, 64, 4096]))]
    case.codes, case.exact, case.must_have = frozenset({0}), True, case.text


def _slow(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    case.faults = [
        _stream(case, frames, chunk=rng.randint(16, 64), delay=rng.uniform(0.001, 0.008))
    ]
    case.codes, case.exact, case.must_have = frozenset({0}), True, case.text


def _message(case: Case, rng: random.Random, size: int = 0) -> str:
    """What a server says: plain, with control sequences, echoing the key, or huge."""
    words = ["Something", "went", "wrong", *rng.sample(CONTROLS, 2), "line\nbreak"]
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), f"Incorrect API key provided: {KEY_PLACEHOLDER}.")
    text = " ".join(rng.sample(words, len(words)))
    if size:  # the key lands anywhere, also across the 500-character cut
        filler = "x" * rng.randint(0, 600)
        text = filler + text + "y" * size
    return text


def _status(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    status = rng.choice(STATUSES)
    body = rng.choices(
        [
            case.shape.error_body(status, _message(case, rng)),
            HTML,
            b"",
            b"upstream connect error or disconnect/reset before headers",
            case.shape.error_body(status, "cut")[:-5],
            json.dumps({"error": None}).encode(),
        ],
        weights=[12, 2, 1, 1, 1, 1],
    )[0]
    fault = Fault(status, body, headers=QUICK if rng.random() < 0.9 else {"retry-after": "0"})
    case.faults = [fault]
    if rng.random() < 0.5:
        case.faults.append(_stream(case, frames))  # the retry (if any) is answered
    case.codes, case.exact = frozenset({0, 1}), True


def _oversized(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    status = rng.choice([400, 413, 500])
    size = rng.randint(100_000, 2_000_000)
    case.faults = [Fault(status, case.shape.error_body(status, _message(case, rng, size)))]


def _reset_before(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    case.faults = [Fault(reset_before_headers=True)]
    if rng.random() < 0.5:
        case.faults.append(_stream(case, frames))
    case.codes, case.exact = frozenset({0, 1}), True


def _reset_after(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    body_size = sum(len(f.data) for f in frames)
    offset = rng.randint(0, body_size - 1)
    case.faults = [_stream(case, frames, reset_after=offset), _stream(case, frames)]
    case.must_have = _done_before(frames, offset)
    # Cut before any text: llmcli may retry (the second stream answers).
    case.codes, case.exact = (
        (frozenset({1}), False) if case.must_have else (frozenset({0, 1}), True)
    )


def _truncated(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    """The connection closes cleanly before the stream's terminator (or mid-frame)."""
    body = b"".join(f.data for f in frames)
    tail = sum(len(f.data) for f in frames[-case.shape.tail :])
    offset = rng.randint(0, len(body) - 1) if rng.random() < 0.5 else len(body) - tail
    case.faults = [Fault(body=body[:offset], content_type=case.shape.content_type)]
    case.must_have = _done_before(frames, offset)
    # Cut inside the terminator: some shapes already had their finish.
    case.codes = frozenset({0, 1}) if offset >= len(body) - tail else frozenset({1})


def _malformed(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    where = rng.randint(0, len(frames) - 1)
    bad = Frame(rng.choice(case.shape.garbage()))
    played = [*frames[:where], bad, *frames[where:]]
    case.faults = [_stream(case, played, chunk=rng.choice([5, 64, 4096]))]
    case.must_have = "".join(f.text for f in frames[:where])
    case.codes = frozenset({0, 1})


def _midstream_error(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    where = rng.randint(0, len(frames) - case.shape.tail)
    size = rng.choice([0, 0, 5_000])
    played = [*frames[:where], case.shape.midstream_error(_message(case, rng, size))]
    case.faults = [_stream(case, played)]
    case.must_have = "".join(f.text for f in frames[:where])


def _stall(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    """Silence longer than --timeout: before the first byte, or mid-stream."""
    if rng.random() < 0.4:
        case.faults = [_stream(case, frames, stall=0.6)]
        return
    where = rng.randint(1, len(frames) - 1)
    first = sum(len(f.data) for f in frames[:where])
    case.faults = [_stream(case, frames, chunk=first, delay=0.6)]
    case.must_have = _done_before(frames, first)


def _interrupt(case: Case, rng: random.Random, frames: list[Frame]) -> None:
    """Ctrl-C mid-stream: what was printed must be kept (which text the client had
    shown when the signal landed is a race, so nothing more is required)."""
    where = rng.randint(1, len(frames) - case.shape.tail)
    case.faults = [_stream(case, frames, interrupt_after=sum(len(f.data) for f in frames[:where]))]
    case.codes = frozenset({130})


_Draw = Callable[[Case, random.Random, list[Frame]], None]
_KINDS: dict[str, tuple[int, _Draw]] = {
    "clean": (8, _clean),
    "slow bytes": (5, _slow),
    "status": (20, _status),
    "oversized error": (5, _oversized),
    "reset before headers": (8, _reset_before),
    "reset after headers": (14, _reset_after),
    "truncated": (10, _truncated),
    "malformed frame": (14, _malformed),
    "mid-stream error": (10, _midstream_error),
    "stall": (3, _stall),
    "interrupt": (3, _interrupt),
}


def _flags(case: Case, rng: random.Random) -> list[str]:
    flags = ["-m", case.shape.model]
    slow = case.kind == "stall"
    retries = "0" if slow else rng.choice(["0", "1", "2"])
    if case.kind == "reset before headers":
        retries = rng.choice(["0", "1"])  # each retry waits the 0.5 s backoff
    flags += ["--retries", retries, "--timeout", "0.3" if slow else "10"]
    if rng.random() < 0.3:
        flags.append("--json")
    if rng.random() < 0.1:
        flags.append("--debug")
    return flags


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
        stored = self._new_responses()
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
        # closing(): sqlite3's own context manager commits but does not close.
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT r.id, r.finish_reason, m.parts FROM responses r"
                " JOIN messages m ON m.id = r.message_id WHERE r.id > ? ORDER BY r.id",
                (self._last_response,),
            ).fetchall()
        if rows:
            self._last_response = rows[-1][0]
        return [(finish, _text(parts)) for _, finish, parts in rows]

    def scan_files(self) -> None:
        """The history database (and its WAL) must hold no key, not even part of one."""
        for path in self.db.parent.glob(self.db.name + "*"):
            if path not in self._leaking and leaked(path.read_bytes().decode("latin-1")):
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
