"""Code blocks in an answer: what -x/--extract prints and chat's /copy copies."""

from __future__ import annotations

import json
import re
import sys
from typing import TextIO

from llmcli.events import Event, Result

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


class ExtractRenderer:
    """-x/--extract-last: nothing while the answer streams (a block is whole only once
    its closing fence arrives); then the block, or the whole answer with a note on
    stderr when it has none. With --json, the answer's object gains `extracted`."""

    def __init__(self, last: bool, json_out: bool, out: TextIO | None = None) -> None:
        self.last = last
        self.json_out = json_out
        self.out = out or sys.stdout
        self.result: Result | None = None

    def event(self, event: Event) -> None:
        pass

    def finish(self, result: Result) -> None:
        self.result = result

    def close(self) -> None:
        if self.result is None:
            return
        block = pick(self.result.content, self.last)
        if self.json_out:
            data = {**self.result.as_json(), "extracted": block}
            self.out.write(json.dumps(data, ensure_ascii=False) + "\n")
        elif block is None:
            sys.stderr.write("llmcli: the answer has no code block: printed it whole\n")
            self.out.write(self.result.content.rstrip("\n") + "\n")
        else:
            self.out.write(block + "\n")
        self.out.flush()
