"""The terminal side of `cmd`: show the command, read one choice, run or copy it.

Nothing runs unless the user presses `e` (or gave --yes); a denied or destructive command
also needs the word `yes` typed, with or without --yes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import TextIO

CHOICES = "[e]xecute  [d]escribe  [r]evise  [c]opy  [a]bort"
KEYS = {"e": "execute", "d": "describe", "r": "revise", "c": "copy", "a": "abort"}

# Clipboard tools, the first found wins: Wayland, X11 (two), macOS, WSL.
_CLIPBOARDS = (
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
    ("pbcopy",),
    ("clip.exe",),
)


class Terminal:
    """Reads keys and lines from `tty_in`, writes to `out` (stderr: stdout stays the
    command's, and the command's alone when it is not a terminal)."""

    def __init__(self, tty_in: TextIO, out: TextIO, colour: bool) -> None:
        self.tty_in = tty_in
        self.out = out
        self.colour = colour

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, command: str, warning: str | None) -> None:
        shown = f"\x1b[1;32m{command}\x1b[0m" if self.colour else command
        self.say(f"\n  {shown}\n")
        if warning:
            self.say(f"llmcli: warning: {warning}")

    def choose(self) -> str:
        """One of KEYS' values; end of input aborts."""
        while True:
            self.out.write(CHOICES + " ")
            self.out.flush()
            key = self._key()
            self.say("")
            if key is None:
                return "abort"
            if key.lower() in KEYS:
                return KEYS[key.lower()]

    def line(self, question: str) -> str | None:
        self.out.write(question)
        self.out.flush()
        text = self.tty_in.readline()
        return text.rstrip("\n") if text else None

    def confirm(self, reason: str) -> bool:
        """The word `yes`, typed: a single key is too easy to press by habit."""
        answer = self.line(f"llmcli: this command {reason}: type yes to run it: ")
        return answer is not None and answer.strip().lower() == "yes"

    def _key(self) -> str | None:
        """One key without Enter on a terminal (cbreak), else the first letter of a line."""
        try:
            import termios
            import tty

            fd = self.tty_in.fileno()
            saved = termios.tcgetattr(fd)
        except (ImportError, OSError, ValueError):
            text = self.tty_in.readline()
            return text.strip()[:1] or ("" if text else None)
        try:
            tty.setcbreak(fd)
            key = self.tty_in.read(1)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        return key or None


def execute(shell: str, command: str) -> int:
    """Run in the user's shell with the terminal attached; its exit code."""
    sys.stdout.flush()
    try:
        return subprocess.run([shell, "-c", command], check=False).returncode
    except OSError as err:
        sys.stderr.write(f"llmcli: cannot run {shell}: {err.strerror or err}\n")
        return 127


def copy(command: str, fallback: Callable[[str], None]) -> str | None:
    """The clipboard tool used, or None after `fallback` printed the command alone."""
    for tool in _CLIPBOARDS:
        path = shutil.which(tool[0])
        if path is None:
            continue
        try:
            subprocess.run([path, *tool[1:]], input=command.encode(), check=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            continue
        return tool[0]
    fallback(command)
    return None
