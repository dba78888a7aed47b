"""Saving generated images: the type from the bytes, safe names, never overwriting.

- `sniff`: PNG, JPEG, GIF or WebP from the magic bytes (anything else is not saved).
- `destination`: `--output` and `--output-dir` checked before anything is paid for: an
  existing directory given to `--output` is written into; the directory the images go in
  must exist (or `--mkdir` creates it when writing); `--output -` means stdout.
- `plan`: where each image goes: `-o NAME` (several: `NAME-1.png`, `NAME-2.png`, ...), or
  a slug of the prompt plus a timestamp in the chosen directory; with the extension the
  bytes call for; never outside the chosen directory.
- `write_all`: nothing is written when any target exists (unless `force`); a file is
  created with O_EXCL, so a file (or symlink) that appears meanwhile is not overwritten
  either; `force` replaces the directory entry itself, never writing through a symlink.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from llmcli.errors import LlmcliError, UsageError

# https://en.wikipedia.org/wiki/List_of_file_signatures
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
)
_SUFFIXES = {".png": ".png", ".jpg": ".jpg", ".jpeg": ".jpg", ".gif": ".gif", ".webp": ".webp"}


@dataclass(frozen=True)
class Kind:
    mime: str
    ext: str  # with the dot


def sniff(data: bytes) -> Kind | None:
    """The image type from its first bytes, or None when it is not PNG/JPEG/GIF/WebP."""
    for magic, mime, ext in _MAGIC:
        if data.startswith(magic):
            return Kind(mime, ext)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Kind("image/webp", ".webp")
    return None


def check_image(data: bytes, what: str = "the answer") -> Kind:
    kind = sniff(data)
    if kind is None:
        head = data[:8].hex(" ") if data else "nothing"
        raise LlmcliError(f"{what} is not an image (PNG, JPEG, GIF or WebP): it starts with {head}")
    return kind


def slug(text: str, limit: int = 40) -> str:
    """`"A cat, on a mat!"` → `a-cat-on-a-mat`: ASCII letters, digits and dashes only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(words) > limit:
        cut = words[:limit]
        words = cut.rsplit("-", 1)[0] if "-" in cut[limit // 2 :] else cut
    return words.strip("-") or "image"


def timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


STDOUT = Path("-")


def destination(
    output: Path | None, output_dir: Path | None, *, mkdir: bool = False
) -> tuple[Path | None, Path | None]:
    """(`output`, `output_dir`) for `plan`, checked before the request: an `output` that
    is an existing directory becomes the directory (default names inside it); the
    directory the files go in must exist, unless `mkdir` (then `write_all` creates it)."""
    base = output_dir / output if output is not None and output_dir is not None else output
    if base is not None and base.is_dir():
        if output_dir is not None and base.resolve() != output_dir.resolve():
            inside(output_dir, base)  # `--output-dir D --output ../elsewhere/` is refused
        return None, base
    if output is not None and output_dir is not None:
        inside(output_dir, base or output_dir)
    directory = base.parent if base is not None else output_dir
    if directory is not None:
        _usable_directory(directory, mkdir)
    return output, output_dir


def _usable_directory(directory: Path, mkdir: bool) -> None:
    """Refuse a missing directory (a typo must not create a tree) unless `mkdir`, and a
    path on the way that is a file."""
    for step in (directory, *directory.parents):
        if step.is_dir():
            return
        if os.path.lexists(step):
            raise UsageError(f"{step} is not a directory: cannot write images in {directory}")
        if not mkdir:
            raise UsageError(f"{directory} does not exist: create it, or pass --mkdir")


def plan(
    kinds: list[Kind],
    *,
    prompt: str,
    output: Path | None = None,
    output_dir: Path | None = None,
    now: datetime | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """One path per image, in order.

    `output` (`-o`): that name for one image, `STEM-1.EXT`, `STEM-2.EXT`, ... for several;
    a known image suffix that does not match the bytes is changed (with a warning), any
    other name gets the right one added. Without `output`: `SLUG-TIMESTAMP.EXT`. Names go
    in `output_dir` (default: the current directory; `-o` alone: its own directory), and
    a name that resolves outside that directory is refused.
    """
    if not kinds:
        return []
    if output is not None and output_dir is not None:
        directory = output_dir
        base = output_dir / output
    elif output is not None:
        directory = output.parent
        base = output
    else:
        directory = output_dir or Path.cwd()
        base = directory / f"{slug(prompt)}-{timestamp(now)}"
    paths: list[Path] = []
    stem, given = _split(base)
    for number, kind in enumerate(kinds, 1):
        ext = kind.ext
        if given is not None:
            if _SUFFIXES[given.lower()] == kind.ext:
                ext = given  # keep `.jpeg`, `.PNG` as the user wrote them
            elif warn is not None:
                warn(f"{base.name}: the image is {kind.mime}: saved with the extension {ext}")
        name = f"{stem}-{number}" if len(kinds) > 1 else stem
        paths.append(inside(directory, base.with_name(name + ext)))
    return paths


def _split(path: Path) -> tuple[str, str | None]:
    """(stem, suffix) when the name ends in an image suffix, else (name, None)."""
    if path.suffix.lower() in _SUFFIXES:
        return path.stem, path.suffix
    return path.name, None


def inside(directory: Path, path: Path) -> Path:
    """`path`, after checking that it resolves (symlinks followed) inside `directory`."""
    root = directory.resolve()
    target = path.resolve()
    if target != root and root not in target.parents:
        raise UsageError(f"{path}: outside the output directory {directory}: refusing to write")
    if target == root:
        raise UsageError(f"{path}: is the output directory itself")
    return path


def write_all(files: list[tuple[Path, bytes]], *, force: bool = False, mkdir: bool = True) -> None:
    """Write every file, or none when one exists already (exit 1 naming it); missing
    directories are created only with `mkdir`."""
    if not force:
        for path, _ in files:
            if os.path.lexists(path):
                raise LlmcliError(f"{path} exists: pass --force to overwrite it (nothing written)")
    for path, data in files:
        try:
            if mkdir:
                path.parent.mkdir(parents=True, exist_ok=True)
            if force:
                _replace(path, data)
            else:
                _create(path, data)
        except FileExistsError:
            raise LlmcliError(f"{path} exists: pass --force to overwrite it") from None
        except OSError as err:
            raise LlmcliError(f"cannot write {path}: {err.strerror or err}") from None


def _create(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # replaces a symlink itself, never the file it points to
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
