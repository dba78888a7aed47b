"""The terminal rendering of an answer does not depend on how its chunks were batched
(issue 11, row 18): one blank line between blocks, whether the blocks were printed one
by one as they completed or all at once at the end; a list whose items are apart is
one list either way."""

from __future__ import annotations

import io
import threading

import pytest
from rich.console import Console

from llmcli.markdown_stream import MarkdownStream

ANSWER = (
    "# Title\n\nHere is a list:\n\n- one\n- two\n\nA paragraph, then a list without a gap:\n"
    "- three\n- four\n\n> a quote\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "1. first\n2. second\n\nItems apart:\n\n- five\n\n- six\n\n  more on six\n\n"
    "End.\n"
)
EXPECTED = """\
Title

Here is a list:

 • one
 • two

A paragraph, then a list without a gap:

 • three
 • four

▌ a quote

----------------------------------------

 a  b
 ────
 1  2

 1 first
 2 second

Items apart:

 • five
 • six
   more on six

End.
"""


def render(chunk: int, refresh_per_second: float) -> str:
    """The answer fed `chunk` characters at a time; a high rate prints each block as soon
    as it is complete, a low one prints them all in one batch at the end."""
    console = Console(record=True, width=40, file=io.StringIO(), color_system=None)
    stream = MarkdownStream(console, refresh_per_second=refresh_per_second)
    for start in range(0, len(ANSWER), chunk):
        stream.feed(ANSWER[start : start + chunk])
    stream.close()
    return "\n".join(line.rstrip() for line in console.export_text().split("\n"))


@pytest.mark.parametrize(
    ("chunk", "rate"),
    [(1, 1e9), (5, 1e9), (len(ANSWER), 1e9), (1, 1e-9), (7, 1e-9)],
    ids=["chars-each-block", "chunks-each-block", "whole", "chars-one-batch", "chunks-one-batch"],
)
def test_one_blank_line_between_blocks_however_batched(chunk: int, rate: float) -> None:
    shown = render(chunk, rate)
    assert _lines(shown) == _lines(EXPECTED)
    assert shown == render(len(ANSWER), 1e-9)  # indentation and all


def _lines(text: str) -> list[str]:
    """The lines without their margins (a heading is centred): blank lines are the point."""
    return [line.strip() for line in text.strip().split("\n")]


def test_the_live_region_is_drawn_only_by_the_feeding_thread() -> None:
    """A redraw from rich's refresh thread could interleave with a block printed above
    the live region; the region's erase then missed lines, and a terminal showed a
    block's first line twice (seen once in CI). Redraws now happen inside `feed`: no
    other thread runs, and the screen after a stream is the answer, once."""
    from tests.test_chat import screen

    out = io.StringIO()
    console = Console(
        file=out, width=40, force_terminal=True, force_interactive=True, color_system=None
    )
    stream = MarkdownStream(console, refresh_per_second=1e9)  # redraw on every chunk
    threads = threading.active_count()
    for start in range(0, len(ANSWER), 3):
        stream.feed(ANSWER[start : start + 3])
        assert threading.active_count() == threads
    stream.close()
    shown = [line for line in screen(out.getvalue()) if line.strip()]
    assert [line.strip() for line in shown] == [line for line in _lines(EXPECTED) if line]
