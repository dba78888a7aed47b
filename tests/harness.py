"""Running `llmcli ARGS...` as a user would, in this process or in a child process.

A child process (`python -m llmcli`) costs 0.3 to 0.5 s of start-up and imports per call;
the suite makes hundreds of calls. `run_in_process` gives the command what a fresh
process would have, at the level the command can see:

- file descriptors 0, 1 and 2 are temporary files (stdin holds the input; none is a
  terminal), and `sys.stdin`/`stdout`/`stderr` are opened on them with the encoding,
  error handler and buffering a child process would get from the same environment
  (tests/harness_stdio.py);
- `os.environ` is exactly the environment given (PYTHONPATH entries go on `sys.path`);
- `sys.argv` and `__main__` are those of `python -m llmcli`;
- SystemExit becomes the exit code; an uncaught exception prints its traceback and
  gives 1, as the interpreter does;
- what llmcli keeps for the life of a process (see PROCESS_STATE) is put back as a new
  process would have it, and what it would leave to `atexit` is done.

What only a process shows (signals, terminals, broken pipes, start-up imports, death
of the process) stays with `run_subprocess`: the `llmcli_process` fixture.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llmcli
from tests.harness_stdio import read_and_close, standard_streams

MAIN = Path(llmcli.__file__).with_name("__main__.py")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


# ---- llmcli's process-global state ------------------------------------------------------


def _forget_default_note(module: types.ModuleType) -> None:
    module._default_noted = False  # type: ignore[attr-defined]  # said once per process


def _forget_warnings(module: types.ModuleType) -> None:
    module._warned.clear()  # catalog warnings are said once per process


def _stop_local_servers(module: types.ModuleType) -> None:
    # A process would stop them at exit (atexit); the hook itself is registered once in
    # this process (`_registered` stays True), so it is not registered again per run.
    module.stop_all()


def _clear_settings(module: types.ModuleType) -> None:
    module.settings.cache_clear()  # the config file and LLMCLI_* variables, read once


# Every module-level variable and cache of llmcli that lives as long as the process,
# with what puts it back as a new process would find it. test_harness checks, by
# reading llmcli's source, that nothing is missing here.
PROCESS_STATE: dict[str, dict[str, Callable[[types.ModuleType], None] | None]] = {
    "llmcli.cli.runner": {"_default_noted": _forget_default_note, "_warned": _forget_warnings},
    "llmcli.local.serving": {
        "_servers": _stop_local_servers,
        "_registered": None,
        "atexit.register": None,  # stop_all: done after every run by the `_servers` reset
    },
    "llmcli.config": {"settings": _clear_settings},
    # The MCP servers of a run, on their event-loop thread: stopped as at exit.
    "llmcli.mcp.client": {
        "_hub": _stop_local_servers,
        "_registered": None,
        "atexit.register": None,  # stop_all: done after every run by the `_hub` reset
    },
    # The model catalog: parsed from the package's own data file, the same in every
    # process, so kept (parsing it again per run would only cost time).
    "llmcli.catalog": {"catalog": None, "_model_at": None, "_index": None},
    # The Typer app, built on first use (the BENCH branch's lazy start-up): code, not state.
    "llmcli.cli.app": {"_full_app": None},
    # Request's field types, evaluated once: code, not state.
    "llmcli.request_rules": {"_hints": None},
}


def reset_process_state() -> None:
    """Put back what llmcli keeps per process (only in the modules loaded so far)."""
    for name, names in PROCESS_STATE.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        for reset in names.values():
            if reset is not None:
                reset(module)
    # `main()` freezes everything alive (gc.freeze) to spare the collector at exit; in
    # one long process that would pin every run's garbage for good.
    gc.unfreeze()
    _collect_now_and_then()


_runs = 0
_COLLECT_EVERY = 25


def _collect_now_and_then() -> None:
    """A full collection every few runs. What a process frees at exit (e.g. an
    unclosed sqlite connection: it sits in a reference cycle with its statement cache,
    holding three fds) otherwise waits for a full collection, and those are rare in a
    process as big as pytest's: with a low fd limit (1024) the suite could run out."""
    global _runs
    _runs += 1
    if _runs % _COLLECT_EVERY == 0:
        gc.collect()


# ---- the rest of the process: environment, argv, __main__, signals -------------------


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    saved_path = list(sys.path)
    os.environ.clear()
    os.environ.update(env)
    # A child process puts PYTHONPATH in front of its path; here that only changes
    # something when it differs from ours.
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if extra and env.get("PYTHONPATH") != saved.get("PYTHONPATH"):
        sys.path[:0] = extra
    before = set(sys.modules)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if sys.path != saved_path:
            sys.path[:] = saved_path
            _forget_modules_from(extra, before)


def _forget_modules_from(paths: list[str], before: set[str]) -> None:
    """Modules imported from a run's own PYTHONPATH go with it (a new process would
    not have them)."""
    roots = tuple(str(Path(p).resolve()) for p in paths)
    for name in set(sys.modules) - before:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin and str(Path(origin).resolve()).startswith(roots):
            del sys.modules[name]
    for path in paths:
        sys.path_importer_cache.pop(path, None)
    import importlib

    importlib.invalidate_caches()


@contextlib.contextmanager
def _python_m_llmcli(args: tuple[str, ...]) -> Iterator[None]:
    """sys.argv and `__main__` as `python -m llmcli` has them (click names the program
    from them: `python -m llmcli`)."""
    saved_argv, saved_main = sys.argv, sys.modules["__main__"]
    main = types.ModuleType("__main__")
    main.__file__ = str(MAIN)
    main.__package__ = "llmcli"
    sys.argv = [str(MAIN), *args]
    sys.modules["__main__"] = main
    # Per-process settings a command could change (none does today): kept for the next.
    handlers = _signal_handlers()  # `local serve` handles SIGTERM, for one
    cwd, umask = os.getcwd(), os.umask(0o022)
    os.umask(umask)
    try:
        yield
    finally:
        sys.argv = saved_argv
        sys.modules["__main__"] = saved_main
        for sig, handler in _signal_handlers().items():
            if handler is not handlers.get(sig):
                signal.signal(sig, handlers.get(sig, signal.SIG_DFL))
        os.chdir(cwd)
        os.umask(umask)


def _signal_handlers() -> dict[signal.Signals, Any]:
    """Python-level handlers of every signal that has one (SIGKILL and SIGSTOP have none)."""
    handlers = {sig: signal.getsignal(sig) for sig in signal.valid_signals()}
    return {sig: handler for sig, handler in handlers.items() if handler is not None}


class _Watchdog:
    """`timeout`: interrupts the run as Ctrl-C would (a real signal, so that blocking
    reads give way), then the caller raises TimeoutExpired as subprocess.run does."""

    def __init__(self, timeout: float) -> None:
        self.fired = False
        self._done = False
        self._lock = threading.Lock()
        self._main = threading.main_thread().ident or 0
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        with self._lock:  # never after the run has ended
            if not self._done:
                self.fired = True
                signal.pthread_kill(self._main, signal.SIGINT)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


@contextlib.contextmanager
def _interpreter_defaults() -> Iterator[None]:
    """The warning filters a new interpreter starts with (pytest's own would record
    warnings instead of printing them on stderr), and its time zone."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        for action, category, module in _DEFAULT_FILTERS:
            warnings.filterwarnings(action, category=category, module=module)
        time.tzset()  # TZ may differ from ours
        try:
            yield
        finally:
            time.tzset()


# Python's built-in filters, in reverse (filterwarnings puts each one first).
_DEFAULT_FILTERS: tuple[tuple[Any, type[Warning], str], ...] = (
    ("ignore", ResourceWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", DeprecationWarning, ""),
    ("default", DeprecationWarning, "__main__"),
)


def _exit_code(code: object) -> int:
    """What the interpreter makes of SystemExit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _call_main() -> int:
    from llmcli.cli.app import main

    try:
        main()
    except SystemExit as exit:
        return _exit_code(exit.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        return -signal.SIGINT  # the interpreter dies of the SIGINT it did not handle
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def run_in_process(
    args: tuple[str, ...], data: bytes, env: dict[str, str], timeout: float = 60
) -> Run:
    """`llmcli ARGS...` as `python -m llmcli` would run it, in this process."""
    watchdog = _Watchdog(timeout)
    try:
        with (
            watchdog,
            _environment(env),
            _python_m_llmcli(args),
            _interpreter_defaults(),
            standard_streams(data, env) as (out, err),
        ):
            code = _call_main()
    except KeyboardInterrupt:
        if not watchdog.fired:
            raise
    finally:
        reset_process_state()
    if watchdog.fired:
        raise subprocess.TimeoutExpired(["llmcli", *args], timeout)
    return Run(code, read_and_close(out).decode(), read_and_close(err).decode())


def run_subprocess(
    args: tuple[str, ...], data: bytes, env: dict[str, str], timeout: float = 60
) -> Run:
    """`python -m llmcli ARGS...` in a child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "llmcli", *args],
        input=data,
        capture_output=True,
        env=env,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
