"""The standard streams of an in-process llmcli run (tests/harness.py): files on file
descriptors 0, 1 and 2, and `sys` streams opened on them as a child process would open
them."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

# The environment variables that decide how a child process sets up its standard streams.
_STREAM_ENV = (
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONUNBUFFERED",
    "PYTHONLEGACYWINDOWSSTDIO",
)


@dataclass(frozen=True)
class StreamSetup:
    """How a child process opens one standard stream."""

    encoding: str
    errors: str
    line_buffering: bool
    write_through: bool


_PROBE = (
    "import json, sys\n"
    "print(json.dumps([[s.encoding, s.errors, s.line_buffering, s.write_through]"
    " for s in (sys.stdin, sys.stdout, sys.stderr)]))"
)


@functools.cache
def _stream_setups(key: tuple[str | None, ...]) -> tuple[StreamSetup, ...]:
    """Asked of a real interpreter once per distinct locale/IO environment: the rules
    (C-locale coercion, UTF-8 mode, PYTHONIOENCODING, -u) are the interpreter's own."""
    env = {"PATH": os.environ.get("PATH", "")}
    pairs = zip(_STREAM_ENV, key, strict=True)
    env.update({name: value for name, value in pairs if value is not None})
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, check=True
    ).stdout
    return tuple(StreamSetup(*fields) for fields in json.loads(out))


def _open_std(fd: int, setup: StreamSetup, mode: str) -> io.TextIOWrapper:
    unbuffered = setup.write_through and mode == "wb"
    raw: IO[bytes] = open(fd, mode, buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115
    return io.TextIOWrapper(
        raw,
        encoding=setup.encoding,
        errors=setup.errors,
        line_buffering=setup.line_buffering,
        write_through=setup.write_through,
    )


@contextlib.contextmanager
def standard_streams(data: bytes, env: dict[str, str]) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """Files on fds 0, 1, 2 (so child processes and C code see them too) and `sys`
    streams opened on them; yields the stdout and stderr files, to be read after."""
    setups = _stream_setups(tuple(env.get(name) for name in _STREAM_ENV))
    files = [tempfile.TemporaryFile() for _ in range(3)]  # noqa: SIM115
    files[0].write(data)
    files[0].seek(0)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    saved_fds = [os.dup(fd) for fd in range(3)]
    saved_sys = (sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__)
    streams: list[io.TextIOWrapper] = []
    try:
        for fd, handle in enumerate(files):
            os.dup2(handle.fileno(), fd)
        streams = [_open_std(fd, setups[fd], "rb" if fd == 0 else "wb") for fd in range(3)]
        sys.stdin, sys.stdout, sys.stderr = streams
        _set_original_streams(streams)
        yield files[1], files[2]
    finally:
        for stream in streams:
            with contextlib.suppress(Exception):
                stream.flush()
            with contextlib.suppress(Exception):
                stream.detach()  # nothing may reach the fds once they are ours again
        sys.stdin, sys.stdout, sys.stderr = saved_sys[:3]
        _set_original_streams(saved_sys[3:])
        for fd, saved in enumerate(saved_fds):
            os.dup2(saved, fd)
            os.close(saved)
        files[0].close()


def _set_original_streams(streams: Sequence[IO[str] | None]) -> None:
    """sys.__stdout__ and its kin, which some libraries consult for the terminal."""
    for name, stream in zip(("__stdin__", "__stdout__", "__stderr__"), streams, strict=True):
        setattr(sys, name, stream)


def read_and_close(handle: IO[bytes]) -> bytes:
    handle.seek(0)
    data = handle.read()
    handle.close()
    return data
