"""A small deny-list: commands that wipe a disk or a tree or hang the machine. A match (or
a command the model marked destructive) needs the word `yes` typed, even with --yes.

Not a sandbox: it catches the classic disasters, and the menu shows every command before
it runs."""

from __future__ import annotations

import re

_DENY = (
    # rm -rf / (or /*, ~, $HOME), in any order of its flags.
    (
        re.compile(
            r"\brm\s+(-[a-zA-Z]*\s+)*-[a-zA-Z]*[rR][a-zA-Z]*\s+(-\S+\s+)*(/|/\*|~/?|\$HOME/?)(\s|$|;)"
        ),
        "removes everything under / or your home",
    ),
    (re.compile(r"\brm\s+.*--no-preserve-root"), "removes everything under /"),
    (re.compile(r"\bmkfs(\.\w+)?\b"), "formats a filesystem"),
    (re.compile(r"\bdd\b.*\bof=/dev/"), "writes over a device"),
    (re.compile(r">\s*/dev/(sd|nvme|hd|vd|mmcblk|disk)\w*"), "writes over a device"),
    (re.compile(r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:"), "a fork bomb"),
    (re.compile(r"\bchmod\s+(-[a-zA-Z]+\s+)*[0-7]*777\s+/(\s|$)"), "opens every file to everyone"),
    (re.compile(r"\b(shred|wipefs)\b.*/dev/"), "wipes a device"),
)


def denied(command: str) -> str | None:
    """Why the command is on the deny-list, or None."""
    for pattern, reason in _DENY:
        if pattern.search(command):
            return reason
    return None
