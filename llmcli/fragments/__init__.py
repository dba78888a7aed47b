"""Fragments: context gathered from files, folders, globs, stdin and command output.

Each fragment is sent with its source as a label (a fenced block headed by its path), in
the order given (a folder's files sorted), so the same sources make the same prompt.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from llmcli.errors import UsageError
from llmcli.policy import Policy

FILE_CAP = 2 * 1024 * 1024  # per file; said in -f's help
_SNIFF = 8192


@dataclass(frozen=True)
class Fragment:
    label: str
    text: str

    @property
    def sent(self) -> str:
        """The text as the prompt holds it (between its fences)."""
        return self.text.rstrip("\n")


def gather(
    sources: list[str],
    allow_commands: bool,
    timeout: float = Policy.timeout,
    retries: int = Policy.retries,
) -> list[Fragment]:
    """Every source's fragments in order; skipped files are named on stderr. URLs are
    fetched with `timeout` and `retries` (--timeout, --retries)."""
    found: list[Fragment] = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            from llmcli.fragments.web import fetch_text

            found.append(Fragment(source, fetch_text(source, timeout, retries)))
        else:
            found += _one(source, allow_commands)
    return found


def _one(source: str, allow_commands: bool) -> list[Fragment]:
    if source == "-":
        return [Fragment("stdin", sys.stdin.read())]
    if source.startswith("!"):
        return [_command(source[1:], allow_commands)]
    path = Path(source).expanduser()
    if path.is_dir():
        return _folder(path)
    if path.is_file():
        fragment = _file(path, str(path), explicit=True)
        return [fragment] if fragment else []
    if any(c in source for c in "*?["):
        paths = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
        if not paths:
            raise UsageError(f"-f {source}: the pattern matches no file")
        return [f for f in (_file(Path(p), p, explicit=False) for p in paths) if f]
    raise UsageError(f"-f {source}: no such file or folder")


def _command(command: str, allowed: bool) -> Fragment:
    if not command.strip():
        raise UsageError("-f '!': give a command after the '!'")
    if not allowed and not _confirmed(command):
        raise UsageError(f"-f '!{command}' runs a command: add --allow-commands to allow it")
    done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UsageError(f"-f '!{command}' exited with status {done.returncode}")
    return Fragment(f"$ {command}", done.stdout)


def _confirmed(command: str) -> bool:
    """Ask on a terminal; never when stdin or stderr is not one."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    sys.stderr.write(f"Run `{command}` and send its output? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _file(path: Path, label: str, explicit: bool) -> Fragment | None:
    """A text file's fragment; None (with a note) for a binary or oversized file in a
    folder or glob; given by name, such a file is refused."""
    try:
        size = path.stat().st_size
        if size > FILE_CAP:
            return _skip(label, f"larger than {FILE_CAP // (1024 * 1024)} MB", explicit)
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"-f {label}: cannot read: {err.strerror or err}") from None
    if b"\0" in data[:_SNIFF]:
        return _skip(label, "binary", explicit)
    try:
        return Fragment(label, data.decode("utf-8"))
    except UnicodeDecodeError:
        return _skip(label, "not UTF-8 text", explicit)


def _skip(label: str, why: str, explicit: bool) -> Fragment | None:
    if explicit:
        raise UsageError(f"-f {label}: {why}: not sent (attach it with -a if it is a document)")
    sys.stderr.write(f"llmcli: skipped {label}: {why}\n")
    return None


def _folder(root: Path) -> list[Fragment]:
    """A folder's text files, sorted, `.git` and what `.gitignore` names left out."""
    ignored = _ignore_patterns(root)
    found: list[Fragment] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if d != ".git" and not _ignored(rel / d, ignored, True))
        for name in sorted(files):
            if name == ".gitignore" or _ignored(rel / name, ignored, False):
                continue
            fragment = _file(Path(folder) / name, str(Path(folder) / name), explicit=False)
            if fragment:
                found.append(fragment)
    return found


def _ignore_patterns(root: Path) -> list[str]:
    """The simple patterns of the folder's own .gitignore (no negation: `!x` is dropped)."""
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [s for s in (line.strip() for line in lines) if s and not s.startswith(("#", "!"))]


def _ignored(rel: Path, patterns: list[str], is_dir: bool) -> bool:
    text = rel.as_posix()
    for pattern in patterns:
        if pattern.endswith("/"):
            if not is_dir:
                continue
            pattern = pattern.rstrip("/")
        anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
        pattern = pattern.lstrip("/")
        if fnmatch.fnmatch(text, pattern) or (not anchored and fnmatch.fnmatch(rel.name, pattern)):
            return True
    return False


def render(fragments: list[Fragment]) -> str:
    """The fragments as labelled fenced blocks; each fence is longer than any backtick run
    in its text, so a fragment holding a fence cannot close it early."""
    blocks = []
    for fragment in fragments:
        fence = "```"
        while fence in fragment.text:
            fence += "`"
        blocks.append(f"{fragment.label}\n{fence}\n{fragment.sent}\n{fence}")
    return "\n\n".join(blocks)
