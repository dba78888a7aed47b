"""Resumable HTTP(S) downloads with a progress bar and an optional SHA-256 check.

The file grows as `NAME.part` next to its destination and is renamed into place only
when it is complete (and its digest matches). A `.part` left by an interrupted run is
continued with a `Range` request; a server that ignores `Range` (answers 200) gets the
file from the start. A connection lost mid-way is resumed at once, a few times.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from llmcli.errors import Interrupted, LlmcliError, TransportError

if TYPE_CHECKING:
    import httpx

CHUNK = 1 << 20
GGUF_MAGIC = b"GGUF"


class Meter:
    """Progress on stderr: a live bar on a terminal, a line at start and end otherwise."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.total: int | None = None
        self.done = 0
        self.started = time.monotonic()
        self._bar: object | None = None
        self._task: object | None = None

    def __enter__(self) -> Meter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self, total: int | None, done: int = 0) -> None:
        self.close()
        self.total, self.done, self.started = total, done, time.monotonic()
        if _is_terminal(self.stream):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=24),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            bar.start()
            self._task = bar.add_task(self.label, total=total, completed=done)
            self._bar = bar
        else:
            size = f" {_mb(total)}" if total else ""
            resumed = f", resuming at {_mb(done)}" if done else ""
            self._write(f"{self.label}{size}{resumed}…")

    def advance(self, count: int) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(self._task, advance=count)  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()  # type: ignore[attr-defined]
            self._bar = None

    def finish(self) -> None:
        self.close()
        seconds = time.monotonic() - self.started
        self._write(f"{self.label}: {_mb(self.done)} in {seconds:.1f} s")

    def _write(self, line: str) -> None:
        self.stream.write(f"llmcli: {line}\n")
        self.stream.flush()


MeterFactory = Callable[[str], Meter]


class _Dropped(Exception):
    """The connection failed before the file was complete: worth resuming."""


class _Restart(Exception):
    """The `.part` cannot be continued: start from zero."""


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    label: str | None = None,
    attempts: int = 4,
    timeout: float = 30.0,
    gguf: bool = True,
    meter: MeterFactory = Meter,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Download `url` to `dest` (resuming `dest.part`); returns the file's SHA-256.

    With `sha256`, a mismatch removes the partial file and raises. With `gguf`, a file
    that does not start with the GGUF magic bytes is refused the same way.
    """
    if not url.startswith(("http://", "https://")):
        raise LlmcliError(f"not an HTTP(S) URL: {url}", exit_code=2)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    label = label or f"downloading {dest.name}"
    digest = None
    with meter(label) as progress:
        for attempt in range(attempts):
            try:
                digest = _fetch(url, part, progress, timeout)
                break
            except _Restart:
                part.unlink(missing_ok=True)
                continue
            except _Dropped as err:
                if attempt + 1 == attempts:
                    raise TransportError(
                        f"download of {url} failed ({err}); run the same command again to resume"
                    ) from None
                sleep(min(0.5 * 2**attempt, 4.0))
            except KeyboardInterrupt:
                raise Interrupted(
                    "interrupted: run the same command again to resume the download"
                ) from None
        if digest is None:
            raise TransportError(f"download of {url} could not be completed")
        progress.finish()
    _check(part, digest, sha256, gguf, url)
    os.replace(part, dest)
    return digest


def _fetch(url: str, part: Path, progress: Meter, timeout: float) -> str:
    """One request: continue `part` (or start it) and return the digest of the whole file."""
    import httpx

    offset = part.stat().st_size if part.exists() else 0
    headers = {"accept-encoding": "identity"}
    if offset:
        headers["range"] = f"bytes={offset}-"
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), follow_redirects=True) as c,
            c.stream("GET", url, headers=headers) as response,
        ):
            return _receive(response, url, part, offset, progress)
    except httpx.TransportError as err:
        raise _Dropped(_reason(err)) from None


def _receive(response: httpx.Response, url: str, part: Path, offset: int, progress: Meter) -> str:
    status = response.status_code
    if status == 416 and offset:
        # Nothing left to send: the part may already be the whole file.
        if _range_total(response.headers.get("content-range")) == offset:
            progress.start(offset, offset)
            return _hash_file(part)
        raise _Restart
    if status >= 400:
        raise LlmcliError(f"download failed: HTTP {status} {response.reason_phrase} from {url}")
    total: int | None
    if status == 206 and offset:
        start = _range_start(response.headers.get("content-range"))
        if start != offset:
            raise _Restart
        total = _range_total(response.headers.get("content-range"))
        digest = _hasher(part)
        mode = "ab"
    else:
        offset, mode, digest = 0, "wb", hashlib.sha256()
        length = response.headers.get("content-length")
        total = int(length) if length and length.isdigit() else None
    progress.start(total, offset)
    written = offset
    with part.open(mode) as out:
        for chunk in response.iter_bytes():  # as received: a drop loses nothing written
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
            progress.advance(len(chunk))
    if total is not None and written < total:
        raise _Dropped(f"{_mb(written)} of {_mb(total)} received")
    return digest.hexdigest()


def _check(part: Path, digest: str, sha256: str | None, gguf: bool, url: str) -> None:
    if sha256 and digest != sha256.lower():
        part.unlink(missing_ok=True)
        raise LlmcliError(
            f"SHA-256 mismatch for {url}: expected {sha256.lower()}, got {digest};"
            " nothing was saved"
        )
    if gguf:
        with part.open("rb") as file:
            magic = file.read(4)
        if magic != GGUF_MAGIC:
            part.unlink(missing_ok=True)
            raise LlmcliError(
                f"not a GGUF file: {url} (it starts with {magic!r}); nothing was saved"
            )


def _hasher(path: Path) -> hashlib._Hash:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(CHUNK), b""):
            digest.update(block)
    return digest


def _hash_file(path: Path) -> str:
    return _hasher(path).hexdigest()


def sha256_file(path: Path) -> str:
    return _hash_file(path)


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)|bytes\s+\*/(\d+)")


def _range_start(value: str | None) -> int | None:
    match = _CONTENT_RANGE.match(value or "")
    return int(match.group(1)) if match and match.group(1) else None


def _range_total(value: str | None) -> int | None:
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None
    total = match.group(3) or match.group(4)
    return int(total) if total and total.isdigit() else None


def _mb(size: int | None) -> str:
    return f"{(size or 0) / 1e6:.1f} MB"


def _reason(err: Exception) -> str:
    return (str(err) or type(err).__name__).splitlines()[0]


def _is_terminal(stream: IO[str]) -> bool:
    with contextlib.suppress(AttributeError, ValueError):
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    return False
