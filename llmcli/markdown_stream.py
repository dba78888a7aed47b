"""Streaming markdown for a terminal with a flat per-chunk cost.

Re-rendering the whole answer on every chunk is quadratic. Instead, completed
blocks (ended by a blank line outside a code fence, unless a list goes on after it, or
by a closing fence) are
printed once and never redrawn; only the unfinished last block is live, and it is
redrawn at most `refresh_per_second` times, from `feed` itself. Not from rich's refresh
thread: that thread's redraw could interleave with a block printed above the live region,
and the region's erase then missed lines (a block's first line shown twice).
Completed blocks are printed in batches at that same rate: one markdown parse and
one print per batch, instead of one per block (both cost far more than a chunk).

Each print is trimmed of rich's own leading and trailing blank lines (rich starts a list,
a quote or a table with one when it is the first thing rendered, ends a rule with one,
and gives a table empty top and bottom rows), runs of blank lines become one, and
printed blocks are separated by exactly one blank line: so the same answer looks the
same however its chunks happened to be batched, in `complete` and in `chat`.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.live import Live
    from rich.markdown import Markdown
    from rich.segment import Segment

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


class _Tail:
    """What is not printed yet, parsed only when Live draws it (not per chunk)."""

    def __init__(self, stream: MarkdownStream) -> None:
        self.stream = stream

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = self.stream.tail_text()
        if text.strip():
            yield self.stream.markdown(text)


class MarkdownStream:
    def __init__(self, console: Console, refresh_per_second: float = 8) -> None:
        self.console = console
        self.refresh_per_second = refresh_per_second
        self._ready: list[str] = []  # complete blocks waiting for the next batch print
        self._last_print = 0.0
        self._done: list[str] = []  # complete lines of the current block
        self._partial: list[str] = []  # pieces of the line being written
        self._in_fence: str | None = None
        # A blank line ends a block only once the next line shows that the block does not
        # go on: a list whose items are apart ("- a", "", "- b") is one list, not two.
        self._after_blank = False
        self._in_list = False  # the current block's last lines belong to a list
        self._live: Live | None = None
        self._last_draw = 0.0
        self._printed = False

    def markdown(self, text: str) -> Markdown:
        from rich.markdown import Markdown

        return Markdown(text, code_theme="monokai")

    def tail_text(self) -> str:
        return "".join(self._ready) + "".join(self._done) + "".join(self._partial)

    def feed(self, text: str) -> None:
        if not text:
            return
        if "\n" not in text:
            self._partial.append(text)
        else:
            self._lines(text)
        live = self._live or self._start_live()
        now = time.monotonic()
        if now - self._last_draw >= 1 / self.refresh_per_second:
            self._last_draw = now
            live.refresh()

    def _lines(self, text: str) -> None:
        *complete, rest = text.split("\n")
        batch = ""
        for piece in complete:
            self._partial.append(piece)
            line = "".join(self._partial)
            self._partial = []
            self._block_line(line)
        if rest:
            self._partial.append(rest)
        now = time.monotonic()
        if self._ready and now - self._last_print >= 1 / self.refresh_per_second:
            batch, self._ready, self._last_print = "".join(self._ready), [], now
        if batch.strip():
            self._print(batch)

    def _block_line(self, line: str) -> None:
        """Add one complete line to the current block, moving finished blocks to _ready."""
        if line.strip() and self._after_blank:
            self._after_blank = False
            goes_on = self._in_list and (_LIST_ITEM.match(line) or line[:1] in " \t")
            if not goes_on:
                self._ready.append("".join(self._done))
                self._done = []
                self._in_list = False
        self._done.append(line + "\n")
        if self._ends_block(line):
            if line.strip():  # a closing fence: nothing can continue that block
                self._ready.append("".join(self._done))
                self._done, self._in_list = [], False
            else:
                self._after_blank = True
        elif line.strip() and self._in_fence is None:
            self._in_list = self._in_list or bool(_LIST_ITEM.match(line))

    def _ends_block(self, line: str) -> bool:
        fence = _FENCE.match(line)
        if self._in_fence is not None:
            if (
                fence
                and fence.group(1)[0] == self._in_fence[0]
                and len(fence.group(1)) >= len(self._in_fence)
            ):
                self._in_fence = None
                return True
            return False
        if fence:
            self._in_fence = fence.group(1)
            return False
        return not line.strip()

    def _print(self, block: str) -> None:
        from rich.segment import Segment, Segments

        lines = _spaced(self.console.render_lines(self.markdown(block), pad=False))
        if not lines:
            return
        # With Live running, console.print goes above the live region.
        if self._printed:
            self.console.print()  # the one blank line between blocks
        shown = [piece for line in lines for piece in (*line, Segment.line())]
        self.console.print(Segments(shown))
        self._printed = True

    def _start_live(self) -> Live:
        from rich.live import Live

        self._live = Live(
            _Tail(self),
            console=self.console,
            auto_refresh=False,  # feed() redraws: see the module's docstring
            transient=True,
            vertical_overflow="crop",
            # Other output (reasoning, warnings) must reach the real streams untouched.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()
        return self._live

    def close(self) -> None:
        """Stop the live region and print what is left of the last block, once."""
        rest = self.tail_text()
        self._ready, self._done, self._partial = [], [], []
        if self._live is not None:
            self._live.stop()
            self._live = None
        if rest.strip():
            self._print(rest)


def _spaced(lines: list[list[Segment]]) -> list[list[Segment]]:
    """`lines` without blank lines at either end and with one blank line where rich put
    several (a table's empty top and bottom rows next to the blank after a paragraph)."""
    kept: list[list[Segment]] = []
    for line in lines:
        if not _blank(line) or (kept and not _blank(kept[-1])):
            kept.append(line)
    while kept and _blank(kept[-1]):
        kept.pop()
    return kept


def _blank(line: list[Segment]) -> bool:
    """A line with nothing on it: no text and no background (a code block's padding
    line has a background and is kept)."""
    return all(not s.text.strip() and not (s.style and s.style.bgcolor) for s in line)
