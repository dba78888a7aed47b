"""Code blocks in an answer: what -x/--extract prints (`render.ExtractRenderer`) and chat's
/copy copies."""

from __future__ import annotations

import re

# A CommonMark fence: up to three spaces, then three or more backticks or tildes.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def code_blocks(text: str) -> list[str]:
    """The contents of every closed fenced block, in order (no fences, no info string)."""
    blocks: list[str] = []
    fence: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is None:
            # An opening backtick fence's info string may not hold a backtick (CommonMark).
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence, lines = match.group(1), []
            continue
        closing = match and not match.group(2).strip() and match.group(1)[0] == fence[0]
        if match and closing and len(match.group(1)) >= len(fence):
            blocks.append("\n".join(lines))
            fence = None
            continue
        lines.append(line)
    return blocks


def pick(text: str, last: bool) -> str | None:
    """The first (or last) block's contents; None when the answer has none."""
    blocks = code_blocks(text)
    if not blocks:
        return None
    return blocks[-1] if last else blocks[0]
