"""Code blocks in an answer: what -x/--extract prints (`render.ExtractRenderer`) and chat's
/copy copies; found line by line as the answer streams in."""

from __future__ import annotations

import re

# A CommonMark fence: up to three spaces, then three or more backticks or tildes.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


class Blocks:
    """Fenced blocks found as text arrives: `feed` returns each block closed by the lines it
    completed, so -x can print the first block as soon as its closing fence streams in."""

    def __init__(self) -> None:
        self._partial = ""  # the line not yet ended
        self._fence: str | None = None
        self._lines: list[str] = []

    def feed(self, text: str) -> list[str]:
        *whole, self._partial = (self._partial + text).split("\n")
        found = (self._line(line.removesuffix("\r")) for line in whole)
        return [block for block in found if block is not None]

    def end(self) -> list[str]:
        """The last line, which had no newline after it."""
        last, self._partial = self._partial.removesuffix("\r"), ""
        block = self._line(last) if last else None
        return [block] if block is not None else []

    def _line(self, line: str) -> str | None:
        match = _FENCE.match(line)
        if self._fence is None:
            # An opening backtick fence's info string may not hold a backtick (CommonMark).
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                self._fence, self._lines = match.group(1), []
            return None
        fence = self._fence
        closing = match and not match.group(2).strip() and match.group(1)[0] == fence[0]
        if match and closing and len(match.group(1)) >= len(fence):
            self._fence = None
            return "\n".join(self._lines)
        self._lines.append(line)
        return None


def code_blocks(text: str) -> list[str]:
    """The contents of every closed fenced block, in order (no fences, no info string)."""
    blocks = Blocks()
    return [*blocks.feed(text), *blocks.end()]


def pick(text: str, last: bool) -> str | None:
    """The first (or last) block's contents; None when the answer has none."""
    blocks = code_blocks(text)
    if not blocks:
        return None
    return blocks[-1] if last else blocks[0]
